//! [`Session`]: a logged-in client on [`xmpp_im::session::ClientSession`], with typed events
//! and IQ round trips as one call ([`SessionHandle::request`]).
//!
//! A task owns the connection's [`Events`](crate::Events) and the sans-IO session: it feeds
//! every connection event to the session, sends what the session wants sent, completes the
//! future of each [`request`](SessionHandle::request) with its response, and passes every
//! other [`SessionEvent`] on. The event queue is bounded: an application that does not read
//! its events stops the task from reading the connection (backpressure), it never makes the
//! task buffer without bound.
//!
//! An echo bot:
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

use std::collections::HashMap;

use rand_core::OsRng;
use tokio::sync::{mpsc, oneshot};
use xmpp_im::client::SubscriptionRequest;
use xmpp_im::session::ClientSession;
pub use xmpp_im::session::SessionEvent;
use xmpp_jid::BareJid;
use xmpp_stanza::{Iq, PendingError, StanzaError};
use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;

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
    /// The session ended before the answer came.
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
}

/// A logged-in client: its bound JID, a handle to act, and its typed events.
#[derive(Debug)]
pub struct Session {
    /// Acts on the session.
    pub handle: SessionHandle,
    /// What happens, in order; ends after [`SessionEvent::Disconnected`].
    pub events: mpsc::Receiver<SessionEvent>,
    /// The bound full JID.
    pub jid: xmpp_jid::FullJid,
}

impl Session {
    /// Connects and logs in ([`Client::connect`]); the roster get and initial presence follow
    /// at once, then [`SessionEvent::Online`].
    ///
    /// # Errors
    /// What [`Client::connect`] returns.
    pub async fn connect(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
    ) -> Result<Session, ConnectError> {
        Ok(Session::start(
            Client::connect(jid, password, config).await?,
        ))
    }

    /// Runs the session on an established client.
    pub fn start(client: Client) -> Session {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let jid = client.jid.clone();
        tokio::spawn(run(client, rx, events_tx));
        Session {
            handle: SessionHandle { tx },
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
    /// result's payload, or why there is none.
    ///
    /// # Errors
    /// [`RequestError`]: an error answer, a refused registration, or the end of the session.
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

    /// Sends any stanza as it is.
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

    /// Closes the stream; [`SessionEvent::Disconnected`] follows.
    ///
    /// # Errors
    /// [`DriverError::Closed`] once the session ended.
    pub async fn close(&self) -> Result<(), DriverError> {
        self.command(Command::Close).await
    }
}

async fn run(
    mut client: Client,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<SessionEvent>,
) {
    let mut session = ClientSession::new(client.jid.to_bare());
    let mut waiting: HashMap<String, oneshot::Sender<Result<Option<Element>, RequestError>>> =
        HashMap::new();
    // The login consumed the machine's Bound and Established: the session starts from them.
    session.handle(Event::Bound(client.jid.clone()), &mut OsRng);
    session.handle(Event::Established, &mut OsRng);
    let mut commands_open = true;
    loop {
        // A refusal was logged; a closed connection still reports Closed, which ends the loop.
        let _ = flush(&mut session, &client.handle).await;
        while let Some(event) = session.poll_event() {
            match event {
                SessionEvent::IqResponse { id, result } => match waiting.remove(&id) {
                    Some(reply) => {
                        let _ = reply.send(result.map_err(RequestError::Error));
                    }
                    None => {
                        let _ = events.send(SessionEvent::IqResponse { id, result }).await;
                    }
                },
                SessionEvent::Disconnected(reason) => {
                    for (_, reply) in waiting.drain() {
                        let _ = reply.send(Err(RequestError::Closed));
                    }
                    let _ = events.send(SessionEvent::Disconnected(reason)).await;
                    return;
                }
                other => {
                    // A dropped receiver: the application stopped listening; keep serving its
                    // requests until the stream ends.
                    let _ = events.send(other).await;
                }
            }
        }
        tokio::select! {
            event = client.events.next() => match event {
                Some(event) => session.handle(event, &mut OsRng),
                None => session.handle(
                    Event::Closed(xmpp_stream::connection::CloseReason::TransportClosed),
                    &mut OsRng,
                ),
            },
            command = commands.recv(), if commands_open => match command {
                Some(Command::Request(iq, reply)) => match session.request(*iq, &mut OsRng) {
                    // Everything queued before went out at the top of the loop: the request is
                    // the only stanza waiting, so a refusal is the request's.
                    Ok(id) => match flush(&mut session, &client.handle).await {
                        Ok(()) => {
                            waiting.insert(id, reply);
                        }
                        Err(e) => {
                            session.cancel_request(&id);
                            let _ = reply.send(Err(match e {
                                DriverError::Closed => RequestError::Closed,
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
                Some(Command::Chat(to, body)) => session.send_chat(&to, &body),
                Some(Command::Send(el)) => session.send(el),
                Some(Command::Answer(request, answer)) => session.answer(&request, answer),
                Some(Command::Subscription(request)) => session.subscription(&request),
                Some(Command::Close) => {
                    let _ = client.handle.close().await;
                }
                // Every handle is gone: the session runs until the stream ends.
                None => commands_open = false,
            },
        }
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
