//! [`Session`]: a logged-in client on [`xmpp_im::session::ClientSession`], with typed events
//! ([`Session::next_event`]) and IQ round trips as one blocking call ([`Session::request`]).
//!
//! No thread and no channel: the calls of the application pump the connection. Each one
//! feeds what arrives to the sans-IO session and sends what the session wants sent (the roster
//! get, initial presence, answers to roster pushes and pings). [`request`](Session::request)
//! sends an IQ and reads until its response, keeping every other event for
//! [`next_event`](Session::next_event), in order.
//!
//! An echo bot (the `echo-bot` example is the same with a command line):
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

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand_core::OsRng;
use xmpp_im::client::SubscriptionRequest;
use xmpp_im::session::ClientSession;
pub use xmpp_im::session::SessionEvent;
use xmpp_jid::{BareJid, FullJid};
use xmpp_stanza::{Condition, Iq, PendingError, StanzaError};
use xmpp_stream::connection::{CloseReason, Event, SendError};
use xmpp_stream::xml::Element;

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
    /// No answer within the time given; the request is forgotten, a late answer is dropped.
    #[error("no answer in time")]
    Timeout,
    /// The session ended before the answer came (or had ended before the request).
    #[error("the session ended")]
    Closed,
}

/// A logged-in client with typed events; see the [module docs](self).
#[derive(Debug)]
pub struct Session {
    client: Client,
    session: ClientSession,
    /// Events taken from the session while a request waited, for `next_event`.
    queue: VecDeque<SessionEvent>,
    /// Why the stream ended, once it did (the session has been told).
    ended: Option<CloseReason>,
}

impl Session {
    /// Connects and logs in ([`Client::connect`]), then waits until the roster is in and
    /// initial presence sent: the whole within `config.login_timeout`. The events up to
    /// [`SessionEvent::Online`], `Online` included, are the first
    /// [`next_event`](Self::next_event) returns (the same sequence as after
    /// [`start`](Self::start)).
    ///
    /// # Errors
    /// What [`Client::connect`] returns; [`Error::Timeout`] (`login`) when the roster did not
    /// come in time; the stream's end ([`Error::from_close`]) when it ended before.
    pub fn connect(jid: &BareJid, password: &str, config: &ClientConfig) -> Result<Session, Error> {
        let deadline = Instant::now() + config.login_timeout;
        let mut session = Session::start(Client::connect(jid, password, config)?);
        session.wait_online(deadline)?;
        Ok(session)
    }

    /// Runs the session on a logged-in client, without blocking: the roster get goes out with
    /// the next call that does I/O, and [`SessionEvent::Online`] comes once its result is in.
    /// Stanzas received before (read by `client` but not yet taken) are not lost.
    pub fn start(client: Client) -> Session {
        let mut session = ClientSession::new(client.jid().to_bare());
        // The login consumed the machine's Bound and Established: the session starts from them.
        session.handle(Event::Bound(client.jid().clone()), &mut OsRng);
        session.handle(Event::Established, &mut OsRng);
        Session {
            client,
            session,
            queue: VecDeque::new(),
            ended: None,
        }
    }

    /// The bound full JID.
    pub fn jid(&self) -> &FullJid {
        self.client.jid()
    }

    /// Blocks until the next event, or for at most `timeout` (`Ok(None)`; `None` waits for
    /// as long as it takes). Meanwhile the connection is pumped: what the session answers
    /// itself goes out, keepalives and timers run. The end of the stream is
    /// [`SessionEvent::Disconnected`]; after it, this returns [`Error::Closed`].
    ///
    /// # Errors
    /// A transport failure (I/O, a write timeout): the session is over then, and
    /// `Disconnected` (`TransportClosed`) follows on the next call. [`Error::Closed`] once
    /// `Disconnected` was returned.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<SessionEvent>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.flush_internal(None)?;
            if let Some(event) = self.queue.pop_front().or_else(|| self.session.poll_event()) {
                return Ok(Some(event));
            }
            if let Some(reason) = &self.ended {
                return Err(Error::Closed(reason.clone()));
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            self.pump(deadline, None)?;
        }
    }

    /// Sends an IQ request (its id is replaced by a fresh one) and blocks until its answer,
    /// for at most `timeout`: the result's payload, or why there is none. Other events that
    /// arrive meanwhile are kept, in order, for [`next_event`](Self::next_event).
    ///
    /// # Errors
    /// [`RequestError`]: an error answer, a refused registration, no answer in time (the
    /// request is then forgotten: a late answer is dropped), or the end of the session
    /// (before or while waiting; its `Disconnected` comes from `next_event`).
    // The tokio adapter's shape (the error answer by value); a network round trip dwarfs the move.
    #[allow(clippy::result_large_err)]
    pub fn request(&mut self, iq: Iq, timeout: Duration) -> Result<Option<Element>, RequestError> {
        if self.ended.is_some() {
            return Err(RequestError::Closed);
        }
        let deadline = Instant::now() + timeout;
        let id = self.session.request(iq, &mut OsRng)?;
        // Everything queued before went out with the call that queued it: what the session
        // has to send now is the request.
        match self.flush(Some(&id)) {
            Ok(None) => {}
            Ok(Some(refused)) => {
                self.session.cancel_request(&id);
                return Err(match refused {
                    SendError::Closed => RequestError::Closed,
                    other => RequestError::Error(
                        StanzaError::new(Condition::BadRequest).with_text(None, other.to_string()),
                    ),
                });
            }
            Err(e) => {
                tracing::debug!(error = %e, "the transport failed while sending a request");
                return Err(RequestError::Closed);
            }
        }
        loop {
            while let Some(event) = self.session.poll_event() {
                match event {
                    SessionEvent::IqResponse {
                        id: answered,
                        result,
                    } if answered == id => {
                        return result.map_err(RequestError::Error);
                    }
                    other => self.queue.push_back(other),
                }
            }
            if self.ended.is_some() {
                return Err(RequestError::Closed);
            }
            if deadline <= Instant::now() {
                self.session.cancel_request(&id);
                return Err(RequestError::Timeout);
            }
            let pumped = self
                .pump(Some(deadline), Some(&id))
                .and_then(|()| self.flush_internal(Some(&id)));
            if let Err(e) = pumped {
                tracing::debug!(error = %e, "the transport failed while a request waited");
                return Err(RequestError::Closed);
            }
        }
    }

    /// Sends a chat message to a contact (to the full JID the chat is locked to, if any).
    ///
    /// # Errors
    /// [`Error::Closed`] once the session ended; the stream's refusal ([`Error::Send`]); a
    /// transport failure.
    pub fn send_chat(&mut self, to: &BareJid, body: &str) -> Result<(), Error> {
        self.check_open()?;
        self.session.send_chat(to, body);
        self.flush_user()
    }

    /// Sends any stanza as it is.
    ///
    /// # Errors
    /// As [`send_chat`](Self::send_chat).
    pub fn send(&mut self, stanza: impl Into<Element>) -> Result<(), Error> {
        self.check_open()?;
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
        self.check_open()?;
        self.session.answer(request, answer);
        self.flush_user()
    }

    /// Asks, approves, refuses or cancels a subscription.
    ///
    /// # Errors
    /// As [`send_chat`](Self::send_chat).
    pub fn subscription(&mut self, request: SubscriptionRequest) -> Result<(), Error> {
        self.check_open()?;
        self.session.subscription(&request);
        self.flush_user()
    }

    /// Closes the stream: sends what the session still had to send and the closing tag, and
    /// waits (up to the profile's close timeout) for the server's. Events not taken yet are
    /// dropped. `Ok` when the session had already ended.
    ///
    /// # Errors
    /// As [`Client::close`].
    pub fn close(mut self) -> Result<(), Error> {
        if self.ended.is_some() {
            return Ok(());
        }
        self.flush_internal(None)?;
        self.client.close()
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.ended {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(()),
        }
    }

    /// Pumps until [`SessionEvent::Online`], keeping every event for `next_event`.
    fn wait_online(&mut self, deadline: Instant) -> Result<(), Error> {
        loop {
            self.flush_internal(None)?;
            while let Some(event) = self.session.poll_event() {
                let online = matches!(event, SessionEvent::Online { .. });
                self.queue.push_back(event);
                if online {
                    return Ok(());
                }
            }
            if let Some(reason) = &self.ended {
                return Err(Error::from_close(reason).unwrap_or(Error::Closed(reason.clone())));
            }
            if deadline <= Instant::now() {
                return Err(Error::Timeout { during: "login" });
            }
            self.pump(Some(deadline), None)?;
        }
    }

    /// Reads one event of the connection (until `deadline`) and feeds it to the session.
    /// `waiting` is the request a caller blocks on: at the end of the stream it is forgotten
    /// rather than answered with an error, so that the caller sees the end as such.
    fn pump(&mut self, deadline: Option<Instant>, waiting: Option<&str>) -> Result<(), Error> {
        let received = match deadline {
            None => self.client.recv().map(Some),
            Some(d) => self
                .client
                .recv_timeout(d.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(Some(Event::Closed(reason))) | Err(Error::Closed(reason)) => {
                self.end(reason, waiting);
            }
            Ok(Some(event)) => self.session.handle(event, &mut OsRng),
            Ok(None) => {}
            Err(e) => {
                self.end(CloseReason::TransportClosed, waiting);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Tells the session that the stream ended (once).
    fn end(&mut self, reason: CloseReason, waiting: Option<&str>) {
        if self.ended.is_some() {
            return;
        }
        if let Some(id) = waiting {
            self.session.cancel_request(id);
        }
        self.ended = Some(reason.clone());
        self.session.handle(Event::Closed(reason), &mut OsRng);
    }

    /// Writes what the session queued, in order. A stanza the stream refuses is dropped (the
    /// first refusal is returned once the rest went out); a transport failure ends the
    /// session. Nothing is written after the end.
    fn flush(&mut self, waiting: Option<&str>) -> Result<Option<SendError>, Error> {
        let mut refused = None;
        while let Some(stanza) = self.session.poll_transmit() {
            if self.ended.is_some() {
                continue;
            }
            match self.client.send(&stanza) {
                Ok(()) => {}
                Err(Error::Send(e)) => {
                    tracing::debug!(error = %e, "a stanza was refused by the stream");
                    refused.get_or_insert(e);
                }
                Err(e) => {
                    self.end(CloseReason::TransportClosed, waiting);
                    return Err(e);
                }
            }
        }
        Ok(refused)
    }

    /// [`flush`](Self::flush) of what the session queued by itself: refusals are only logged.
    fn flush_internal(&mut self, waiting: Option<&str>) -> Result<(), Error> {
        self.flush(waiting).map(drop)
    }

    /// [`flush`](Self::flush) after the application queued a stanza: a refusal is its error.
    fn flush_user(&mut self) -> Result<(), Error> {
        match self.flush(None)? {
            None => Ok(()),
            Some(refused) => Err(Error::Send(refused)),
        }
    }
}
