//! The bridge between typed stanzas (`xmpp-stanza`) and this crate's engines and trackers.
//!
//! This module owns every conversion between the wire types and the semantic ones:
//!
//! - presence: [`xmpp_stanza::Presence`] is the engines' payload ([`PresencePayload`] reads its
//!   `<priority/>`); [`to_engine_presence`] maps its `type` onto [`Presence`], and
//!   [`from_engine_presence`] writes an engine presence back (a minimal `<presence/>` of the
//!   right type when the engine generated it);
//! - roster: [`roster_query_to_im`] / [`roster_query_from_im`] between the
//!   `<query xmlns='jabber:iq:roster'/>` payload and [`RosterQuery`];
//! - server side: [`handle_client_presence`], [`handle_remote_presence`], [`handle_roster_iq`]
//!   feed the [`ServerEngine`] from stanzas and turn its [`Action`]s into addressed stanzas
//!   ([`Outbound`], [`action_to_outbound`]); [`route_message`] and [`route_iq`] ask where a
//!   message or IQ goes, and [`bounce_message`] / [`bounce_iq`] build the error for a bounce;
//! - client side: [`client_presence`], [`client_roster_result`], [`client_roster_push`],
//!   [`client_message`] feed the trackers from received stanzas.
//!
//! ```
//! use rand_core::SeedableRng;
//! use xmpp_im::jid::FullJid;
//! use xmpp_im::server::{EngineConfig, ServerEngine};
//! use xmpp_im::stanza_bridge::{handle_roster_iq, Outbound};
//! use xmpp_im::store::MemoryRosterStore;
//! use xmpp_stanza::{IdGenerator, Iq, Stanza};
//! use xmpp_stream::xml::Element;
//!
//! let mut store = MemoryRosterStore::new();
//! store.add_account("juliet@example.com".parse().unwrap());
//! let mut server = ServerEngine::new(EngineConfig::new(["example.com"]), store);
//! let balcony: FullJid = "juliet@example.com/balcony".parse().unwrap();
//! server.bind(balcony.clone()).unwrap();
//!
//! let get: Element = "<iq xmlns='jabber:client' type='get' id='r1'>\
//!                     <query xmlns='jabber:iq:roster'/></iq>".parse().unwrap();
//! let iq = Iq::try_from(&get).unwrap();
//! let mut ids = IdGenerator::new();
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0);
//! let out = handle_roster_iq(&mut server, &balcony, &iq, &mut ids, &mut rng).unwrap();
//! let [Outbound::Local { to, stanza: Stanza::Iq(result) }] = &out[..] else { panic!() };
//! assert_eq!(to, &balcony);
//! assert_eq!(
//!     Element::from(result.clone()).to_xml().unwrap(),
//!     "<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='r1' type='result'>\
//!      <query xmlns='jabber:iq:roster' ver='0'/></iq>"
//! );
//! ```

use rand_core::{CryptoRng, RngCore};
use xmpp_stanza::roster as wire;
use xmpp_stanza::{
    IdGenerator, Iq, IqPayload, Message, ParseError, Payload, PresenceType, Stanza, StanzaError,
};

use crate::client::{ChatSessions, PresenceTracker, PushError, RosterTracker, SubscriptionRequest};
use crate::delivery::{IqDelivery, MessageDelivery, MessageType};
use crate::error::{EngineError, StanzaErrorCondition};
use crate::jid::{FullJid, Jid};
use crate::presence::{Presence, PresencePayload};
use crate::roster::{RawItem, RosterQuery};
use crate::server::{Action, RosterResult, ServerEngine};
use crate::store::RosterStore;
use crate::subscription::SubscriptionType;

/// The presence stanza the engines carry as their payload.
pub type StanzaPresence = xmpp_stanza::Presence;

impl PresencePayload for xmpp_stanza::Presence {
    fn priority(&self) -> i8 {
        self.priority
    }
}

/// Why a stanza could not be fed to an engine or tracker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// A required address is missing (`from` and `to` on a presence from a remote server,
    /// `from` on a presence for a client tracker).
    #[error("the stanza has no '{0}' address")]
    MissingAddress(&'static str),
    /// The stanza is not of the kind the function handles.
    #[error("the stanza is not {0}")]
    WrongKind(&'static str),
    /// The payload did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The engine refused the call.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A stanza the engine wants sent, already addressed and stamped.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// Send to this connected local resource.
    Local {
        /// The resource.
        to: FullJid,
        /// The stanza (its `to` is the resource).
        stanza: Stanza,
    },
    /// Route to the server of `to`'s domain.
    Remote {
        /// The addressee.
        to: Jid,
        /// The stanza.
        stanza: Stanza,
    },
    /// Deliver the account's stored offline messages to this resource.
    FlushOffline(FullJid),
}

/// Maps a presence stanza onto the engine's presence, by its `type`. The stanza itself is
/// the payload, so forwarded presence keeps all of its content.
pub fn to_engine_presence(p: StanzaPresence) -> Presence<StanzaPresence> {
    match p.kind {
        PresenceType::Available => Presence::Available(p),
        PresenceType::Unavailable => Presence::Unavailable(Some(p)),
        PresenceType::Probe => Presence::Probe,
        PresenceType::Subscribe => Presence::Subscription(SubscriptionType::Subscribe, Some(p)),
        PresenceType::Subscribed => Presence::Subscription(SubscriptionType::Subscribed, Some(p)),
        PresenceType::Unsubscribe => Presence::Subscription(SubscriptionType::Unsubscribe, Some(p)),
        PresenceType::Unsubscribed => {
            Presence::Subscription(SubscriptionType::Unsubscribed, Some(p))
        }
        PresenceType::Error => Presence::Error(p),
    }
}

fn presence_type(t: SubscriptionType) -> PresenceType {
    match t {
        SubscriptionType::Subscribe => PresenceType::Subscribe,
        SubscriptionType::Subscribed => PresenceType::Subscribed,
        SubscriptionType::Unsubscribe => PresenceType::Unsubscribe,
        SubscriptionType::Unsubscribed => PresenceType::Unsubscribed,
    }
}

/// Client side: the presence stanza of a subscription request (to the contact's bare JID).
pub fn subscription_presence(request: &SubscriptionRequest) -> StanzaPresence {
    let mut p = StanzaPresence::new(presence_type(request.kind));
    p.to = Some(request.to_jid());
    p
}

/// Writes an engine presence as a stanza from `from` to `to`: the carried stanza with its
/// addresses stamped, or a minimal `<presence/>` of the right type when the engine made it.
pub fn from_engine_presence(
    presence: Presence<StanzaPresence>,
    from: Jid,
    to: Jid,
) -> StanzaPresence {
    let (kind, payload) = match presence {
        Presence::Available(p) => (PresenceType::Available, Some(p)),
        Presence::Unavailable(p) => (PresenceType::Unavailable, p),
        Presence::Probe => (PresenceType::Probe, None),
        Presence::Subscription(t, p) => (presence_type(t), p),
        Presence::Error(p) => (PresenceType::Error, Some(p)),
    };
    let mut p = payload.unwrap_or_default();
    if kind != PresenceType::Error {
        p.kind = kind;
    }
    p.from = Some(from);
    p.to = Some(to);
    p
}

/// The wire roster query as the engine's [`RosterQuery`] (attribute values verbatim).
pub fn roster_query_to_im(q: &wire::RosterQuery) -> RosterQuery {
    RosterQuery {
        ver: q.ver.clone(),
        items: q
            .items
            .iter()
            .map(|i| RawItem {
                jid: i.jid.clone(),
                name: i.name.clone(),
                subscription: i.subscription.map(|s| s.as_str().to_owned()),
                ask: i.ask.then(|| "subscribe".to_owned()),
                approved: i.approved.then(|| "true".to_owned()),
                groups: i.groups.clone(),
            })
            .collect(),
    }
}

/// The engine's [`RosterQuery`] as the wire payload.
///
/// # Errors
/// [`ParseError::BadAttribute`] if a verbatim `subscription`, `ask` or `approved` is not a
/// defined value (never for queries the engine builds).
pub fn roster_query_from_im(q: &RosterQuery) -> Result<wire::RosterQuery, ParseError> {
    let items = q
        .items
        .iter()
        .map(|i| {
            let bad = |attr: &'static str, value: &str| ParseError::BadAttribute {
                element: "item",
                attr,
                value: value.to_owned(),
                reason: "not a defined value",
            };
            Ok(wire::RosterItem {
                jid: i.jid.clone(),
                name: i.name.clone(),
                subscription: i.subscription.as_deref().map(str::parse).transpose()?,
                ask: match i.ask.as_deref() {
                    None => false,
                    Some("subscribe") => true,
                    Some(v) => return Err(bad("ask", v)),
                },
                approved: match i.approved.as_deref() {
                    None | Some("false") | Some("0") => false,
                    Some("true") | Some("1") => true,
                    Some(v) => return Err(bad("approved", v)),
                },
                groups: i.groups.clone(),
            })
        })
        .collect::<Result<_, ParseError>>()?;
    Ok(wire::RosterQuery {
        ver: q.ver.clone(),
        items,
    })
}

fn push_iq<R: RngCore + CryptoRng>(
    to: &FullJid,
    query: &RosterQuery,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Stanza {
    // The engine only builds valid items; an invalid one would be a bug, written as empty.
    let payload = roster_query_from_im(query).unwrap_or_default();
    Stanza::Iq(Iq::set(Some(to.clone().into()), ids.next_id(rng), payload))
}

/// Turns one engine [`Action`] into the stanza to send: presence stamped with `from`/`to`,
/// a roster push as an IQ set with a fresh id, a presence error reply for `PresenceError`.
pub fn action_to_outbound<R: RngCore + CryptoRng>(
    action: Action<StanzaPresence>,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Outbound {
    match action {
        Action::DeliverPresence { to, from, presence } => Outbound::Local {
            stanza: Stanza::Presence(from_engine_presence(presence, from, to.clone().into())),
            to,
        },
        Action::RoutePresence { to, from, presence } => Outbound::Remote {
            stanza: Stanza::Presence(from_engine_presence(presence, from, to.clone())),
            to,
        },
        Action::RosterPush { to, push } => Outbound::Local {
            stanza: push_iq(&to, &push.to_query(), ids, rng),
            to,
        },
        Action::PresenceError {
            to,
            from,
            condition,
        } => {
            let mut p = StanzaPresence::new(PresenceType::Error);
            p.from = Some(from);
            p.to = Some(to.clone().into());
            p.error = Some(StanzaError::new(condition));
            Outbound::Local {
                to,
                stanza: Stanza::Presence(p),
            }
        }
        Action::FlushOffline { to } => Outbound::FlushOffline(to),
    }
}

fn outbound_all<R: RngCore + CryptoRng>(
    actions: Vec<Action<StanzaPresence>>,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Vec<Outbound> {
    actions
        .into_iter()
        .map(|a| action_to_outbound(a, ids, rng))
        .collect()
}

/// A connected local resource `from` sent this presence: runs
/// [`ServerEngine::presence_from_client`] (the stanza's `to`, if any, is the target) and
/// returns what to send.
///
/// # Errors
/// [`EngineError`] when `from` is not bound or the store failed.
pub fn handle_client_presence<S, R>(
    engine: &mut ServerEngine<StanzaPresence, S>,
    from: &FullJid,
    presence: StanzaPresence,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Result<Vec<Outbound>, EngineError>
where
    S: RosterStore<StanzaPresence>,
    R: RngCore + CryptoRng,
{
    let to = presence.to.clone();
    let actions = engine.presence_from_client(from, to.as_ref(), to_engine_presence(presence))?;
    Ok(outbound_all(actions, ids, rng))
}

/// A remote server delivered this presence (its `from` and `to` are required):
/// [`ServerEngine::presence_from_remote`].
///
/// # Errors
/// [`BridgeError::MissingAddress`] without `from` or `to`; [`BridgeError::Engine`] when `to`
/// is not local or the store failed.
pub fn handle_remote_presence<S, R>(
    engine: &mut ServerEngine<StanzaPresence, S>,
    presence: StanzaPresence,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Result<Vec<Outbound>, BridgeError>
where
    S: RosterStore<StanzaPresence>,
    R: RngCore + CryptoRng,
{
    let from = presence
        .from
        .clone()
        .ok_or(BridgeError::MissingAddress("from"))?;
    let to = presence
        .to
        .clone()
        .ok_or(BridgeError::MissingAddress("to"))?;
    let actions = engine.presence_from_remote(&from, &to, to_engine_presence(presence))?;
    Ok(outbound_all(actions, ids, rng))
}

fn reply_to(from: &FullJid, mut reply: Iq) -> Outbound {
    reply.to = Some(from.clone().into());
    Outbound::Local {
        to: from.clone(),
        stanza: Stanza::Iq(reply),
    }
}

fn error_to(from: &FullJid, iq: &Iq, error: StanzaError) -> Vec<Outbound> {
    iq.error_reply(error)
        .map(|r| vec![reply_to(from, r)])
        .unwrap_or_default()
}

/// A roster get or set from the local resource `from` (RFC 6121 §2): answers it and returns
/// the stanzas to send in order (the result, then pushes and presence).
///
/// Returns `None` if the IQ is not a roster get or set (not `jabber:iq:roster`, or a result
/// or error). A malformed query, a refused request or an unknown session gets the IQ error
/// reply with the right condition.
pub fn handle_roster_iq<S, R>(
    engine: &mut ServerEngine<StanzaPresence, S>,
    from: &FullJid,
    iq: &Iq,
    ids: &mut IdGenerator,
    rng: &mut R,
) -> Option<Vec<Outbound>>
where
    S: RosterStore<StanzaPresence>,
    R: RngCore + CryptoRng,
{
    let (is_set, element) = match &iq.payload_kind {
        IqPayload::Get(e) => (false, e),
        IqPayload::Set(e) => (true, e),
        _ => return None,
    };
    if !wire::RosterQuery::matches(element) {
        return None;
    }
    let query = match wire::RosterQuery::try_from(element) {
        Ok(q) => roster_query_to_im(&q),
        Err(e) => return Some(error_to(from, iq, e.to_stanza_error())),
    };
    let ok = |payload| iq.result_reply(payload).map(|r| reply_to(from, r));
    Some(if is_set {
        match engine.roster_set(from, iq.to.as_ref(), &query) {
            Ok(actions) => ok(None)
                .into_iter()
                .chain(outbound_all(actions, ids, rng))
                .collect(),
            Err(e) => error_to(from, iq, StanzaError::new(e.condition())),
        }
    } else {
        match engine.roster_get(from, iq.to.as_ref(), &query) {
            Ok(RosterResult::Full { ver, items }) => {
                let q = RosterQuery {
                    ver: ver.map(|v| v.to_string()),
                    items: items.iter().map(|i| i.to_raw()).collect(),
                };
                let payload = roster_query_from_im(&q).unwrap_or_default();
                ok(Some(payload.into())).into_iter().collect()
            }
            Ok(RosterResult::Incremental { pushes, .. }) => ok(None)
                .into_iter()
                .chain(
                    pushes
                        .iter()
                        .map(|p| Outbound::Local {
                            to: from.clone(),
                            stanza: push_iq(from, &p.to_query(), ids, rng),
                        })
                        .collect::<Vec<_>>(),
                )
                .collect(),
            Err(e) => error_to(from, iq, StanzaError::new(e.condition())),
        }
    })
}

/// The engine's message type for a stanza's.
pub fn message_type(kind: xmpp_stanza::MessageType) -> MessageType {
    match kind {
        xmpp_stanza::MessageType::Chat => MessageType::Chat,
        xmpp_stanza::MessageType::Error => MessageType::Error,
        xmpp_stanza::MessageType::Groupchat => MessageType::Groupchat,
        xmpp_stanza::MessageType::Headline => MessageType::Headline,
        xmpp_stanza::MessageType::Normal => MessageType::Normal,
    }
}

/// Where a message goes ([`ServerEngine::route_message`] on its `to` and `type`); `None`
/// when it has no `to` (it is for the sender's own account, handled by the server).
pub fn route_message<S: RosterStore<StanzaPresence>>(
    engine: &ServerEngine<StanzaPresence, S>,
    message: &Message,
) -> Option<MessageDelivery> {
    let to = message.to.as_ref()?;
    Some(engine.route_message(to, message_type(message.kind)))
}

/// Where an IQ request goes ([`ServerEngine::route_iq`] on its `to`); `None` without `to`
/// or for a result or error.
pub fn route_iq<S: RosterStore<StanzaPresence>>(
    engine: &ServerEngine<StanzaPresence, S>,
    iq: &Iq,
) -> Option<IqDelivery> {
    if !iq.payload_kind.is_request() {
        return None;
    }
    Some(engine.route_iq(iq.to.as_ref()?))
}

/// The error reply for a bounced message (`None` for an error message: never answered).
pub fn bounce_message(message: &Message, condition: StanzaErrorCondition) -> Option<Message> {
    message.error_reply(StanzaError::new(condition)).ok()
}

/// The error reply for a bounced IQ (`None` for a result or error).
pub fn bounce_iq(iq: &Iq, condition: StanzaErrorCondition) -> Option<Iq> {
    iq.error_reply(StanzaError::new(condition)).ok()
}

/// Client side: applies a received presence stanza to the tracker; returns whether the view
/// changed.
///
/// # Errors
/// [`BridgeError::MissingAddress`] if the stanza has no `from`.
pub fn client_presence(
    tracker: &mut PresenceTracker<StanzaPresence>,
    roster: Option<&RosterTracker>,
    presence: &StanzaPresence,
) -> Result<bool, BridgeError> {
    let from = presence
        .from
        .clone()
        .ok_or(BridgeError::MissingAddress("from"))?;
    Ok(tracker.apply(roster, &from, &to_engine_presence(presence.clone())))
}

/// Client side: applies the roster result IQ (answer to the roster get); returns how many
/// items were kept, `Ok(0)` for an empty result (the roster is then up to date, pushes follow).
///
/// # Errors
/// [`BridgeError::WrongKind`] if the IQ is not a result; [`BridgeError::Parse`] if its query
/// does not parse.
pub fn client_roster_result(tracker: &mut RosterTracker, iq: &Iq) -> Result<usize, BridgeError> {
    match &iq.payload_kind {
        IqPayload::Result(None) => Ok(0),
        IqPayload::Result(Some(_)) => {
            let q = iq
                .payload::<wire::RosterQuery>()
                .ok_or(BridgeError::WrongKind("a roster result"))??;
            Ok(tracker.apply_result(&roster_query_to_im(&q)))
        }
        _ => Err(BridgeError::WrongKind("an iq result")),
    }
}

/// Client side: applies a roster push (an IQ set) and returns the reply to send: an empty
/// result, or the error [`PushError::condition`] names (a push from anyone but the account is
/// refused, UCR-ROSTER-21).
///
/// # Errors
/// [`BridgeError::WrongKind`] if the IQ is not a roster set.
pub fn client_roster_push(tracker: &mut RosterTracker, iq: &Iq) -> Result<Iq, BridgeError> {
    let IqPayload::Set(e) = &iq.payload_kind else {
        return Err(BridgeError::WrongKind("a roster push"));
    };
    if !wire::RosterQuery::matches(e) {
        return Err(BridgeError::WrongKind("a roster push"));
    }
    let reply = match wire::RosterQuery::try_from(e) {
        Err(err) => iq.error_reply(err.to_stanza_error()),
        Ok(q) => match tracker.apply_push(iq.from.as_ref(), &roster_query_to_im(&q)) {
            Ok(_) => iq.result_reply(None),
            Err(err) => iq.error_reply(StanzaError::new(PushError::condition(&err))),
        },
    };
    reply.map_err(|_| BridgeError::WrongKind("a roster push"))
}

/// Client side: a received message updates the chat sessions (JID locking, thread).
pub fn client_message(chats: &mut ChatSessions, message: &Message) {
    if let Some(from) = &message.from {
        chats.incoming(
            from,
            message_type(message.kind),
            message.thread.as_ref().map(|t| t.id.as_str()),
        );
    }
}
