//! The server side: an accept loop that gives each socket a receiving machine and its own
//! driver task, and hands the application a [`Incoming`] per connection.
//!
//! The application supplies the TLS configuration, the credential store and what to do with
//! each connection (typically: spawn a task that feeds its events to a server core and
//! carries out what the core decides, as [`serve_im`](crate::serve_im) does with
//! `xmpp-server`). Connections never wait on each other: each has its own task and bounded
//! queues; beyond [`ServerConfig::max_connections`] new sockets are closed at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rand_core::OsRng;
use rustls::pki_types::CertificateDer;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use xmpp_stream::connection::{Connection, ReceiverAuth, ReceiverConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_management::SmSettings;

use crate::driver::{self, DriverConfig, Events, Handle};

/// What every accepted c2s connection is set up with.
#[derive(Clone)]
pub struct ServerConfig {
    /// The domains served.
    pub domains: Vec<String>,
    /// TLS server configuration and the certificate it presents (for channel binding).
    pub tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    /// Accounts.
    pub store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
    /// Stream profile.
    pub profile: Arc<Profile>,
    /// Most connections alive at once; more are closed right after accept.
    pub max_connections: usize,
    /// XEP-0368 Direct TLS: TLS from the first byte (a `_xmpps-client._tcp` port) instead of
    /// STARTTLS.
    pub direct_tls: bool,
    /// DSCP code point for accepted sockets (UCR-DSCP-1).
    pub dscp: Option<u8>,
    /// Queue sizes per connection.
    pub driver: DriverConfig,
    /// XEP-0198 on client streams (`None`, the default: not offered). The application
    /// parks, resumes and ends managed sessions (the IM server's core does).
    pub stream_management: Option<SmSettings>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("domains", &self.domains)
            .field("tls", &self.tls.is_some())
            .field("max_connections", &self.max_connections)
            .field("direct_tls", &self.direct_tls)
            .field("dscp", &self.dscp)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults (RFC 6120 profile, 10 000 connections) for these domains, TLS and accounts.
    pub fn new(
        domains: Vec<String>,
        tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
        store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
    ) -> Self {
        ServerConfig {
            domains,
            tls,
            store,
            profile: Arc::new(Profile::rfc6120()),
            max_connections: 10_000,
            direct_tls: false,
            dscp: None,
            driver: DriverConfig::default(),
            stream_management: None,
        }
    }
}

/// One accepted connection, handed to the application.
#[derive(Debug)]
pub struct Incoming {
    /// Commands to the connection (bind decisions, stanzas, close).
    pub handle: Handle,
    /// Its events.
    pub events: Events,
    /// The peer's address.
    pub peer: SocketAddr,
}

/// A running accept loop.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    active: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connection tasks are alive.
    pub fn active_connections(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Stops accepting and ends every connection with `<system-shutdown/>`; returns when the
    /// accept loop has stopped (connection tasks finish their closing on their own).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Decrements the live-connection count when a connection task ends, however it ends.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts accepting c2s connections on `listener`; `on_connection` is called once per
/// accepted socket (it should spawn whatever serves the connection and return quickly).
pub fn serve<F>(
    listener: TcpListener,
    config: ServerConfig,
    on_connection: F,
) -> std::io::Result<Server>
where
    F: Fn(Incoming) + Send + Sync + 'static,
{
    serve_streams(listener, config, Streams::Clients, on_connection)
}

/// What the connections of an accept loop are.
#[derive(Debug, Clone)]
pub(crate) enum Streams {
    /// c2s: TLS and SASL as the [`ServerConfig`] says.
    Clients,
    /// XEP-0114 components, authenticated as this says; no TLS.
    Components(ReceiverAuth),
}

/// [`serve`] for either kind of stream.
pub(crate) fn serve_streams<F>(
    listener: TcpListener,
    config: ServerConfig,
    streams: Streams,
    on_connection: F,
) -> std::io::Result<Server>
where
    F: Fn(Incoming) + Send + Sync + 'static,
{
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let active = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(accept_loop(
        listener,
        config,
        streams,
        on_connection,
        stop_rx,
        active.clone(),
    ));
    Ok(Server {
        addr,
        stop,
        active,
        task,
    })
}

async fn accept_loop<F>(
    listener: TcpListener,
    config: ServerConfig,
    streams: Streams,
    on_connection: F,
    mut stop: watch::Receiver<bool>,
    active: Arc<AtomicUsize>,
) where
    F: Fn(Incoming) + Send + Sync + 'static,
{
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|v| *v) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and similar: wait a little instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing");
            drop(tcp);
            continue;
        };
        crate::socket::prepare(&tcp, config.dscp);
        let receiver = match &streams {
            Streams::Clients => ReceiverConfig {
                kind: StreamKind::Client,
                domains: config.domains.clone(),
                tls: config.tls.clone(),
                direct_tls: config.direct_tls,
                auth: ReceiverAuth::Sasl(config.store.clone()),
            },
            Streams::Components(auth) => ReceiverConfig {
                kind: StreamKind::Component,
                domains: config.domains.clone(),
                tls: None,
                direct_tls: false,
                auth: auth.clone(),
            },
        };
        let machine = Connection::receiver(
            receiver,
            config.profile.clone(),
            Box::new(OsRng),
            Instant::now(),
        )
        .and_then(|mut c| {
            if let (Streams::Clients, Some(sm)) = (&streams, config.stream_management) {
                c.enable_stream_management(sm)?;
            }
            Ok(c)
        });
        let conn = match machine {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot set up a receiving machine; stopping");
                break;
            }
        };
        active.fetch_add(1, Ordering::SeqCst);
        let live = Live(active.clone());
        // The connection's task holds its place in the count and its permit until it ends.
        let (handle, events, _task) =
            driver::spawn_with(tcp, conn, config.driver, Some(stop.clone()), (live, permit));
        tracing::debug!(%peer, "accepted");
        on_connection(Incoming {
            handle,
            events,
            peer,
        });
    }
}
