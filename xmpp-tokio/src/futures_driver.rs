//! The same driver for `futures-io` runtimes (async-std, smol, ...), behind the `futures-io`
//! feature: [`driver`] returns the [`Handle`], the [`Events`] and a future that the
//! application spawns on its own executor. Timers come from `async-io`; the channels are
//! runtime-agnostic, so no tokio runtime is needed.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use xmpp_stream::connection::{Connection, ReceiverAuth, ReceiverConfig};
//! use xmpp_stream::header::StreamKind;
//! use xmpp_stream::profile::{Profile, TlsPolicy};
//!
//! async_std::task::block_on(async {
//!     let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let _peer = async_std::net::TcpStream::connect(addr).await?;
//!     let (socket, _) = listener.accept().await?;
//!     let mut profile = Profile::rfc6120();
//!     profile.tls = TlsPolicy::Disabled;
//!     let store = xmpp_sasl::MemoryStore::new();
//!     let conn = Connection::receiver(
//!         ReceiverConfig {
//!             kind: StreamKind::Client,
//!             domains: vec!["localhost".into()],
//!             tls: None,
//!             direct_tls: false,
//!             auth: ReceiverAuth::Sasl(Arc::new(store)),
//!         },
//!         Arc::new(profile),
//!         Box::new(rand_core::OsRng),
//!         Instant::now(),
//!     )?;
//!     let (handle, _events, task) = xmpp_tokio::futures_driver::driver(socket, conn, Default::default());
//!     let task = async_std::task::spawn(task);
//!     handle.close().await?;
//!     drop(handle);
//!     drop(_peer); // the peer goes away: the driver ends
//!     task.await;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::time::Instant;

use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};
use tokio::sync::mpsc;
use xmpp_stream::connection::{Connection, Event};

use crate::driver::{CommandRx, DriverConfig, EventTx, Events, Handle, Outbox, apply, channels};

/// Builds the driver of `conn` over `io`; spawn the returned future on any executor.
pub fn driver<S>(
    io: S,
    conn: Connection,
    config: DriverConfig,
) -> (Handle, Events, impl Future<Output = ()> + Send + 'static)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + 'static,
{
    let (handle, events, cmd_rx, ev_tx) = channels(&config);
    (handle, events, run(io, conn, cmd_rx, ev_tx, config))
}

enum Step<'a> {
    Deliver(Result<mpsc::Permit<'a, Box<Event>>, mpsc::error::SendError<()>>),
    Read(std::io::Result<usize>),
    Command(Option<Box<crate::driver::Command>>),
    Timer,
}

async fn run<S>(
    mut io: S,
    mut conn: Connection,
    mut cmds: CommandRx,
    events: EventTx,
    config: DriverConfig,
) where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + 'static,
{
    let mut buf = vec![0u8; config.read_buffer.max(512)];
    let mut cmds_open = true;
    let mut outbox = Outbox::default();
    loop {
        loop {
            let mut progressed = false;
            while !conn.pending_transmit().is_empty() {
                progressed = true;
                let n = conn.pending_transmit().len();
                let write = io.write_all(conn.pending_transmit()).or(async {
                    async_io::Timer::after(config.write_timeout).await;
                    Err(std::io::Error::from(std::io::ErrorKind::TimedOut))
                });
                match write.await {
                    Ok(()) => conn.consume_transmit(n),
                    Err(e) => {
                        tracing::debug!(error = %e, "write failed");
                        conn.handle_eof(Instant::now());
                        // The transport is gone: what is still pending can never be written.
                        conn.consume_transmit(usize::MAX);
                    }
                }
            }
            progressed |= outbox.pump(&mut conn, &events);
            if !progressed {
                break;
            }
        }
        if conn.is_closed() {
            outbox.adopt_commands(&mut cmds);
            let _ = io.close().await;
            let _ = outbox
                .drain(&mut conn, &events)
                .or(async {
                    async_io::Timer::after(config.write_timeout).await;
                })
                .await;
            break;
        }
        let blocked = outbox.is_blocked();
        let deadline = conn.poll_timeout();
        let read = async {
            if blocked {
                Step::Deliver(events.reserve().await)
            } else {
                Step::Read(io.read(&mut buf).await)
            }
        };
        let command = async {
            if cmds_open {
                Step::Command(cmds.recv().await)
            } else {
                std::future::pending().await
            }
        };
        let timer = async {
            match deadline {
                Some(d) => {
                    async_io::Timer::at(d).await;
                    Step::Timer
                }
                None => std::future::pending().await,
            }
        };
        match read.or(command).or(timer).await {
            Step::Deliver(Ok(permit)) => outbox.deliver(permit),
            Step::Deliver(Err(_)) => outbox.app_gone = true,
            Step::Read(Ok(0)) => conn.handle_eof(Instant::now()),
            Step::Read(Ok(n)) => conn.handle_input(Instant::now(), &buf[..n]),
            Step::Read(Err(e)) => {
                tracing::debug!(error = %e, "read failed");
                conn.handle_eof(Instant::now());
            }
            Step::Command(Some(cmd)) => apply(&mut conn, *cmd),
            Step::Command(None) => {
                cmds_open = false;
                conn.close();
            }
            Step::Timer => conn.handle_timeout(Instant::now()),
        }
    }
}
