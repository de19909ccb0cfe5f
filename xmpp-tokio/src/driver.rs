//! The driver: one task per connection that moves bytes between a socket and a
//! [`Connection`], fires its timers, and hands events and commands over bounded channels.
//!
//! This module owns the I/O loop and nothing else: every decision about XMPP is the
//! machine's. Backpressure is end to end: when the application does not take events, the
//! driver stops reading the socket (TCP then slows the peer down); when the peer does not
//! read, writes wait and commands queue in a bounded channel.
//!
//! Memory: an idle connection keeps no read buffer (bytes are read into a buffer on the
//! stack, only during the poll that finds them, and handed to the machine at once); the
//! machine's work buffers are released ([`Connection::release_buffers`]) once negotiation is
//! over and again after [`RELEASE_BUFFERS_AFTER`] without input, commands or events; the
//! channels carry boxed events and commands, so their pre-allocated slots stay small; and the
//! machine is boxed, so the task holds it once (an `async fn` keeps its arguments apart from
//! its locals).

use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{mpsc, oneshot, watch};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{Connection, Event, SendError};
use xmpp_stream::stream_error::StreamError;
use xmpp_stream::stream_management::ResumeDecision;
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

/// A connection quiet for this long (no input, command or event; checked once per period,
/// so the release comes one to two periods after the last activity) has its machine's work
/// buffers released ([`Connection::release_buffers`]). A busy connection keeps them and
/// does not allocate per stanza.
pub const RELEASE_BUFFERS_AFTER: Duration = Duration::from_secs(1);

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
    /// A server core's answer to the machine's resumption request (XEP-0198).
    Resume(ResumeDecision),
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
            mpsc::error::TrySendError::Closed(c) => TryCommandError::Closed(c),
        })
    }

    /// Waits until the queue has room for a command (`false`: the task stopped taking
    /// commands). Nothing is sent: the caller then queues with
    /// [`try_command`](Self::try_command), which refuses what the task will never take (a
    /// command sent through a reservation made before the task stopped would be lost).
    pub(crate) async fn wait_for_room(&self) -> bool {
        self.tx.reserve().await.is_ok()
    }
}

/// Why [`Handle::try_command`] did not queue.
#[derive(Debug)]
pub(crate) enum TryCommandError {
    /// No room: the command, given back.
    Full(Box<Command>),
    /// The connection's task has ended (or its machine closed): the command, given back.
    Closed(Box<Command>),
}

/// The events of one connection, in order; ends (`None`) after [`Event::Closed`].
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Box<Event>>,
    /// Stanzas a login read before the stream was established (a server may send some
    /// between bind and `<enabled/>`), handed out first.
    early: std::collections::VecDeque<Event>,
}

impl Events {
    /// The next event, or `None` once the connection's task has ended.
    pub async fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.early.pop_front() {
            return Some(event);
        }
        self.rx.recv().await.map(|e| *e)
    }

    /// Keeps `event` (read during a login) to be handed out before the channel's.
    pub(crate) fn keep_early(&mut self, event: Event) {
        self.early.push_back(event);
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
        if let Some(event) = self.early.pop_front() {
            return std::task::Poll::Ready(Some(event));
        }
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
    spawn_with(io, conn, config, shutdown, ())
}

/// [`spawn`], the task also holding `guard` until it ends (however it ends), so that what
/// must outlive the connection needs no task of its own.
pub(crate) fn spawn_with<S, G>(
    io: S,
    conn: Connection,
    config: DriverConfig,
    shutdown: Option<watch::Receiver<bool>>,
    guard: G,
) -> (Handle, Events, tokio::task::JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    G: Send + 'static,
{
    let (handle, events, cmd_rx, ev_tx) = channels(&config);
    let task = tokio::spawn(run(
        io,
        Box::new(conn),
        cmd_rx,
        ev_tx,
        config,
        shutdown,
        guard,
    ));
    (handle, events, task)
}

/// The bounded channels between an application and a driver (runtime-agnostic).
pub(crate) fn channels(config: &DriverConfig) -> (Handle, Events, CommandRx, EventTx) {
    let (cmd_tx, cmd_rx) = mpsc::channel(config.command_capacity.max(1));
    let (ev_tx, ev_rx) = mpsc::channel(config.event_capacity.max(1));
    (
        Handle { tx: cmd_tx },
        Events {
            rx: ev_rx,
            early: std::collections::VecDeque::new(),
        },
        cmd_rx,
        ev_tx,
    )
}

/// Where undelivered events wait: at most one taken from the machine (the rest stay in the
/// machine, which holds input once its own queue is full).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    stash: Option<Box<Event>>,
    pub(crate) app_gone: bool,
    /// The machine's `Detached` (its stream ended with a managed session), held back until
    /// the commands still queued have joined the session ([`Outbox::adopt_commands`]).
    detached: Option<Box<Event>>,
}

impl Outbox {
    /// Moves events from the machine to the channel while it has room. Returns whether an
    /// event was taken from the machine.
    pub(crate) fn pump(&mut self, conn: &mut Connection, events: &EventTx) -> bool {
        let mut took = false;
        loop {
            if self.detached.is_some() {
                // Nothing overtakes the held `Detached` (the `Closed` after it waits too).
                return took;
            }
            if self.stash.is_none() {
                self.stash = conn.poll_event().map(Box::new);
                took |= self.stash.is_some();
            }
            if matches!(self.stash.as_deref(), Some(Event::Detached(_))) {
                self.detached = self.stash.take();
                return true;
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

    /// At the end, before [`drain`](Self::drain): no command is taken any more, and those
    /// still queued are answered. With a managed session (a held `Detached`), the stanzas
    /// among them join it as not yet sent (they go out on resumption, or back to the
    /// application with the rest of its unacknowledged stanzas); without one they were never
    /// sent (`Closed`). A command refused from now on never reached the machine: a server
    /// adapter hands such stanzas back to its core.
    pub(crate) fn adopt_commands(&mut self, cmds: &mut CommandRx) {
        cmds.close();
        let mut session = match self.detached.as_deref_mut() {
            Some(Event::Detached(session)) => Some(session),
            _ => None,
        };
        while let Ok(command) = cmds.try_recv() {
            let Command::Send(el, reply) = *command else {
                continue;
            };
            let verdict = match session.as_deref_mut() {
                Some(s) => s.push_unsent(el).map_err(|full| {
                    tracing::warn!(limit = ?full.limit, "stanza beyond the session's queue: dropped");
                    SendError::QueueFull(full.limit)
                }),
                None => Err(SendError::Closed),
            };
            if let Some(reply) = reply {
                let _ = reply.send(verdict);
            }
        }
    }

    /// At the end: the remaining events (the held `Detached`, the final `Closed`), waiting
    /// for room.
    pub(crate) async fn drain(&mut self, conn: &mut Connection, events: &EventTx) {
        if self.app_gone {
            return;
        }
        let rest = (self.detached.take().into_iter())
            .chain(self.stash.take())
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
        Command::Resume(d) => {
            if let Err(e) = conn.resume(d) {
                tracing::warn!(error = %e, "resumption decision refused by the machine");
            }
        }
    }
}

/// The connection's task. A function returning an `async move` block rather than an
/// `async fn`: the block uses what it captures in place, where an `async fn` keeps its
/// arguments apart from its locals and the task would hold each twice.
#[allow(clippy::manual_async_fn)] // on purpose: see above
fn run<S, G>(
    mut io: S,
    mut conn: Box<Connection>,
    mut cmds: CommandRx,
    events: EventTx,
    config: DriverConfig,
    mut shutdown: Option<watch::Receiver<bool>>,
    guard: G,
) -> impl std::future::Future<Output = ()> + Send + 'static
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    G: Send + 'static,
{
    async move {
        let chunk = config.read_buffer.clamp(512, MAX_READ_CHUNK);
        let mut cmds_open = true;
        let mut outbox = Outbox::default();
        // One timer for the machine's deadline and the idle check, reset only when the time it
        // must fire at changes (not once per loop).
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        let mut armed: Option<tokio::time::Instant> = None;
        // When to look whether the connection was quiet (`None`: buffers released, until the
        // next activity), and whether anything happened since the last look.
        let mut idle_check = Some(tokio::time::Instant::now() + RELEASE_BUFFERS_AFTER);
        let mut active = false;
        let mut negotiated = false;
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
                outbox.adopt_commands(&mut cmds);
                let _ = tokio::time::timeout(config.write_timeout, io.shutdown()).await;
                let _ =
                    tokio::time::timeout(config.write_timeout, outbox.drain(&mut conn, &events))
                        .await;
                break;
            }
            if !negotiated && conn.is_established() {
                // The negotiation's buffers are not needed for the stanzas that follow: freed
                // now, while other connections still negotiate and reuse the memory.
                negotiated = true;
                conn.release_buffers();
            }
            let blocked = outbox.is_blocked();
            let deadline = conn.poll_timeout().map(tokio::time::Instant::from_std);
            let wake = match (deadline, idle_check) {
                (Some(d), Some(i)) => Some(d.min(i)),
                (d, i) => d.or(i),
            };
            if wake != armed {
                if let Some(w) = wake {
                    timer.as_mut().reset(w);
                }
                armed = wake;
            }
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
                permit = events.reserve(), if blocked => {
                    active = true;
                    match permit {
                        Ok(p) => outbox.deliver(p),
                        Err(_) => outbox.app_gone = true,
                    }
                },
                r = read_input(&mut io, &mut conn, chunk), if !blocked => {
                    active = true;
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "read failed");
                        conn.handle_eof(Instant::now());
                    }
                },
                c = cmds.recv(), if cmds_open => {
                    active = true;
                    match c {
                        Some(cmd) => apply(&mut conn, *cmd),
                        None => {
                            cmds_open = false;
                            conn.close();
                        }
                    }
                },
                () = &mut timer, if armed.is_some() => {
                    // Fired: the next loop arms it again if anything is still due.
                    armed = None;
                    let now = tokio::time::Instant::now();
                    if deadline.is_some_and(|d| d <= now) {
                        conn.handle_timeout(Instant::now());
                    }
                    if idle_check.is_some_and(|i| i <= now) {
                        if active {
                            active = false;
                            idle_check = Some(now + RELEASE_BUFFERS_AFTER);
                        } else {
                            conn.release_buffers();
                            idle_check = None;
                        }
                    }
                },
                () = stop => {
                    shutdown = None;
                    conn.close_with_error(StreamError::new(
                        xmpp_stream::stream_error::StreamCondition::SystemShutdown,
                    ));
                }
            }
            if active && idle_check.is_none() {
                // Busy again after a release: look again in a period.
                active = false;
                idle_check = Some(tokio::time::Instant::now() + RELEASE_BUFFERS_AFTER);
            }
        }

        // Held until here (or until the task is dropped).
        drop(guard);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use xmpp_stream::bind::BindDecision;
    use xmpp_stream::connection::Event;
    use xmpp_stream::profile::{Profile, TlsPolicy};
    use xmpp_stream::xml::Element;

    use super::RELEASE_BUFFERS_AFTER;
    use crate::{ClientConfig, ServerConfig, connect, serve};

    fn chat(to: &str, body: &str) -> Element {
        Element::builder("message", "jabber:client")
            .attr("to", to.to_owned())
            .child(Element::builder("body", "jabber:client").text(body.to_owned()))
            .build()
    }

    async fn next_body(events: &mut super::Events) -> String {
        loop {
            let ev = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
                .await
                .expect("a stanza arrives");
            match ev {
                Some(Event::Stanza(el)) => {
                    return el
                        .child_text("body", "jabber:client")
                        .unwrap_or_default()
                        .into_owned();
                }
                Some(Event::Closed(r)) => panic!("closed: {r:?}"),
                Some(_) => {}
                None => panic!("connection gone"),
            }
        }
    }

    /// Both ends release their machines' buffers at the end of negotiation and after each
    /// quiet period; stanzas keep flowing both ways across those releases.
    #[tokio::test]
    async fn stanzas_flow_across_idle_releases() {
        let mut profile = Profile::rfc6120();
        profile.tls = TlsPolicy::Disabled;
        profile.allow_plaintext_auth = true;
        let profile = Arc::new(profile);
        let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
        store
            .add_user("idler", "secret", 4096, &mut rand_core::OsRng)
            .unwrap();
        let mut config = ServerConfig::new(vec!["localhost".into()], None, Arc::new(store));
        config.profile = profile.clone();
        let (tx, mut accepted) = tokio::sync::mpsc::channel(1);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = serve(listener, config, move |incoming| {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut incoming = incoming;
                loop {
                    match incoming.events.next().await {
                        Some(Event::BindRequest { .. }) => {
                            let _ = incoming.handle.bind(BindDecision::Accept("r".into())).await;
                        }
                        Some(Event::Established) => break,
                        Some(_) => {}
                        None => return,
                    }
                }
                let _ = tx.send(incoming).await;
            });
        })
        .unwrap();
        let mut cfg = ClientConfig::plaintext(profile);
        cfg.server = Some(("127.0.0.1".into(), server.local_addr().port()));
        let mut client = connect(&"idler@localhost".parse().unwrap(), "secret", &cfg)
            .await
            .unwrap();
        let mut at_server = accepted.recv().await.expect("the server side");
        for round in 0..2 {
            // Quiet for longer than two check periods: both ends release their buffers.
            tokio::time::sleep(RELEASE_BUFFERS_AFTER * 2 + RELEASE_BUFFERS_AFTER / 2).await;
            let down = format!("down {round} {}", "x".repeat(3000));
            at_server
                .handle
                .send(chat("idler@localhost/r", &down))
                .await
                .unwrap();
            assert_eq!(next_body(&mut client.events).await, down);
            let up = format!("up {round}");
            client.handle.send(chat("localhost", &up)).await.unwrap();
            assert_eq!(next_body(&mut at_server.events).await, up);
        }
        client.handle.close().await.unwrap();
        server.shutdown().await;
    }
}
