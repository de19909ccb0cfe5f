//! [`ClientSession`]: the client side of RFC 6121 as one sans-IO object on top of a connection
//! machine. It takes the machine's events, keeps the roster, contacts' presence and chat
//! sessions, follows the session order of RFC 6121 (roster get, versioned, before initial
//! presence: UCR-ROSTER-24, UCR-PRES-1, UCR-PRES-24), matches IQ responses to the requests the
//! application sent, answers what a client must answer itself (roster pushes, XEP-0199 pings),
//! and hands the application typed [`SessionEvent`]s. Stanzas to send come out of
//! [`ClientSession::poll_transmit`], for `Connection::send`.
//!
//! ```
//! use xmpp_im::session::{ClientSession, SessionEvent};
//! use xmpp_stanza::{Iq, Message, Presence, Stanza};
//! use xmpp_stream::connection::Event;
//! use xmpp_stream::xml::Element;
//!
//! let mut session = ClientSession::new("juliet@example.com".parse().unwrap());
//! # use rand_core::SeedableRng;
//! let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! // The machine bound a resource and established the stream: the roster get goes out first.
//! session.handle(Event::Bound("juliet@example.com/balcony".parse().unwrap()), rng);
//! session.handle(Event::Established, rng);
//! let get = Iq::try_from(&session.poll_transmit().unwrap()).unwrap();
//! assert!(session.poll_transmit().is_none(), "no presence before the roster");
//!
//! // The roster arrives: initial presence follows and the session is online.
//! let result: Element = format!(
//!     "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster' ver='1'>\
//!      <item jid='romeo@example.net' subscription='both'/></query></iq>", get.id).parse().unwrap();
//! session.handle(Event::Stanza(result), rng);
//! assert_eq!(session.poll_event(), Some(SessionEvent::Online { roster_items: 1 }));
//! assert_eq!(session.poll_transmit().unwrap().name(), "presence");
//!
//! // A chat message arrives typed.
//! let msg: Element = "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard'>\
//!                     <body>Hi</body></message>".parse().unwrap();
//! session.handle(Event::Stanza(msg), rng);
//! let Some(SessionEvent::Message(m)) = session.poll_event() else { panic!() };
//! assert_eq!(m.body(), Some("Hi"));
//! // The reply goes to the full JID the chat is locked to.
//! session.send_chat(&"romeo@example.net".parse().unwrap(), "Hello");
//! let reply = Message::try_from(&session.poll_transmit().unwrap()).unwrap();
//! assert_eq!(reply.to.unwrap().as_str(), "romeo@example.net/orchard");
//! ```

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{
    Condition, IdGenerator, Iq, IqPayload, Message, PendingError, PendingIqs, Presence,
    PresenceType, Stanza, StanzaError,
};
use xmpp_stream::connection::{CloseReason, Event};
use xmpp_stream::xml::Element;

use crate::client::{ChatSessions, PresenceTracker, RosterTracker, SubscriptionRequest};
use crate::jid::{BareJid, FullJid};
use crate::stanza_bridge as bridge;

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
    /// The stream ended; requests still waiting are answered with errors before this.
    Disconnected(CloseReason),
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
    initial_presence: Presence,
    transmit: VecDeque<Element>,
    events: VecDeque<SessionEvent>,
}

impl ClientSession {
    /// A session for `account`, sending plain available presence once the roster is in.
    pub fn new(account: BareJid) -> ClientSession {
        ClientSession {
            roster: RosterTracker::new(account.clone()),
            presence: PresenceTracker::new(account.clone()),
            account,
            jid: None,
            phase: Phase::Connecting,
            chats: ChatSessions::new(),
            pending: PendingIqs::default(),
            ids: IdGenerator::new(),
            initial_presence: Presence::available(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Sends this presence instead of plain available once the roster is loaded.
    #[must_use]
    pub fn with_initial_presence(mut self, presence: Presence) -> ClientSession {
        self.initial_presence = presence;
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

    /// Prepares the session for a new stream after a disconnection (the adapter reconnects):
    /// the roster is kept, so the next roster get carries its version (RFC 6121 §2.6) and only
    /// the changes come back; contacts' presence is forgotten (the server sends it again after
    /// initial presence); nothing queued for the old stream is sent on the new one.
    pub fn reconnecting(&mut self) {
        self.jid = None;
        self.phase = Phase::Connecting;
        self.presence.clear();
        self.transmit.clear();
    }

    /// One event of the connection machine.
    pub fn handle<R: RngCore + CryptoRng>(&mut self, event: Event, rng: &mut R) {
        match event {
            Event::Bound(jid) => self.jid = Some(jid),
            Event::Established if self.phase == Phase::Connecting => {
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
            Event::Closed(reason) => self.closed(reason),
            _ => {}
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

    /// Sends any stanza as it is.
    pub fn send(&mut self, stanza: impl Into<Element>) {
        self.transmit.push_back(stanza.into());
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
                self.transmit
                    .push_back(self.initial_presence.clone().into());
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

    fn closed(&mut self, reason: CloseReason) {
        // Every request still waiting gets an answer: nothing waits forever.
        for request in self.pending.take_all() {
            self.events.push_back(SessionEvent::IqResponse {
                id: request.id,
                result: Err(StanzaError::new(Condition::RecipientUnavailable)),
            });
        }
        self.presence.clear();
        self.phase = Phase::Closed;
        self.events.push_back(SessionEvent::Disconnected(reason));
    }
}

/// The contacts a roster push names.
fn pushed_contacts(iq: &Iq) -> Vec<BareJid> {
    iq.payload::<RosterQuery>()
        .and_then(Result::ok)
        .map(|q| q.items.iter().map(|i| i.jid.to_bare()).collect())
        .unwrap_or_default()
}
