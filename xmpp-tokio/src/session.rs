//! [`Session`]: a logged-in client on [`xmpp_im::session::ClientSession`], with typed events,
//! IQ round trips as one call ([`SessionHandle::request`]), XEP-0199 liveness and
//! reconnection.
//!
//! A task owns the connection's [`Events`](crate::Events) and the sans-IO session: it feeds
//! every connection event to the session, sends what the session wants sent, runs the
//! session's timers, completes the future of each [`request`](SessionHandle::request) with its
//! response, and passes every other [`SessionEvent`] on. The event queue is bounded: an
//! application that does not read its events stops the task from reading the connection
//! (backpressure), it never makes the task buffer without bound.
//!
//! # Liveness and reconnection
//!
//! The [`SessionConfig`] (default: [`SessionConfig::default`]) sets both. A link quiet for a
//! minute is pinged (XEP-0199); one that stays silent 30 s more is dropped. A session made by
//! [`Session::connect`] then logs in again with the same credentials and configuration, after
//! a delay that grows exponentially with jitter ([`Backoff`]), asking for the same resource:
//! the application sees [`SessionEvent::Reconnecting`] before each attempt,
//! [`SessionEvent::Reconnected`] when a new link is bound, then [`SessionEvent::Online`] once
//! the roster (fetched with its cached version) is in and the application's last broadcast
//! presence went out again. A request whose answer had not come when the link was lost fails
//! with [`RequestError::LinkLost`] (it may or may not have reached its recipient). While no
//! link is up, commands wait in their queue (64 deep, then the callers wait) and go out on
//! the new link.
//!
//! Which ends reconnect ([`DisconnectReason::should_reconnect`]): a lost or silent transport,
//! a server shutting down or restarting, any failed attempt to reach the server. Which do not:
//! [`SessionHandle::close`]; `<conflict/>` (another client took the resource over: it is not
//! fought), `<not-authorized/>`, `<policy-violation/>` and the other stream errors about this
//! client or address; refused credentials or a refused certificate on an attempt (a password
//! changed meanwhile ends the session with [`DisconnectReason::Login`]); the attempts used up
//! ([`Reconnect::max_attempts`]). Then [`SessionEvent::Disconnected`] is the last event.
//! A session made by [`Session::start`] from a connected [`Client`] has no credentials: it
//! never reconnects, a lost link ends it.
//!
//! An echo bot (it reconnects by default):
//!
//! ```no_run
//! use xmpp_tokio::session::{Session, SessionEvent};
//! use xmpp_tokio::{ClientConfig, Trust};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::trusting(&Trust::webpki_roots())?;
//! let mut bot = Session::connect(&"bot@example.com".parse()?, "secret", &config).await?;
//! while let Some(event) = bot.events.recv().await {
//!     if let SessionEvent::Message(m) = event {
//!         if let (Some(from), Some(body)) = (&m.from, m.body()) {
//!             bot.handle.send_chat(&from.to_bare(), body).await?;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Liveness and reconnection tuned, with the attempts bounded:
//!
//! ```no_run
//! use std::time::Duration;
//! use xmpp_tokio::session::{Backoff, Liveness, Reconnect, Session, SessionConfig};
//! use xmpp_tokio::{ClientConfig, Trust};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session_config = SessionConfig {
//!     liveness: Some(Liveness { ping_after_quiet: Duration::from_secs(30), ping_timeout: Duration::from_secs(15) }),
//!     reconnect: Some(Reconnect {
//!         backoff: Backoff { max: Duration::from_secs(60), ..Backoff::default() },
//!         max_attempts: Some(20),
//!         ..Reconnect::default()
//!     }),
//! };
//! let config = ClientConfig::trusting(&Trust::webpki_roots())?;
//! let bot = Session::connect_with_config(&"bot@example.com".parse()?, "secret", &config, session_config).await?;
//! # let _ = bot;
//! # Ok(()) }
//! ```

mod link;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rand_core::OsRng;
use tokio::sync::{mpsc, oneshot, watch};
use xmpp_im::client::SubscriptionRequest;
pub use xmpp_im::session::{
    Backoff, DisconnectReason, Liveness, Reconnect, SessionConfig, SessionEvent,
};
use xmpp_im::session::{ClientSession, Reconnector};
use xmpp_jid::BareJid;
use xmpp_stanza::{Iq, PendingError, StanzaError};
use xmpp_stream::connection::{CloseReason, Event};
use xmpp_stream::xml::Element;

use self::link::{LinkLeftovers, Redial, attempt_failure, open_next_link};
use crate::client::{Client, ClientConfig};
use crate::driver::{DriverError, Handle};
use crate::error::ConnectError;

/// How many session events wait for the application before the task stops reading.
const EVENT_QUEUE: usize = 64;
/// How many commands of the application wait for the task.
const COMMAND_QUEUE: usize = 64;

/// Why an IQ request got no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The entity answered with an error.
    #[error("the request was answered with an error: {0:?}")]
    Error(StanzaError),
    /// The request could not be registered (too many pending, or not a get/set).
    #[error(transparent)]
    Pending(#[from] PendingError),
    /// No answer in time. The variant the blocking adapter's `request` returns after its
    /// timeout, kept here so that both adapters share one error shape;
    /// [`SessionHandle::request`] has no timeout of its own and does not return it.
    #[error("no answer in time")]
    Timeout,
    /// The link was lost before the answer came: the request may or may not have reached its
    /// recipient. The session may be reconnecting; send it again if that is safe.
    #[error("the link was lost before the answer came")]
    LinkLost,
    /// The session ended before the request could be sent.
    #[error("the session ended")]
    Closed,
}

enum Command {
    Request(
        Box<Iq>,
        oneshot::Sender<Result<Option<Element>, RequestError>>,
    ),
    Chat(BareJid, String),
    Send(Element),
    Answer(Box<Iq>, Result<Option<Element>, StanzaError>),
    Subscription(SubscriptionRequest),
    Close,
}

/// Sends on the session; cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Command>,
    /// Set by [`close`](Self::close): no reconnection after it, and a wait for one ends.
    stop: Arc<watch::Sender<bool>>,
}

/// A logged-in client: its bound JID, a handle to act, and its typed events.
#[derive(Debug)]
pub struct Session {
    /// Acts on the session.
    pub handle: SessionHandle,
    /// What happens, in order; ends after [`SessionEvent::Disconnected`].
    pub events: mpsc::Receiver<SessionEvent>,
    /// The full JID bound at login (after a reconnection, [`SessionEvent::Reconnected`]
    /// carries the new link's).
    pub jid: xmpp_jid::FullJid,
}

impl Session {
    /// Connects and logs in ([`Client::connect`]) with the default [`SessionConfig`]
    /// (liveness pings, and reconnection with back-off when the link is lost); the roster
    /// get and initial presence follow at once, then [`SessionEvent::Online`].
    ///
    /// # Errors
    /// What [`Client::connect`] returns: the first login is not retried, so that a wrong
    /// password or an unreachable server is reported at once.
    pub async fn connect(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
    ) -> Result<Session, ConnectError> {
        Session::connect_with_config(jid, password, config, SessionConfig::default()).await
    }

    /// [`connect`](Self::connect) with liveness and reconnection as `session` says. The
    /// password and `config` are kept for reconnecting.
    ///
    /// # Errors
    /// What [`Client::connect`] returns.
    pub async fn connect_with_config(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
        session: SessionConfig,
    ) -> Result<Session, ConnectError> {
        let client = Client::connect(jid, password, config).await?;
        let redial = session.reconnect.map(|policy| Redial {
            jid: jid.clone(),
            password: password.to_owned(),
            config: config.clone(),
            reconnector: Reconnector::new(policy),
        });
        Ok(Session::spawn(client, &session, redial))
    }

    /// Runs the session on an established client, with the default liveness. It does not
    /// reconnect: the client carries no credentials, so a lost link ends the session.
    pub fn start(client: Client) -> Session {
        Session::start_with_config(client, &SessionConfig::default())
    }

    /// [`start`](Self::start) with `session`'s liveness (its `reconnect` is not used).
    pub fn start_with_config(client: Client, session: &SessionConfig) -> Session {
        Session::spawn(client, session, None)
    }

    fn spawn(client: Client, config: &SessionConfig, redial: Option<Redial>) -> Session {
        let (tx, commands) = mpsc::channel(COMMAND_QUEUE);
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let (stop_tx, stop) = watch::channel(false);
        let jid = client.jid.clone();
        let runner = Runner {
            session: ClientSession::with_config(client.jid.to_bare(), config),
            commands,
            commands_open: true,
            waiting: HashMap::new(),
            stop,
            redial,
            events: events_tx,
        };
        tokio::spawn(runner.run(client));
        Session {
            handle: SessionHandle {
                tx,
                stop: Arc::new(stop_tx),
            },
            events,
            jid,
        }
    }
}

impl SessionHandle {
    async fn command(&self, command: Command) -> Result<(), DriverError> {
        self.tx.send(command).await.map_err(|_| DriverError::Closed)
    }

    /// Sends an IQ request (its id is replaced by a fresh one) and waits for the answer: the
    /// result's payload, or why there is none. While the session reconnects, the request
    /// waits and goes out on the new link.
    ///
    /// # Errors
    /// [`RequestError`]: an error answer, a refused registration, the link lost before the
    /// answer, or the end of the session.
    pub async fn request(&self, iq: Iq) -> Result<Option<Element>, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.command(Command::Request(Box::new(iq), tx))
            .await
            .map_err(|_| RequestError::Closed)?;
        rx.await.map_err(|_| RequestError::Closed)?
    }

    /// Sends a chat message to a contact (to the full JID the chat is locked to, if any).
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn send_chat(&self, to: &BareJid, body: &str) -> Result<(), DriverError> {
        self.command(Command::Chat(to.clone(), body.to_owned()))
            .await
    }

    /// Sends any stanza as it is. A presence without `to` is the application's presence:
    /// it is sent again after every reconnection.
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn send(&self, stanza: impl Into<Element>) -> Result<(), DriverError> {
        self.command(Command::Send(stanza.into())).await
    }

    /// Answers a [`SessionEvent::IqRequest`].
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn answer(
        &self,
        request: &Iq,
        answer: Result<Option<Element>, StanzaError>,
    ) -> Result<(), DriverError> {
        self.command(Command::Answer(Box::new(request.clone()), answer))
            .await
    }

    /// Asks, approves, refuses or cancels a subscription.
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn subscription(&self, request: SubscriptionRequest) -> Result<(), DriverError> {
        self.command(Command::Subscription(request)).await
    }

    /// Closes the stream after what was sent before; [`SessionEvent::Disconnected`]
    /// follows. No reconnection after it: a wait for one, or an attempt under way, ends
    /// at once (then `Disconnected` carries why the link had been lost).
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn close(&self) -> Result<(), DriverError> {
        if self.tx.is_closed() || self.stop.is_closed() {
            return Err(DriverError::Closed);
        }
        self.stop.send_replace(true);
        // In order after what was sent before; a task that ended meanwhile has closed.
        let _ = self.command(Command::Close).await;
        Ok(())
    }
}

type Reply = oneshot::Sender<Result<Option<Element>, RequestError>>;

/// The session's task: the sans-IO session, the application's side, and what reconnecting
/// needs. The fields drop in order: the events last, so that an application that saw them
/// end finds the handles closed.
struct Runner {
    session: ClientSession,
    commands: mpsc::Receiver<Command>,
    /// Whether any handle is left.
    commands_open: bool,
    /// Requests whose answer the caller awaits, by id.
    waiting: HashMap<String, Reply>,
    /// Set once the application closed.
    stop: watch::Receiver<bool>,
    /// `None`: the session does not reconnect.
    redial: Option<Redial>,
    events: mpsc::Sender<SessionEvent>,
}

impl Runner {
    async fn run(mut self, first: Client) {
        let mut link = first;
        self.begin(&link);
        loop {
            let reason = self.serve(&mut link).await;
            let leftovers = LinkLeftovers {
                bound: link.jid.clone(),
                managed: self.session.take_stream_management(),
            };
            // Dropping the handle and the events of the lost link ends its driver (its
            // socket closes, at the latest after the profile's close timeout).
            drop(link);
            match self.reconnect(reason, leftovers).await {
                Some(next) => link = next,
                None => return,
            }
        }
    }

    /// A link is logged in: the session starts on it (the login consumed the machine's
    /// `Bound` and `Established`).
    fn begin(&mut self, link: &Client) {
        let now = Instant::now();
        self.session
            .handle(now, Event::Bound(link.jid.clone()), &mut OsRng);
        self.session.handle(now, Event::Established, &mut OsRng);
    }

    /// Passes an event on. A dropped receiver: the application stopped listening; its
    /// requests are still served.
    async fn emit(&self, event: SessionEvent) {
        let _ = self.events.send(event).await;
    }

    /// Serves one link until the session reports its end, and returns why.
    async fn serve(&mut self, link: &mut Client) -> DisconnectReason {
        loop {
            // A refusal was logged; a closed connection still reports Closed.
            let _ = flush(&mut self.session, &link.handle).await;
            while let Some(event) = self.session.poll_event() {
                match event {
                    SessionEvent::IqResponse { id, result } => match self.waiting.remove(&id) {
                        Some(reply) => {
                            let _ = reply.send(result.map_err(RequestError::Error));
                        }
                        None => self.emit(SessionEvent::IqResponse { id, result }).await,
                    },
                    SessionEvent::RequestLost { id } => match self.waiting.remove(&id) {
                        Some(reply) => {
                            let _ = reply.send(Err(RequestError::LinkLost));
                        }
                        None => self.emit(SessionEvent::RequestLost { id }).await,
                    },
                    SessionEvent::Disconnected(reason) => return reason,
                    other => {
                        if let (SessionEvent::Online { .. }, Some(redial)) =
                            (&other, self.redial.as_mut())
                        {
                            redial.reconnector.online(Instant::now());
                        }
                        self.emit(other).await;
                    }
                }
            }
            let timer = self.session.poll_timeout();
            let sleep = async {
                match timer {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = link.events.next() => {
                    let event = event.unwrap_or(Event::Closed(CloseReason::TransportClosed));
                    self.session.handle(Instant::now(), event, &mut OsRng);
                }
                command = self.commands.recv(), if self.commands_open => match command {
                    Some(command) => self.command(command, link).await,
                    None => {
                        // Every handle is gone: the session runs until the stream ends, or
                        // ends it when nobody listens either.
                        self.commands_open = false;
                        if self.events.is_closed() {
                            let _ = link.handle.close().await;
                        }
                    }
                },
                () = sleep => self.session.handle_timeout(Instant::now()),
            }
        }
    }

    async fn command(&mut self, command: Command, link: &Client) {
        match command {
            Command::Request(iq, reply) => match self.session.request(*iq, &mut OsRng) {
                // Everything queued before went out at the top of the loop: the request is
                // the only stanza waiting, so a refusal is the request's.
                Ok(id) => match flush(&mut self.session, &link.handle).await {
                    Ok(()) => {
                        self.waiting.insert(id, reply);
                    }
                    Err(e) => {
                        self.session.cancel_request(&id);
                        let _ = reply.send(Err(match e {
                            DriverError::Closed => RequestError::LinkLost,
                            other => RequestError::Error(
                                StanzaError::new(xmpp_stanza::Condition::BadRequest)
                                    .with_text(None, other.to_string()),
                            ),
                        }));
                    }
                },
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Chat(to, body) => self.session.send_chat(&to, &body),
            Command::Send(el) => self.session.send(el),
            Command::Answer(request, answer) => self.session.answer(&request, answer),
            Command::Subscription(request) => self.session.subscription(&request),
            Command::Close => {
                let _ = link.handle.close().await;
            }
        }
    }

    /// Whether the application wants no more links: it closed, or it dropped every handle
    /// and its events.
    fn stopped(&self) -> bool {
        *self.stop.borrow() || (!self.commands_open && self.events.is_closed())
    }

    /// After a lost link: waits and attempts until a new link is logged in (returned), or
    /// ends the session (`None`, after [`SessionEvent::Disconnected`]).
    async fn reconnect(
        &mut self,
        mut reason: DisconnectReason,
        previous: LinkLeftovers,
    ) -> Option<Client> {
        loop {
            let stopped = self.stopped();
            let attempt = match self.redial.as_mut() {
                Some(redial) if !stopped => {
                    redial
                        .reconnector
                        .next_attempt(Instant::now(), &reason, &mut OsRng)
                }
                _ => None,
            };
            let Some(attempt) = attempt else {
                self.finish(reason).await;
                return None;
            };
            self.emit(SessionEvent::Reconnecting {
                attempt: attempt.number,
                delay: attempt.delay,
                reason: reason.clone(),
            })
            .await;
            let mut stop = self.stop.clone();
            let closed = async move {
                // A sender gone without closing (every handle dropped) never stops a wait.
                if stop.wait_for(|closed| *closed).await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let Some(redial) = self.redial.as_ref() else {
                // Not reached: an attempt comes from the redial.
                self.finish(reason).await;
                return None;
            };
            let attempted = async {
                tokio::time::sleep(attempt.delay).await;
                open_next_link(redial, &previous).await
            };
            let outcome = tokio::select! {
                outcome = attempted => Some(outcome),
                () = closed => None,
            };
            match outcome {
                Some(Ok(link)) => {
                    tracing::debug!(jid = %link.jid, attempt = attempt.number, "reconnected");
                    self.emit(SessionEvent::Reconnected {
                        jid: link.jid.clone(),
                        attempt: attempt.number,
                        resumed: link.resumed,
                    })
                    .await;
                    if link.resumed {
                        // Online again at once: the session went on where it was.
                        self.session.resumed(Instant::now(), link.jid.clone());
                        if let Some(redial) = self.redial.as_mut() {
                            redial.reconnector.online(Instant::now());
                        }
                    } else {
                        self.session.reconnecting();
                        self.begin(&link);
                        resend_messages(&mut self.session, &link.not_resumed);
                    }
                    return Some(link);
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, attempt = attempt.number, "reconnection attempt failed");
                    reason = attempt_failure(error);
                }
                // Closed by the application meanwhile: the next turn ends the session.
                None => {}
            }
        }
    }

    /// The session is over: requests still waiting fail, then the last event.
    async fn finish(&mut self, reason: DisconnectReason) {
        self.session.give_up();
        for (_, reply) in self.waiting.drain() {
            let _ = reply.send(Err(RequestError::Closed));
        }
        self.emit(SessionEvent::Disconnected(reason)).await;
    }
}

/// After a refused resumption: the old session's messages the server never acknowledged
/// go out again on the new one (requests were reported lost, presence is sent again by the
/// resynchronisation).
fn resend_messages(session: &mut ClientSession, unacked: &[Element]) {
    for el in unacked.iter().filter(|el| el.name() == "message") {
        session.send(el.clone());
    }
}

/// Sends what the session queued, in order, waiting for room (backpressure). A stanza the
/// machine refuses is skipped and the rest still go out; the first refusal is returned (and a
/// closed connection at once).
async fn flush(session: &mut ClientSession, handle: &Handle) -> Result<(), DriverError> {
    let mut first = Ok(());
    while let Some(el) = session.poll_transmit() {
        match handle.send(el).await {
            Ok(()) => {}
            Err(DriverError::Closed) => return Err(DriverError::Closed),
            Err(e) => {
                tracing::debug!(error = %e, "the stream refused a stanza of the session");
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
    }
    first
}
