//! An XEP-0114 component connecting to its server: [`Component::connect`] (or the free
//! [`connect_component`], the same function) with a [`ComponentConfig`] gives a [`Component`]
//! (the same [`Handle`] and [`Events`] as a client).
//!
//! A component is addressed by its own domain (`echo.example.com`) and authenticates with a
//! shared secret through the XEP-0114 handshake. The protocol has no TLS: run it on loopback or
//! a protected network, on the server's component port.
//!
//! ```no_run
//! # async fn run() -> Result<(), xmpp_tokio::ConnectError> {
//! use xmpp_tokio::{ComponentConfig, Event, connect_component};
//! let mut echo = connect_component("echo.localhost", "s3cret", &ComponentConfig::new("127.0.0.1", 5347)).await?;
//! while let Some(Event::Stanza(stanza)) = echo.events.next().await {
//!     // ... answer with echo.handle.send(reply).await
//! #   let _ = stanza;
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::OsRng;
use xmpp_stream::connection::{Connection, InitiatorConfig};
use xmpp_stream::profile::Profile;

use crate::client::await_login;
use crate::driver::{self, DriverConfig, Events, Handle};
use crate::error::ConnectError;

/// How [`Component::connect`] connects.
#[derive(Debug, Clone)]
pub struct ComponentConfig {
    /// The server's component port: host (name or IP literal) and port. Components do not
    /// resolve SRV records.
    pub server: (String, u16),
    /// The stream profile (limits, keepalives, timeouts); its TLS policy does not apply.
    pub profile: Arc<Profile>,
    /// Longest time for the TCP connection.
    pub connect_timeout: Duration,
    /// Longest time from the TCP connection to the accepted handshake.
    pub login_timeout: Duration,
    /// DSCP code point for the socket (UCR-DSCP-1), `None` to leave it alone.
    pub dscp: Option<u8>,
    /// Queue sizes.
    pub driver: DriverConfig,
}

impl ComponentConfig {
    /// Defaults, connecting to `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> ComponentConfig {
        ComponentConfig {
            server: (host.into(), port),
            profile: Arc::new(Profile::rfc6120()),
            connect_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(30),
            dscp: None,
            driver: DriverConfig::default(),
        }
    }
}

/// A component stream accepted by its server.
#[derive(Debug)]
pub struct Component {
    /// Sends stanzas, closes.
    pub handle: Handle,
    /// Stanzas and the final `Event::Closed`.
    pub events: Events,
    /// The component's domain.
    pub domain: String,
}

impl Component {
    /// Connects to the server's component port, opens a `jabber:component:accept` stream for
    /// `domain` and proves the shared `secret`. A refusal is [`ConnectError::Login`] with the
    /// server's stream error (e.g. `host-unknown`, `not-authorized`). The same entry point as
    /// the blocking adapter's `Component::connect`; the free function [`connect_component`] is
    /// the same.
    pub async fn connect(
        domain: &str,
        secret: &str,
        config: &ComponentConfig,
    ) -> Result<Component, ConnectError> {
        connect_component(domain, secret, config).await
    }
}

/// Connects to the server's component port, opens a `jabber:component:accept` stream for
/// `domain` and proves the shared `secret`: the same as [`Component::connect`].
pub async fn connect_component(
    domain: &str,
    secret: &str,
    config: &ComponentConfig,
) -> Result<Component, ConnectError> {
    let (host, port) = (
        config
            .server
            .0
            .trim_start_matches('[')
            .trim_end_matches(']'),
        config.server.1,
    );
    let tcp = tokio::time::timeout(
        config.connect_timeout,
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    .map_err(|_| ConnectError::Timeout(config.connect_timeout, "connecting"))?
    .map_err(|source| ConnectError::Tcp { addr: None, source })?;
    crate::socket::prepare(&tcp, config.dscp);
    let conn = Connection::initiator(
        InitiatorConfig::component(domain, secret),
        config.profile.clone(),
        Box::new(OsRng),
        Instant::now(),
    )?;
    let (handle, mut events, _task) = driver::spawn(tcp, conn, config.driver, None);
    match tokio::time::timeout(config.login_timeout, await_login(&mut events)).await {
        Ok(Ok(_)) => Ok(Component {
            handle,
            events,
            domain: domain.to_owned(),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let _ = handle.close().await;
            Err(ConnectError::Timeout(config.login_timeout, "the handshake"))
        }
    }
}
