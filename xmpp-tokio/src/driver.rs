//! The driver: one task per connection that moves bytes between a socket and a
//! [`Connection`], fires its timers, and hands events and commands over bounded channels.
//!
//! This module owns the I/O loop and nothing else: every decision about XMPP is the
//! machine's. Backpressure is end to end: when the application does not take events, the
//! driver stops reading the socket (TCP then slows the peer down); when the peer does not
//! read, writes wait and commands queue in a bounded channel.
//!
//! Memory: an idle connection keeps no read buffer (bytes are read into a buffer on the
//! stack, only during the poll that finds them, and handed to the machine at once), and the
//! channels carry boxed events and commands, so their pre-allocated slots stay small.

use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{mpsc, oneshot, watch};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{Connection, Event, SendError};
use xmpp_stream::stream_error::StreamError;
use xmpp_stream::xml::Element;

/// Sizes of the driver's buffers and queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DriverConfig {
    /// Events queued for the application before the driver stops reading the socket.
    pub event_capacity: usize,
    /// Commands (stanzas to send, ...) queued before senders wait.
    pub command_capacity: usize,
    /// Most bytes read from the socket at a time (at most [`MAX_READ_CHUNK`]; the buffer
    /// exists only while a read is being polled, so idle connections keep none).
    pub read_buffer: usize,
    /// Longest time a write to the socket may take before the transport is given up.
    pub write_timeout: Duration,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            event_capacity: 64,
            command_capacity: 64,
            read_buffer: 8 * 1024,
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// Upper bound of [`DriverConfig::read_buffer`]: the size of the on-stack read buffer.
pub const MAX_READ_CHUNK: usize = 16 * 1024;

/// Why a command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The connection's task has ended (the stream is closed).
    #[error("the connection is closed")]
    Closed,
    /// The command queue is full (only from the `try_` methods).
    #[error("the connection's command queue is full")]
    Full,
    /// The machine refused the stanza.
    #[error(transparent)]
    Send(#[from] SendError),
    /// No resource binding was pending.
    #[error("no resource binding is pending")]
    NoBindPending,
}

#[derive(Debug)]
pub(crate) enum Command {
    Send(Element, Option<oneshot::Sender<Result<(), SendError>>>),
    Bind(BindDecision, oneshot::Sender<bool>),
    Close,
    CloseWithError(StreamError),
}

/// The command channel's items: boxed, so that the channel's pre-allocated block of slots
/// stays small on every idle connection.
pub(crate) type CommandRx = mpsc::Receiver<Box<Command>>;
/// The event channel's sending side (boxed items, for the same reason).
pub(crate) type EventTx = mpsc::Sender<Box<Event>>;

/// Commands to one connection's task. Cheap to clone; the stream is closed when the last
/// handle and the [`Events`] are dropped.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::Sender<Box<Command>>,
}

impl Handle {
    /// Sends a stanza; waits for room in the queue and for the machine's verdict.
    pub async fn send(&self, element: Element) -> Result<(), DriverError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::Send(element, Some(tx))))
            .await
            .map_err(|_| DriverError::Closed)?;
        rx.await
            .map_err(|_| DriverError::Closed)?
            .map_err(Into::into)
    }

    /// Sends a typed stanza ([`xmpp_stanza::Message`], [`xmpp_stanza::Presence`],
    /// [`xmpp_stanza::Iq`]) or anything else that converts into an element, like
    /// [`send`](Self::send).
    pub async fn send_stanza(&self, stanza: impl Into<Element>) -> Result<(), DriverError> {
        self.send(stanza.into()).await
    }

    /// Queues a stanza without waiting; fails with [`DriverError::Full`] when the peer is
    /// not keeping up (a server routing to a slow reader uses this).
    pub fn try_send(&self, element: Element) -> Result<(), DriverError> {
        self.tx
            .try_send(Box::new(Command::Send(element, None)))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => DriverError::Full,
                mpsc::error::TrySendError::Closed(_) => DriverError::Closed,
            })
    }

    /// Receiving side: answers the pending [`Event::BindRequest`].
    pub async fn bind(&self, decision: BindDecision) -> Result<(), DriverError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::Bind(decision, tx)))
            .await
            .map_err(|_| DriverError::Closed)?;
        if rx.await.map_err(|_| DriverError::Closed)? {
            Ok(())
        } else {
            Err(DriverError::NoBindPending)
        }
    }

    /// Starts the closing handshake; [`Event::Closed`] follows on the event stream.
    pub async fn close(&self) -> Result<(), DriverError> {
        self.tx
            .send(Box::new(Command::Close))
            .await
            .map_err(|_| DriverError::Closed)
    }

    /// Ends the stream with a stream error.
    pub async fn close_with_error(&self, error: StreamError) -> Result<(), DriverError> {
        self.tx
            .send(Box::new(Command::CloseWithError(error)))
            .await
            .map_err(|_| DriverError::Closed)
    }

    /// Whether the connection's task has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Queues a command without waiting; a full queue gives it back.
    pub(crate) fn try_command(&self, command: Box<Command>) -> Result<(), TryCommandError> {
        self.tx.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(c) => TryCommandError::Full(c),
            mpsc::error::TrySendError::Closed(_) => TryCommandError::Closed,
        })
    }

    /// Queues a command, waiting for room (not for the machine's verdict).
    pub(crate) async fn command(&self, command: Box<Command>) -> Result<(), DriverError> {
        self.tx.send(command).await.map_err(|_| DriverError::Closed)
    }
}

/// Why [`Handle::try_command`] did not queue.
#[derive(Debug)]
pub(crate) enum TryCommandError {
    /// No room: the command, given back.
    Full(Box<Command>),
    /// The connection's task has ended.
    Closed,
}

/// The events of one connection, in order; ends (`None`) after [`Event::Closed`].
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Box<Event>>,
}

impl Events {
    /// The next event, or `None` once the connection's task has ended.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await.map(|e| *e)
    }
}

/// Events as a [`futures_core::Stream`], for stream combinators (`StreamExt::filter_map`,
/// `select`, ...). Ends when the connection's task has ended.
impl futures_core::Stream for Events {
    type Item = Event;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Event>> {
        self.rx.poll_recv(cx).map(|e| e.map(|e| *e))
    }
}

/// Starts the task driving `conn` over `io` and returns its handle and event stream.
/// `shutdown`, when it turns `true`, ends the stream with `<system-shutdown/>`.
pub fn spawn<S>(
    io: S,
    conn: Connection,
    config: DriverConfig,
    shutdown: Option<watch::Receiver<bool>>,
) -> (Handle, Events, tokio::task::JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (handle, events, cmd_rx, ev_tx) = channels(&config);
    let task = tokio::spawn(run(io, conn, cmd_rx, ev_tx, config, shutdown));
    (handle, events, task)
}

/// The bounded channels between an application and a driver (runtime-agnostic).
pub(crate) fn channels(config: &DriverConfig) -> (Handle, Events, CommandRx, EventTx) {
    let (cmd_tx, cmd_rx) = mpsc::channel(config.command_capacity.max(1));
    let (ev_tx, ev_rx) = mpsc::channel(config.event_capacity.max(1));
    (Handle { tx: cmd_tx }, Events { rx: ev_rx }, cmd_rx, ev_tx)
}

/// Where undelivered events wait: at most one taken from the machine (the rest stay in the
/// machine, which holds input once its own queue is full).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    stash: Option<Box<Event>>,
    pub(crate) app_gone: bool,
}

impl Outbox {
    /// Moves events from the machine to the channel while it has room. Returns whether an
    /// event was taken from the machine.
    pub(crate) fn pump(&mut self, conn: &mut Connection, events: &EventTx) -> bool {
        let mut took = false;
        loop {
            if self.stash.is_none() {
                self.stash = conn.poll_event().map(Box::new);
                took |= self.stash.is_some();
            }
            let Some(ev) = self.stash.take() else {
                return took;
            };
            if self.app_gone {
                continue;
            }
            match events.try_send(ev) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(ev)) => {
                    self.stash = Some(ev);
                    return took;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => self.app_gone = true,
            }
        }
    }

    /// Whether an event waits for room in the channel (reading the socket pauses meanwhile).
    pub(crate) fn is_blocked(&self) -> bool {
        self.stash.is_some() && !self.app_gone
    }

    /// Delivers the waiting event into a reserved slot.
    pub(crate) fn deliver(&mut self, permit: mpsc::Permit<'_, Box<Event>>) {
        if let Some(ev) = self.stash.take() {
            permit.send(ev);
        }
    }

    /// At the end: the remaining events (the final `Closed` among them), waiting for room.
    pub(crate) async fn drain(&mut self, conn: &mut Connection, events: &EventTx) {
        if self.app_gone {
            return;
        }
        let rest = self
            .stash
            .take()
            .into_iter()
            .chain(std::iter::from_fn(|| conn.poll_event().map(Box::new)));
        for ev in rest.collect::<Vec<_>>() {
            if events.send(ev).await.is_err() {
                return;
            }
        }
    }
}

pub(crate) fn apply(conn: &mut Connection, cmd: Command) {
    match cmd {
        Command::Send(el, reply) => {
            let r = conn.send(&el);
            if let Some(reply) = reply {
                let _ = reply.send(r);
            } else if let Err(e) = r {
                tracing::debug!(error = %e, "queued stanza refused");
            }
        }
        Command::Bind(d, reply) => {
            let _ = reply.send(conn.bind(d).is_ok());
        }
        Command::Close => conn.close(),
        Command::CloseWithError(e) => conn.close_with_error(e),
    }
}

async fn run<S>(
    mut io: S,
    mut conn: Connection,
    mut cmds: CommandRx,
    events: EventTx,
    config: DriverConfig,
    mut shutdown: Option<watch::Receiver<bool>>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let chunk = config.read_buffer.clamp(512, MAX_READ_CHUNK);
    let mut cmds_open = true;
    let mut outbox = Outbox::default();
    loop {
        // Output and events, until the machine has nothing more (taking one may release
        // held input, which can make more of both).
        loop {
            let mut progressed = false;
            // Written from the machine's own buffer: no copy, no allocation per flush.
            while !conn.pending_transmit().is_empty() {
                progressed = true;
                let n = conn.pending_transmit().len();
                let write = tokio::time::timeout(
                    config.write_timeout,
                    io.write_all(conn.pending_transmit()),
                );
                match write.await {
                    Ok(Ok(())) => conn.consume_transmit(n),
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "write failed");
                        conn.handle_eof(Instant::now());
                        // The transport is gone: what is still pending can never be written.
                        conn.consume_transmit(usize::MAX);
                    }
                    Err(_) => {
                        tracing::debug!("write timed out");
                        conn.handle_eof(Instant::now());
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
            let _ = tokio::time::timeout(config.write_timeout, io.shutdown()).await;
            let _ =
                tokio::time::timeout(config.write_timeout, outbox.drain(&mut conn, &events)).await;
            break;
        }
        let blocked = outbox.is_blocked();
        let deadline = conn.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        let stop = async {
            match shutdown.as_mut() {
                Some(rx) => {
                    if rx.wait_for(|v| *v).await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            permit = events.reserve(), if blocked => match permit {
                Ok(p) => outbox.deliver(p),
                Err(_) => outbox.app_gone = true,
            },
            r = read_input(&mut io, &mut conn, chunk), if !blocked => if let Err(e) = r {
                tracing::debug!(error = %e, "read failed");
                conn.handle_eof(Instant::now());
            },
            c = cmds.recv(), if cmds_open => match c {
                Some(cmd) => apply(&mut conn, *cmd),
                None => {
                    cmds_open = false;
                    conn.close();
                }
            },
            () = sleep => conn.handle_timeout(Instant::now()),
            () = stop => {
                shutdown = None;
                conn.close_with_error(StreamError::new(
                    xmpp_stream::stream_error::Condition::SystemShutdown,
                ));
            }
        }
    }
}

/// Waits until the socket has bytes (or its end), reads up to `chunk` of them into a buffer
/// on the stack and hands them to the machine in the same poll. Nothing is read in a poll
/// that returns `Pending`, so the buffer never outlives the poll: an idle connection keeps
/// no read buffer at all.
async fn read_input<S>(io: &mut S, conn: &mut Connection, chunk: usize) -> std::io::Result<()>
where
    S: AsyncRead + Unpin,
{
    std::future::poll_fn(|cx| {
        let mut stack = [std::mem::MaybeUninit::<u8>::uninit(); MAX_READ_CHUNK];
        let mut buf = ReadBuf::uninit(&mut stack[..chunk.min(MAX_READ_CHUNK)]);
        match Pin::new(&mut *io).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let now = Instant::now();
                match buf.filled() {
                    [] => conn.handle_eof(now),
                    bytes => conn.handle_input(now, bytes),
                }
                Poll::Ready(Ok(()))
            }
        }
    })
    .await
}
