//! [`ClientSession`]: the client side of RFC 6121 as one sans-IO object on top of a connection
//! machine. It takes the machine's events, keeps the roster, contacts' presence and chat
//! sessions, follows the session order of RFC 6121 (roster get, versioned, before initial
//! presence: UCR-ROSTER-24, UCR-PRES-1, UCR-PRES-24), matches IQ responses to the requests the
//! application sent, answers what a client must answer itself (roster pushes, XEP-0199 pings),
//! and hands the application typed [`SessionEvent`]s. Stanzas to send come out of
//! [`ClientSession::poll_transmit`], for `Connection::send`.
//!
//! It also owns what a link's life needs, with time handed in as with the connection machine:
//! XEP-0199 liveness ([`Liveness`]: [`ClientSession::poll_timeout`] says when to call
//! [`ClientSession::handle_timeout`]; a quiet link is pinged, a silent one is reported dead as
//! [`SessionEvent::Disconnected`] with [`DisconnectReason::Unresponsive`], and the adapter then
//! drops the transport), and the pure half of reconnection: the rules and the delays
//! ([`Reconnector`], [`Backoff`], [`DisconnectReason::should_reconnect`]) the adapters follow,
//! and the resynchronisation of a new link ([`ClientSession::reconnecting`]: the roster get
//! carries the cached version, the application's own presence goes out again, requests that
//! were waiting are reported lost).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use xmpp_im::session::{ClientSession, DisconnectReason, SessionEvent};
//! use xmpp_stanza::{Iq, Message, Presence, Stanza};
//! use xmpp_stream::connection::Event;
//! use xmpp_stream::xml::Element;
//!
//! let mut session = ClientSession::new("juliet@example.com".parse().unwrap());
//! # use rand_core::SeedableRng;
//! let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let now = Instant::now();
//! // The machine bound a resource and established the stream: the roster get goes out first.
//! session.handle(now, Event::Bound("juliet@example.com/balcony".parse().unwrap()), rng);
//! session.handle(now, Event::Established, rng);
//! let get = Iq::try_from(&session.poll_transmit().unwrap()).unwrap();
//! assert!(session.poll_transmit().is_none(), "no presence before the roster");
//!
//! // The roster arrives: initial presence follows and the session is online.
//! let result: Element = format!(
//!     "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster' ver='1'>\
//!      <item jid='romeo@example.net' subscription='both'/></query></iq>", get.id).parse().unwrap();
//! session.handle(now, Event::Stanza(result), rng);
//! assert_eq!(session.poll_event(), Some(SessionEvent::Online { roster_items: 1 }));
//! assert_eq!(session.poll_transmit().unwrap().name(), "presence");
//!
//! // A chat message arrives typed.
//! let msg: Element = "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard'>\
//!                     <body>Hi</body></message>".parse().unwrap();
//! session.handle(now, Event::Stanza(msg), rng);
//! let Some(SessionEvent::Message(m)) = session.poll_event() else { panic!() };
//! assert_eq!(m.body(), Some("Hi"));
//! // The reply goes to the full JID the chat is locked to.
//! session.send_chat(&"romeo@example.net".parse().unwrap(), "Hello");
//! let reply = Message::try_from(&session.poll_transmit().unwrap()).unwrap();
//! assert_eq!(reply.to.unwrap().as_str(), "romeo@example.net/orchard");
//!
//! // Liveness (defaults: ping after 60 s of quiet, dead 30 s later): the link goes quiet.
//! let ping_at = session.poll_timeout().unwrap();
//! assert_eq!(ping_at, now + Duration::from_secs(60));
//! session.handle_timeout(ping_at);
//! let ping = Iq::try_from(&session.poll_transmit().unwrap()).unwrap();
//! assert_eq!(ping.to.unwrap().as_str(), "example.com");
//! // Nothing comes back: the link is reported dead, for the adapter to drop and reconnect.
//! session.handle_timeout(session.poll_timeout().unwrap());
//! assert_eq!(
//!     session.poll_event(),
//!     Some(SessionEvent::Disconnected(DisconnectReason::Unresponsive { silent_for: Duration::from_secs(90) }))
//! );
//! ```

mod liveness;
mod reconnect;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{
    IdGenerator, Iq, IqPayload, Message, PendingError, PendingIqs, Presence, PresenceType, Stanza,
    StanzaError,
};
use xmpp_stream::connection::Event;
use xmpp_stream::stream_management::SmSession;
use xmpp_stream::xml::Element;

use crate::client::{ChatSessions, PresenceTracker, RosterTracker, SubscriptionRequest};
use crate::jid::{BareJid, FullJid, Jid};
use crate::stanza_bridge as bridge;
pub use liveness::{Liveness, MIN_LIVENESS_INTERVAL};
use liveness::{LivenessStep, LivenessTimer};
pub use reconnect::{Attempt, Backoff, DisconnectReason, Reconnect, Reconnector};

/// How a session behaves over its links' lives: liveness (in [`ClientSession`]) and
/// reconnection (carried out by the adapters, `xmpp_tokio::Session::connect` and
/// `xmpp_blocking::Session::connect`, with [`Reconnector`]). A plain struct: set the fields
/// you need and take the rest from [`Default`].
///
/// ```
/// use xmpp_im::session::{Reconnect, SessionConfig};
///
/// // Liveness pings on, but a lost link ends the session.
/// let config = SessionConfig { reconnect: None, ..SessionConfig::default() };
/// assert!(config.liveness.is_some());
/// // Give up after ten attempts in a row.
/// let config = SessionConfig {
///     reconnect: Some(Reconnect { max_attempts: Some(10), ..Reconnect::default() }),
///     ..SessionConfig::default()
/// };
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// XEP-0199 pings on a quiet link (`None`: off). Default: [`Liveness::default`].
    pub liveness: Option<Liveness>,
    /// Reconnection after a lost link (`None`: a lost link ends the session). Default:
    /// [`Reconnect::default`]. Only an adapter's session made from credentials can reconnect.
    pub reconnect: Option<Reconnect>,
}

impl Default for SessionConfig {
    /// Liveness pings and reconnection on, with their defaults.
    fn default() -> SessionConfig {
        SessionConfig {
            liveness: Some(Liveness::default()),
            reconnect: Some(Reconnect::default()),
        }
    }
}

/// What the session tells the application, in order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The roster is loaded and initial presence sent: the session is online.
    Online {
        /// How many roster items the result carried (0 when the cached version was current).
        roster_items: usize,
    },
    /// A message (chat, normal, headline, groupchat or error).
    Message(Message),
    /// A contact's resource became available, changed its presence, or left.
    PresenceChanged(Presence),
    /// A contact asks to see our presence (answer with [`ClientSession::subscription`]).
    SubscriptionRequested {
        /// Who asks.
        from: BareJid,
        /// The request, with whatever it carries (status, nickname).
        presence: Presence,
    },
    /// A subscription changed (approved, refused, cancelled) by the contact.
    Subscription(Presence),
    /// The server pushed a roster change (already applied to [`ClientSession::roster`]).
    RosterPushed(BareJid),
    /// An IQ request for the application; answer it with [`ClientSession::answer`].
    IqRequest(Iq),
    /// The response to a request sent with [`ClientSession::request`].
    IqResponse {
        /// The request's id.
        id: String,
        /// The result's payload, or the error.
        result: Result<Option<Element>, StanzaError>,
    },
    /// The link ended before the answer to a request sent with [`ClientSession::request`]
    /// came: the request may or may not have reached its recipient (and been acted on). Send
    /// it again if repeating it is safe.
    RequestLost {
        /// The request's id.
        id: String,
    },
    /// The link is lost and the adapter will make attempt number `attempt` after `delay`
    /// (emitted by the adapters, never by the sans-IO session; one per attempt). Events
    /// continue after it.
    Reconnecting {
        /// 1 for the first attempt after a working link.
        attempt: u32,
        /// How long the adapter waits before the attempt.
        delay: Duration,
        /// Why the link ended, or why the previous attempt failed.
        reason: DisconnectReason,
    },
    /// A new link is established (emitted by the adapters). Resumed (XEP-0198): the session
    /// goes on as it was, with the same full JID; what either side had not handled was sent
    /// again, nothing else follows. Bound anew: the roster get, with the cached version, is
    /// out and [`SessionEvent::Online`] follows once it is answered.
    Reconnected {
        /// The full JID of the new link (the same resource was asked for).
        jid: FullJid,
        /// The attempt that succeeded.
        attempt: u32,
        /// The session was resumed rather than bound anew.
        resumed: bool,
    },
    /// The session is over: the last event. Requests still waiting were reported with
    /// [`SessionEvent::RequestLost`] before it.
    Disconnected(DisconnectReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// The stream is being negotiated.
    Connecting,
    /// The roster get with this id is out.
    AwaitRoster(String),
    /// Online.
    Online,
    /// The stream ended.
    Closed,
}

/// The client session; see the [module docs](self).
#[derive(Debug)]
pub struct ClientSession {
    account: BareJid,
    jid: Option<FullJid>,
    phase: Phase,
    roster: RosterTracker,
    presence: PresenceTracker<Presence>,
    chats: ChatSessions,
    pending: PendingIqs,
    ids: IdGenerator,
    /// The application's broadcast presence: sent after the roster on every link (`None`
    /// once it broadcast `unavailable`).
    own_presence: Option<Presence>,
    liveness: LivenessTimer,
    /// Random bits drawn when the link was established, for the ids of liveness pings
    /// ([`ClientSession::handle_timeout`] takes no random source; the counter keeps the ids
    /// distinct).
    ping_entropy: u64,
    transmit: VecDeque<Element>,
    events: VecDeque<SessionEvent>,
    /// XEP-0198: the managed session the last stream handed out (`Event::Detached`), to
    /// resume on the next link.
    managed: Option<SmSession>,
    /// Where the session was when a resumable stream ended: it goes on from there when
    /// the next link resumes it.
    suspended: Option<Phase>,
    /// The adapter reconnects after a lost link ([`SessionConfig::reconnect`]).
    reconnects: bool,
}

impl ClientSession {
    /// A session for `account` with the default [`SessionConfig`] (liveness pings on),
    /// sending plain available presence once the roster is in.
    pub fn new(account: BareJid) -> ClientSession {
        ClientSession::with_config(account, &SessionConfig::default())
    }

    /// A session for `account` that follows `config` (its `reconnect` is the adapter's
    /// business; the session keeps what a new link needs either way).
    pub fn with_config(account: BareJid, config: &SessionConfig) -> ClientSession {
        ClientSession {
            roster: RosterTracker::new(account.clone()),
            presence: PresenceTracker::new(account.clone()),
            account,
            jid: None,
            phase: Phase::Connecting,
            chats: ChatSessions::new(),
            pending: PendingIqs::default(),
            ids: IdGenerator::new(),
            own_presence: Some(Presence::available()),
            liveness: LivenessTimer::new(config.liveness),
            ping_entropy: 0,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            managed: None,
            suspended: None,
            reconnects: config.reconnect.is_some(),
        }
    }

    /// Sends this presence instead of plain available once the roster is loaded.
    #[must_use]
    pub fn with_initial_presence(mut self, presence: Presence) -> ClientSession {
        self.own_presence = Some(presence);
        self
    }

    /// The bound full JID, once bound.
    pub fn jid(&self) -> Option<&FullJid> {
        self.jid.as_ref()
    }

    /// Whether the roster is loaded and initial presence sent.
    pub fn is_online(&self) -> bool {
        self.phase == Phase::Online
    }

    /// The roster as the server last said.
    pub fn roster(&self) -> &RosterTracker {
        &self.roster
    }

    /// Contacts' available resources.
    pub fn presence(&self) -> &PresenceTracker<Presence> {
        &self.presence
    }

    /// Prepares the session for a new stream after a disconnection (the adapter reconnects;
    /// then the new machine's `Bound` and `Established` follow): the roster is kept, so the
    /// next roster get carries its version (RFC 6121 §2.6) and only the changes come back;
    /// the application's own presence (the last it broadcast, or the initial one) goes out
    /// again after the roster; contacts' presence is forgotten (the server sends it again
    /// after that presence); nothing queued for the old stream is sent on the new one; a
    /// request still waiting (when the old stream's end was not handed in) is reported with
    /// [`SessionEvent::RequestLost`].
    pub fn reconnecting(&mut self) {
        self.managed = None;
        self.suspended = None;
        self.lose_pending_requests();
        self.jid = None;
        self.phase = Phase::Connecting;
        self.presence.clear();
        self.transmit.clear();
        self.liveness.stop();
    }

    /// The adapter gave up reconnecting (attempts used up, a final error, the application
    /// closed): requests still waiting for a resumption are reported with
    /// [`SessionEvent::RequestLost`] and the managed session is dropped.
    pub fn give_up(&mut self) {
        self.managed = None;
        if self.suspended.take().is_some() {
            self.lose_pending_requests();
            self.presence.clear();
        }
    }

    /// The managed session (XEP-0198) the last stream handed out when it ended, for the
    /// adapter to resume on the next link (`Client::resume` in both adapters).
    pub fn take_stream_management(&mut self) -> Option<SmSession> {
        self.managed.take()
    }

    /// The adapter resumed the session on a new link (XEP-0198; the machine reported
    /// `Resumed` instead of `Bound`): the server kept the session, so there is no roster get
    /// and no initial presence; contacts' presence as known still holds, requests still
    /// waiting are answered on the new link (the machine sent them again if the server had
    /// not handled them), and what the application queued meanwhile goes out now.
    pub fn resumed(&mut self, now: Instant, jid: FullJid) {
        self.managed = None;
        self.jid = Some(jid);
        self.phase = self.suspended.take().unwrap_or(Phase::Online);
        self.liveness.start(now);
    }

    /// One event of the connection machine, received at `now` (the caller's clock). Every
    /// event counts as a sign of life for [`Liveness`]. After the session ended
    /// ([`SessionEvent::Disconnected`]) events are ignored until
    /// [`reconnecting`](Self::reconnecting).
    pub fn handle<R: RngCore + CryptoRng>(&mut self, now: Instant, event: Event, rng: &mut R) {
        if self.phase == Phase::Closed {
            return;
        }
        self.liveness.heard(now);
        match event {
            Event::Bound(jid) => self.jid = Some(jid),
            Event::Detached(managed) => self.managed = Some(*managed),
            Event::Established if self.phase == Phase::Connecting => {
                self.ping_entropy = rng.next_u64();
                self.liveness.start(now);
                let id = self.ids.next_id(rng);
                let query = RosterQuery {
                    ver: self.roster.request_ver().map(str::to_owned),
                    items: Vec::new(),
                };
                self.transmit
                    .push_back(Iq::get(None, id.clone(), query).into());
                self.phase = Phase::AwaitRoster(id);
            }
            Event::Stanza(el) => self.stanza(&el),
            Event::Closed(reason) => self.end(DisconnectReason::Stream(reason)),
            _ => {}
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due (`None`: no timer runs:
    /// liveness is off, or no link is established).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.liveness.poll_timeout()
    }

    /// Runs the timers at `now`: a link quiet for [`Liveness::ping_after_quiet`] gets an
    /// XEP-0199 ping to the server (in [`poll_transmit`](Self::poll_transmit)); one still
    /// silent [`Liveness::ping_timeout`] later ends the session with
    /// [`SessionEvent::Disconnected`]\([`DisconnectReason::Unresponsive`]): the adapter drops
    /// the transport then (and may reconnect). Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        match self.liveness.handle_timeout(now) {
            LivenessStep::Wait => {}
            LivenessStep::Ping => {
                // Any answer, result or error, is a sign of life; none is an event.
                let id = self.ids.next_id_from(self.ping_entropy);
                self.transmit
                    .push_back(Iq::get(Some(self.server()), id, Ping).into());
            }
            LivenessStep::Dead(silent_for) => {
                self.end(DisconnectReason::Unresponsive { silent_for });
            }
        }
    }

    /// The next stanza to send (`Connection::send`).
    pub fn poll_transmit(&mut self) -> Option<Element> {
        self.transmit.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Sends an IQ request (a fresh id is set); its answer comes as
    /// [`SessionEvent::IqResponse`] with the returned id.
    ///
    /// # Errors
    /// [`PendingError::Full`] when too many requests wait, [`PendingError::NotARequest`] for a
    /// result or error.
    pub fn request<R: RngCore + CryptoRng>(
        &mut self,
        mut iq: Iq,
        rng: &mut R,
    ) -> Result<String, PendingError> {
        iq.id = self.ids.next_id(rng);
        self.pending.register(&iq)?;
        let id = iq.id.clone();
        self.transmit.push_back(iq.into());
        Ok(id)
    }

    /// Forgets a request sent with [`request`](Self::request) (the caller stopped waiting for
    /// it, e.g. on its own timeout): a late answer is then dropped, no
    /// [`SessionEvent::IqResponse`] comes for it (not even when the stream ends), and it no
    /// longer counts against the limit of pending requests. Returns whether it was pending.
    pub fn cancel_request(&mut self, id: &str) -> bool {
        self.pending.cancel(id).is_some()
    }

    /// Answers an [`SessionEvent::IqRequest`] with a result (`Ok`) or an error.
    pub fn answer(&mut self, request: &Iq, answer: Result<Option<Element>, StanzaError>) {
        let reply = match answer {
            Ok(payload) => request.result_reply(payload),
            Err(error) => request.error_reply(error),
        };
        if let Ok(reply) = reply {
            self.transmit.push_back(reply.into());
        }
    }

    /// Sends a chat message to a contact, to the full JID the chat is locked to if any
    /// (RFC 6121 §5.1).
    pub fn send_chat(&mut self, contact: &BareJid, body: &str) {
        let (to, thread) = self.chats.outgoing(contact, None);
        let mut message = Message::chat(to, body);
        message.thread = thread.map(xmpp_stanza::Thread::new);
        self.transmit.push_back(message.into());
    }

    /// Sends any stanza as it is. A presence without `to` is the application's broadcast
    /// presence: the session remembers it and sends it again after the roster on every new
    /// link (an `unavailable` one means none is sent then); before the roster is in, it
    /// waits and goes out as the initial presence (RFC 6121 order).
    pub fn send(&mut self, stanza: impl Into<Element>) {
        let stanza = stanza.into();
        if let Some(presence) = broadcast_presence(&stanza) {
            self.own_presence = (presence.kind == PresenceType::Available).then_some(presence);
            if self.phase != Phase::Online {
                return;
            }
        }
        self.transmit.push_back(stanza);
    }

    /// Asks, approves, refuses or cancels a subscription (always to the bare JID).
    pub fn subscription(&mut self, request: &SubscriptionRequest) {
        self.transmit
            .push_back(bridge::subscription_presence(request).into());
    }

    fn stanza(&mut self, el: &Element) {
        // Unparsable stanzas are the server's fault; requests among them are answered.
        let stanza = match Stanza::try_from(el) {
            Ok(s) => s,
            Err(e) => {
                if let Ok(reply) = xmpp_stanza::error_reply_element(el, e.to_stanza_error()) {
                    self.transmit.push_back(reply);
                }
                return;
            }
        };
        match stanza {
            Stanza::Iq(iq) => self.iq(iq),
            Stanza::Message(m) => {
                bridge::client_message(&mut self.chats, &m);
                self.events.push_back(SessionEvent::Message(m));
            }
            Stanza::Presence(p) => self.presence_stanza(p),
        }
    }

    fn iq(&mut self, iq: Iq) {
        if let Phase::AwaitRoster(id) = &self.phase {
            if iq.id == *id && !iq.payload_kind.is_request() && self.is_from_own_account(&iq) {
                // An error result leaves the cached roster as it is; presence goes out anyway.
                let items = bridge::client_roster_result(&mut self.roster, &iq).unwrap_or(0);
                if let Some(presence) = &self.own_presence {
                    self.transmit.push_back(presence.clone().into());
                }
                self.phase = Phase::Online;
                self.events.push_back(SessionEvent::Online {
                    roster_items: items,
                });
                return;
            }
        }
        match &iq.payload_kind {
            IqPayload::Set(e) if <RosterQuery as xmpp_stanza::Payload>::matches(e) => {
                if let Ok(reply) = bridge::client_roster_push(&mut self.roster, &iq) {
                    let applied = matches!(reply.payload_kind, IqPayload::Result(_));
                    self.transmit.push_back(reply.into());
                    if applied {
                        for contact in pushed_contacts(&iq) {
                            self.events.push_back(SessionEvent::RosterPushed(contact));
                        }
                    }
                }
            }
            IqPayload::Get(_) if iq.payload::<Ping>().is_some() => {
                // XEP-0199: a client answers pings itself.
                if let Ok(reply) = iq.result_reply(None) {
                    self.transmit.push_back(reply.into());
                }
            }
            IqPayload::Get(_) | IqPayload::Set(_) => {
                self.events.push_back(SessionEvent::IqRequest(iq));
            }
            IqPayload::Result(payload) => {
                if let Some(request) = self.pending.take_response(&iq) {
                    self.events.push_back(SessionEvent::IqResponse {
                        id: request.id,
                        result: Ok(payload.clone()),
                    });
                }
            }
            IqPayload::Error { error, .. } => {
                if let Some(request) = self.pending.take_response(&iq) {
                    self.events.push_back(SessionEvent::IqResponse {
                        id: request.id,
                        result: Err(error.clone()),
                    });
                }
            }
        }
    }

    /// A response to the roster get must come from the account itself (no `from`, or the bare
    /// or full JID; RFC 6121 §2.1.4).
    fn is_from_own_account(&self, iq: &Iq) -> bool {
        match &iq.from {
            None => true,
            Some(from) => from.to_bare() == self.account,
        }
    }

    fn presence_stanza(&mut self, p: Presence) {
        let Some(from) = p.from.clone() else {
            return;
        };
        match p.kind {
            PresenceType::Subscribe => self.events.push_back(SessionEvent::SubscriptionRequested {
                from: from.to_bare(),
                presence: p,
            }),
            PresenceType::Subscribed | PresenceType::Unsubscribe | PresenceType::Unsubscribed => {
                self.events.push_back(SessionEvent::Subscription(p));
            }
            PresenceType::Probe => {}
            _ => {
                self.chats.presence_changed(&from);
                if let Ok(true) =
                    bridge::client_presence(&mut self.presence, Some(&self.roster), &p)
                {
                    self.events.push_back(SessionEvent::PresenceChanged(p));
                }
            }
        }
    }

    /// The link is over: every request still waiting is reported (nothing waits forever),
    /// then the end.
    fn end(&mut self, reason: DisconnectReason) {
        if self.reconnects && self.managed.as_ref().is_some_and(SmSession::is_resumable) {
            // The next link may resume the session: requests and contacts' presence hold
            // until it is known whether it did ([`reconnecting`](Self::reconnecting) or
            // [`resumed`](Self::resumed)).
            self.suspended = Some(self.phase.clone());
        } else {
            self.lose_pending_requests();
            self.presence.clear();
        }
        self.liveness.stop();
        self.phase = Phase::Closed;
        self.events.push_back(SessionEvent::Disconnected(reason));
    }

    fn lose_pending_requests(&mut self) {
        for request in self.pending.take_all() {
            self.events
                .push_back(SessionEvent::RequestLost { id: request.id });
        }
    }

    /// The account's server, where liveness pings go.
    fn server(&self) -> Jid {
        BareJid::from_parts(None, &self.account.as_jid().domain_part()).into_jid()
    }
}

/// The presence, if `stanza` is a broadcast one (a presence without `to`, available or
/// unavailable).
fn broadcast_presence(stanza: &Element) -> Option<Presence> {
    if stanza.name() != "presence" || stanza.attr("to").is_some() {
        return None;
    }
    Presence::try_from(stanza)
        .ok()
        .filter(|p| matches!(p.kind, PresenceType::Available | PresenceType::Unavailable))
}

/// The contacts a roster push names.
fn pushed_contacts(iq: &Iq) -> Vec<BareJid> {
    iq.payload::<RosterQuery>()
        .and_then(Result::ok)
        .map(|q| q.items.iter().map(|i| i.jid.to_bare()).collect())
        .unwrap_or_default()
}
