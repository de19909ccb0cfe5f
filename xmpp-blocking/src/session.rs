//! [`Session`]: a logged-in client on [`xmpp_im::session::ClientSession`], with typed events
//! ([`Session::next_event`]), IQ round trips as one blocking call ([`Session::request`]),
//! XEP-0199 liveness and reconnection.
//!
//! No thread and no channel: the calls of the application pump the connection. Each one
//! feeds what arrives to the sans-IO session, sends what the session wants sent (the roster
//! get, initial presence, answers to roster pushes and pings, liveness pings) and runs its
//! timers. [`request`](Session::request) sends an IQ and reads until its response, keeping
//! every other event for [`next_event`](Session::next_event), in order.
//!
//! # Liveness and reconnection
//!
//! The [`SessionConfig`] (default: [`SessionConfig::default`]) sets both. A link quiet for a
//! minute is pinged (XEP-0199); one that stays silent 30 s more is dropped. A session made by
//! [`Session::connect`] then logs in again with the same credentials and configuration, after
//! a delay that grows exponentially with jitter ([`Backoff`]), asking for the same resource.
//! The waiting and the attempts happen inside the calls: [`next_event`](Session::next_event)
//! returns [`SessionEvent::Reconnecting`] before each attempt (its timeout bounds the waiting,
//! an attempt itself takes up to the login timeout), [`SessionEvent::Reconnected`] when a new
//! link is bound, then [`SessionEvent::Online`] once the roster (fetched with its cached
//! version) is in and the application's last broadcast presence went out again. While no
//! link is up, [`request`](Session::request) waits for one within its timeout, and the
//! sending calls wait for one (making the attempts) before they send. A request whose answer
//! had not come when its link was lost fails with [`RequestError::LinkLost`]; a stanza whose
//! write fails is lost with its link (nothing says whether it went out).
//!
//! Which ends reconnect ([`DisconnectReason::should_reconnect`]): a lost or silent transport,
//! a server shutting down or restarting, any failed attempt to reach the server. Which do not:
//! [`Session::close`]; `<conflict/>` (another client took the resource over: it is not
//! fought), `<not-authorized/>`, `<policy-violation/>` and the other stream errors about this
//! client or address; refused credentials or a refused certificate on an attempt (a password
//! changed meanwhile ends the session with [`DisconnectReason::Login`]); the attempts used up
//! ([`Reconnect::max_attempts`]). Then [`SessionEvent::Disconnected`] is the last event.
//! A session made by [`Session::start`] from a connected [`Client`] has no credentials: it
//! never reconnects, a lost link ends it.
//!
//! An echo bot (the `echo-bot` example is the same with a command line; it reconnects by
//! default):
//!
//! ```no_run
//! use xmpp_blocking::{ClientConfig, Session, SessionEvent, Trust};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::trusting(&Trust::webpki_roots())?;
//! let mut bot = Session::connect(&"bot@example.com".parse()?, "secret", &config)?;
//! while let Some(event) = bot.next_event(None)? {
//!     if let SessionEvent::Message(m) = event {
//!         if let (Some(from), Some(body)) = (&m.from, m.body()) {
//!             bot.send_chat(&from.to_bare(), body)?;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! An IQ round trip, bounded:
//!
//! ```no_run
//! # fn run(session: &mut xmpp_blocking::Session) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use xmpp_stanza::{Iq, xep::ping::Ping};
//!
//! let pong = session.request(Iq::get(Some("example.com".parse()?), "", Ping), Duration::from_secs(10))?;
//! assert_eq!(pong, None, "a ping's result is empty");
//! # Ok(()) }
//! ```
//!
//! Liveness off, and at most five attempts in a row:
//!
//! ```no_run
//! use xmpp_blocking::session::{Reconnect, Session, SessionConfig};
//! use xmpp_blocking::{ClientConfig, Trust};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session_config = SessionConfig {
//!     liveness: None,
//!     reconnect: Some(Reconnect { max_attempts: Some(5), ..Reconnect::default() }),
//! };
//! let config = ClientConfig::trusting(&Trust::webpki_roots())?;
//! let bot = Session::connect_with_config(&"bot@example.com".parse()?, "secret", &config, session_config)?;
//! # let _ = bot;
//! # Ok(()) }
//! ```

mod link;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand_core::OsRng;
use xmpp_im::client::SubscriptionRequest;
use xmpp_im::session::{Attempt, ClientSession, Reconnector};
pub use xmpp_im::session::{
    Backoff, DisconnectReason, Liveness, Reconnect, SessionConfig, SessionEvent,
};
use xmpp_jid::{BareJid, FullJid};
use xmpp_stanza::{Condition, Iq, PendingError, StanzaError};
use xmpp_stream::connection::{CloseReason, Event, SendError};
use xmpp_stream::stream_management::SmSession;
use xmpp_stream::xml::Element;

use self::link::{LinkLeftovers, Redial, attempt_failure, open_next_link};
use crate::client::{Client, ClientConfig};
use crate::error::Error;

/// Why an IQ request got no result: the same variants as the tokio adapter's `RequestError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The entity answered with an error. A request the stream refuses to write (a character
    /// XML forbids, an invalid name in the payload) is answered here with `bad-request`, as
    /// a server would, without being sent.
    #[error("the request was answered with an error: {0:?}")]
    Error(StanzaError),
    /// The request could not be registered (too many pending, or not a get/set).
    #[error(transparent)]
    Pending(#[from] PendingError),
    /// No answer within the time given (or no link came up within it to send the request
    /// on); the request is forgotten, a late answer is dropped.
    #[error("no answer in time")]
    Timeout,
    /// The link was lost before the answer came: the request may or may not have reached its
    /// recipient. The session may be reconnecting; send it again if that is safe.
    #[error("the link was lost before the answer came")]
    LinkLost,
    /// The session had ended before the request.
    #[error("the session ended")]
    Closed,
}

/// A logged-in client with typed events; see the [module docs](self).
#[derive(Debug)]
pub struct Session {
    /// The current link; `None` while the session waits to reconnect, and once it ended.
    link: Option<Client>,
    session: ClientSession,
    /// Events for `next_event`, in order (the session's, and the adapter's own).
    queue: VecDeque<SessionEvent>,
    /// The full JID of the current (or last) link.
    jid: FullJid,
    /// `None`: the session does not reconnect.
    redial: Option<Redial>,
    /// While no link is up: the next attempt and when it is due.
    next_attempt: Option<(Attempt, Instant)>,
    /// Why the session ended, once it did ([`SessionEvent::Disconnected`] is queued).
    ended: Option<DisconnectReason>,
    /// The lost link's managed session (XEP-0198), resumed by the next attempt that can.
    managed: Option<SmSession>,
}

impl Session {
    /// Connects and logs in ([`Client::connect`]) with the default [`SessionConfig`]
    /// (liveness pings, and reconnection with back-off when a link is lost), then waits
    /// until the roster is in and initial presence sent: the whole within
    /// `config.login_timeout`. The events up to [`SessionEvent::Online`], `Online`
    /// included, are the first [`next_event`](Self::next_event) returns (the same sequence
    /// as after [`start`](Self::start)).
    ///
    /// # Errors
    /// What [`Client::connect`] returns (the first login is not retried, so that a wrong
    /// password or an unreachable server is reported at once); [`Error::Timeout`] (`login`)
    /// when the roster did not come in time; the stream's end ([`Error::from_close`]) when it
    /// ended before.
    pub fn connect(jid: &BareJid, password: &str, config: &ClientConfig) -> Result<Session, Error> {
        Session::connect_with_config(jid, password, config, SessionConfig::default())
    }

    /// [`connect`](Self::connect) with liveness and reconnection as `session` says. The
    /// password and `config` are kept for reconnecting.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_with_config(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
        session: SessionConfig,
    ) -> Result<Session, Error> {
        let deadline = Instant::now() + config.login_timeout;
        let client = Client::connect(jid, password, config)?;
        let mut started = Session::start_with_config(client, &session);
        started.wait_online(deadline)?;
        started.redial = session.reconnect.map(|policy| {
            let mut reconnector = Reconnector::new(policy);
            reconnector.online(Instant::now());
            Redial {
                jid: jid.clone(),
                password: password.to_owned(),
                config: config.clone(),
                reconnector,
            }
        });
        Ok(started)
    }

    /// Runs the session on a logged-in client, with the default liveness, without blocking:
    /// the roster get goes out with the next call that does I/O, and
    /// [`SessionEvent::Online`] comes once its result is in. Stanzas received before (read by
    /// `client` but not yet taken) are not lost. It does not reconnect: the client carries no
    /// credentials, so a lost link ends the session.
    pub fn start(client: Client) -> Session {
        Session::start_with_config(client, &SessionConfig::default())
    }

    /// [`start`](Self::start) with `session`'s liveness (its `reconnect` is not used).
    pub fn start_with_config(client: Client, session: &SessionConfig) -> Session {
        let mut started = Session {
            jid: client.jid().clone(),
            session: ClientSession::with_config(client.jid().to_bare(), session),
            link: None,
            queue: VecDeque::new(),
            redial: None,
            next_attempt: None,
            ended: None,
            managed: None,
        };
        started.begin(client);
        started
    }

    /// The full JID of the current link (or of the last one while reconnecting).
    pub fn jid(&self) -> &FullJid {
        &self.jid
    }

    /// Blocks until the next event, or for at most `timeout` (`Ok(None)`; `None` waits for
    /// as long as it takes). Meanwhile the connection is pumped: what the session answers
    /// itself goes out, keepalives and timers run, and a lost link is replaced (the
    /// waiting between attempts is bounded by `timeout`; an attempt takes up to the login
    /// timeout). The end of the session is [`SessionEvent::Disconnected`]; after it, this
    /// returns [`Error::Closed`].
    ///
    /// # Errors
    /// [`Error::Closed`] once `Disconnected` was returned. A failing transport is no error:
    /// it is a lost link, reported as an event.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<SessionEvent>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.flush_internal();
            self.take_session_events();
            if let Some(event) = self.queue.pop_front() {
                return Ok(Some(event));
            }
            if let Some(reason) = &self.ended {
                return Err(Error::Closed(close_reason(reason)));
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            self.step(deadline);
        }
    }

    /// Sends an IQ request (its id is replaced by a fresh one) and blocks until its answer,
    /// for at most `timeout`: the result's payload, or why there is none. Other events that
    /// arrive meanwhile are kept, in order, for [`next_event`](Self::next_event). While the
    /// session reconnects, the request waits for the new link (within `timeout`).
    ///
    /// # Errors
    /// [`RequestError`]: an error answer, a refused registration, no answer in time (the
    /// request is then forgotten: a late answer is dropped), the link lost before the answer,
    /// or the end of the session before the request.
    // The tokio adapter's shape (the error answer by value); a network round trip dwarfs the move.
    #[allow(clippy::result_large_err)]
    pub fn request(&mut self, iq: Iq, timeout: Duration) -> Result<Option<Element>, RequestError> {
        let deadline = Instant::now() + timeout;
        if !self.wait_for_link(Some(deadline)) {
            return Err(if self.ended.is_some() {
                RequestError::Closed
            } else {
                RequestError::Timeout
            });
        }
        let id = self.session.request(iq, &mut OsRng)?;
        // Everything queued before went out with the call that queued it: what the session
        // has to send now is the request.
        if let Some(refused) = self.flush() {
            self.session.cancel_request(&id);
            return Err(match refused {
                SendError::Closed => RequestError::LinkLost,
                other => RequestError::Error(
                    StanzaError::new(Condition::BadRequest).with_text(None, other.to_string()),
                ),
            });
        }
        loop {
            self.take_session_events();
            let answer = self.queue.iter().position(|e| match e {
                SessionEvent::IqResponse { id: answered, .. }
                | SessionEvent::RequestLost { id: answered } => *answered == id,
                _ => false,
            });
            match answer.and_then(|i| self.queue.remove(i)) {
                Some(SessionEvent::IqResponse { result, .. }) => {
                    return result.map_err(RequestError::Error);
                }
                Some(_) => return Err(RequestError::LinkLost),
                None => {}
            }
            if deadline <= Instant::now() {
                self.session.cancel_request(&id);
                return Err(RequestError::Timeout);
            }
            self.step(Some(deadline));
            self.flush_internal();
        }
    }

    /// Sends a chat message to a contact (to the full JID the chat is locked to, if any).
    /// While the session reconnects, this waits for the new link.
    ///
    /// # Errors
    /// [`Error::Closed`] once the session ended; the stream's refusal ([`Error::Send`]).
    pub fn send_chat(&mut self, to: &BareJid, body: &str) -> Result<(), Error> {
        self.ready_to_send()?;
        self.session.send_chat(to, body);
        self.flush_user()
    }

    /// Sends any stanza as it is. A presence without `to` is the application's presence:
    /// it is sent again after every reconnection.
    ///
    /// # Errors
    /// As [`send_chat`](Self::send_chat).
    pub fn send(&mut self, stanza: impl Into<Element>) -> Result<(), Error> {
        self.ready_to_send()?;
        self.session.send(stanza);
        self.flush_user()
    }

    /// Answers a [`SessionEvent::IqRequest`] with a result (`Ok`) or an error.
    ///
    /// # Errors
    /// As [`send_chat`](Self::send_chat).
    pub fn answer(
        &mut self,
        request: &Iq,
        answer: Result<Option<Element>, StanzaError>,
    ) -> Result<(), Error> {
        self.ready_to_send()?;
        self.session.answer(request, answer);
        self.flush_user()
    }

    /// Asks, approves, refuses or cancels a subscription.
    ///
    /// # Errors
    /// As [`send_chat`](Self::send_chat).
    pub fn subscription(&mut self, request: SubscriptionRequest) -> Result<(), Error> {
        self.ready_to_send()?;
        self.session.subscription(&request);
        self.flush_user()
    }

    /// Closes the stream: sends what the session still had to send and the closing tag, and
    /// waits (up to the profile's close timeout) for the server's. Events not taken yet are
    /// dropped; nothing reconnects. `Ok` when the session had already ended or no link was
    /// up.
    ///
    /// # Errors
    /// As [`Client::close`].
    pub fn close(mut self) -> Result<(), Error> {
        if self.ended.is_some() {
            return Ok(());
        }
        self.flush_internal();
        match self.link.take() {
            Some(link) => link.close(),
            None => Ok(()),
        }
    }

    /// Waits for a link (making the attempts), then `Ok`; the end of the session is
    /// [`Error::Closed`].
    fn ready_to_send(&mut self) -> Result<(), Error> {
        if self.wait_for_link(None) {
            return Ok(());
        }
        let reason = self
            .ended
            .as_ref()
            .map_or(CloseReason::TransportClosed, close_reason);
        Err(Error::Closed(reason))
    }

    /// Drives the reconnection until a link is up (`true`), the session ended or `deadline`
    /// passed (`false`). Events meanwhile are kept for `next_event`.
    fn wait_for_link(&mut self, deadline: Option<Instant>) -> bool {
        loop {
            self.take_session_events();
            if self.ended.is_some() {
                return false;
            }
            if self.link.is_some() {
                return true;
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return false;
            }
            self.step(deadline);
        }
    }

    /// Pumps until [`SessionEvent::Online`], keeping every event for `next_event`. A lost
    /// link ends the session here (no reconnection is set up yet).
    fn wait_online(&mut self, deadline: Instant) -> Result<(), Error> {
        loop {
            self.flush_internal();
            self.take_session_events();
            if self
                .queue
                .iter()
                .any(|e| matches!(e, SessionEvent::Online { .. }))
            {
                return Ok(());
            }
            if let Some(reason) = &self.ended {
                let reason = close_reason(reason);
                return Err(Error::from_close(&reason).unwrap_or(Error::Closed(reason)));
            }
            if deadline <= Instant::now() {
                return Err(Error::Timeout { during: "login" });
            }
            self.step(Some(deadline));
        }
    }

    /// A logged-in link: the session starts on it (the login consumed the machine's `Bound`
    /// and `Established`).
    fn begin(&mut self, client: Client) {
        let now = Instant::now();
        self.jid = client.jid().clone();
        self.session
            .handle(now, Event::Bound(client.jid().clone()), &mut OsRng);
        self.session.handle(now, Event::Established, &mut OsRng);
        self.link = Some(client);
    }

    /// One step, blocking until `deadline` at most: one event of the link (or a timer of the
    /// session) when a link is up; otherwise the wait for the next attempt, and the attempt.
    fn step(&mut self, deadline: Option<Instant>) {
        if self.link.is_some() {
            self.pump(deadline);
        } else if let Some((attempt, due)) = self.next_attempt {
            let now = Instant::now();
            let wake = deadline.map_or(due, |d| d.min(due));
            if wake > now {
                std::thread::sleep(wake - now);
            }
            if due <= Instant::now() {
                self.next_attempt = None;
                self.attempt(attempt);
            }
        } else if self.ended.is_none() {
            // No link and nothing scheduled: nothing can bring one back.
            self.end(DisconnectReason::Stream(CloseReason::TransportClosed));
        }
    }

    /// Reads one event of the link, or runs the session's timer when it is due first.
    fn pump(&mut self, deadline: Option<Instant>) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let timer = self.session.poll_timeout();
        let wake = match (deadline, timer) {
            (Some(d), Some(t)) => Some(d.min(t)),
            (d, t) => d.or(t),
        };
        let received = match wake {
            None => link.recv().map(Some),
            Some(w) => link.recv_timeout(w.saturating_duration_since(Instant::now())),
        };
        let now = Instant::now();
        match received {
            Ok(Some(event)) => self.session.handle(now, event, &mut OsRng),
            Ok(None) => {}
            Err(Error::Closed(reason)) => {
                self.session.handle(now, Event::Closed(reason), &mut OsRng);
            }
            Err(e) => {
                tracing::debug!(error = %e, "the transport failed");
                self.session
                    .handle(now, Event::Closed(CloseReason::TransportClosed), &mut OsRng);
            }
        }
        if timer.is_some_and(|t| t <= Instant::now()) {
            self.session.handle_timeout(Instant::now());
        }
    }

    /// Makes one reconnection attempt: a new link, or the next attempt scheduled (or the
    /// end).
    fn attempt(&mut self, attempt: Attempt) {
        let Some(redial) = self.redial.as_ref() else {
            self.end(DisconnectReason::Stream(CloseReason::TransportClosed));
            return;
        };
        let previous = LinkLeftovers {
            bound: self.jid.clone(),
            managed: self.managed.clone(),
        };
        match open_next_link(redial, &previous) {
            Ok(client) => {
                tracing::debug!(jid = %client.jid(), attempt = attempt.number, "reconnected");
                self.queue.push_back(SessionEvent::Reconnected {
                    jid: client.jid().clone(),
                    attempt: attempt.number,
                    resumed: client.resumed(),
                });
                self.managed = None;
                if client.resumed() {
                    // Online again at once: the session went on where it was.
                    self.jid = client.jid().clone();
                    self.session.resumed(Instant::now(), client.jid().clone());
                    if let Some(redial) = self.redial.as_mut() {
                        redial.reconnector.online(Instant::now());
                    }
                    self.link = Some(client);
                } else {
                    let mut client = client;
                    let unacked = client.take_not_resumed();
                    self.session.reconnecting();
                    self.begin(client);
                    // The old session's messages the server never acknowledged go out again.
                    for el in unacked.into_iter().filter(|el| el.name() == "message") {
                        self.session.send(el);
                    }
                }
            }
            Err(error) => {
                tracing::debug!(%error, attempt = attempt.number, "reconnection attempt failed");
                self.link_lost(attempt_failure(error));
            }
        }
    }

    /// Moves the session's events to the queue, turning the end of a link into the next
    /// attempt or the end of the session.
    fn take_session_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                SessionEvent::Disconnected(reason) => self.link_lost(reason),
                event => {
                    if let (SessionEvent::Online { .. }, Some(redial)) =
                        (&event, self.redial.as_mut())
                    {
                        redial.reconnector.online(Instant::now());
                    }
                    self.queue.push_back(event);
                }
            }
        }
    }

    /// The link ended (or an attempt failed) for `reason`: schedules the next attempt, or
    /// ends the session. The transport of a lost link is dropped here.
    fn link_lost(&mut self, reason: DisconnectReason) {
        self.link = None;
        if let Some(managed) = self.session.take_stream_management() {
            self.managed = Some(managed);
        }
        let next = self.redial.as_mut().and_then(|r| {
            r.reconnector
                .next_attempt(Instant::now(), &reason, &mut OsRng)
        });
        match next {
            Some(attempt) => {
                self.queue.push_back(SessionEvent::Reconnecting {
                    attempt: attempt.number,
                    delay: attempt.delay,
                    reason,
                });
                self.next_attempt = Some((attempt, Instant::now() + attempt.delay));
            }
            None => self.end(reason),
        }
    }

    /// The session is over: `Disconnected` is its last event.
    fn end(&mut self, reason: DisconnectReason) {
        self.link = None;
        self.next_attempt = None;
        self.managed = None;
        // Requests kept for a resumption that will not come are lost now, before the end.
        self.session.give_up();
        while let Some(event) = self.session.poll_event() {
            if !matches!(event, SessionEvent::Disconnected(_)) {
                self.queue.push_back(event);
            }
        }
        self.ended = Some(reason.clone());
        self.queue.push_back(SessionEvent::Disconnected(reason));
    }

    /// Writes what the session queued, in order. A stanza the stream refuses is dropped (the
    /// first refusal is returned once the rest went out); a transport failure loses the link
    /// (the session is told; what was queued is dropped). Nothing is written without a link.
    fn flush(&mut self) -> Option<SendError> {
        let mut refused = None;
        let mut broken = false;
        while let Some(stanza) = self.session.poll_transmit() {
            let Some(link) = self.link.as_mut().filter(|_| !broken) else {
                continue;
            };
            match link.send(&stanza) {
                Ok(()) => {}
                Err(Error::Send(e)) => {
                    tracing::debug!(error = %e, "a stanza was refused by the stream");
                    refused.get_or_insert(e);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "the transport failed while sending");
                    broken = true;
                    self.session.handle(
                        Instant::now(),
                        Event::Closed(CloseReason::TransportClosed),
                        &mut OsRng,
                    );
                }
            }
        }
        refused
    }

    /// [`flush`](Self::flush) of what the session queued by itself: refusals are only logged.
    fn flush_internal(&mut self) {
        self.flush();
    }

    /// [`flush`](Self::flush) after the application queued a stanza: a refusal is its error.
    fn flush_user(&mut self) -> Result<(), Error> {
        match self.flush() {
            None => Ok(()),
            Some(refused) => Err(Error::Send(refused)),
        }
    }
}

/// The stream's reason for [`Error::Closed`]: the reason itself for a stream that ended, a
/// closed transport for every other end (the event says which).
fn close_reason(reason: &DisconnectReason) -> CloseReason {
    match reason {
        DisconnectReason::Stream(reason) => reason.clone(),
        _ => CloseReason::TransportClosed,
    }
}
