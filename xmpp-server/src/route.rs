//! Where each stanza goes (RFC 6120 §10, RFC 6121 §8): from a bound client or a component, by
//! its typed `to`, to a local account (through the IM engine's delivery rules: bare-JID
//! delivery, priorities, negative priority, offline storage), a hosted component, the server
//! itself, or a remote domain. Every stanza ends in a delivery, a stored message, an error
//! bounce or a documented discard.
//!
//! There is no server-to-server routing yet: a stanza for a remote domain is bounced with
//! `remote-server-not-found` (UCR-ROUTE-5), and presence broadcasts to remote contacts are
//! dropped. That is the single place (`Target::Remote`) federation plugs into.

use std::time::{SystemTime, UNIX_EPOCH};

use xmpp_im::delivery::{IqDelivery, MessageDelivery};
use xmpp_im::jid::{FullJid, Jid};
use xmpp_im::server::Action as EngineAction;
use xmpp_im::stanza_bridge::{self as bridge, Outbound};
use xmpp_stanza::xep::datetime::DateTime;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stanza::{
    Condition, Iq, Message, Presence, PresenceType, Stanza, StanzaError, StanzaNs,
    error_reply_element,
};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::xml::Element;

use crate::action::{Action, ConnectionId};
use crate::server::Server;
use crate::server_iq::{self, Addressee};
use crate::sessions::Peer;
use crate::storage::{Offline, Storage};

/// Where a `to` address points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A hosted domain itself (no localpart).
    Server,
    /// An account of a hosted domain.
    Account,
    /// A configured component's domain (or a JID at it).
    Component(String),
    /// Anything else.
    Remote,
}

impl<S: Storage> Server<S> {
    fn target(&self, to: &Jid) -> Target {
        let domain = to.domain();
        if self.config.is_local_domain(domain) {
            if to.node().is_none() {
                Target::Server
            } else {
                Target::Account
            }
        } else if self.config.is_component_domain(domain) {
            Target::Component(domain.to_owned())
        } else {
            Target::Remote
        }
    }

    /// A first-level element from a bound client.
    pub(crate) fn client_stanza(&mut self, conn: ConnectionId, el: Element, now: SystemTime) {
        let (jid, lang) = match self.sessions.peers.get(&conn) {
            Some(Peer::Client {
                jid: Some(jid),
                lang,
                ..
            }) => (jid.clone(), lang.clone()),
            // The machine delivers stanzas only once the stream is established, i.e. bound.
            _ => return,
        };
        let Some(mut stanza) = self.parse(conn, &el) else {
            return;
        };
        // UCR-STANZA-10: whatever the client wrote, `from` is the session's full JID.
        stanza.set_from(Some(jid.clone().into()));
        // UCR-STANZA-20: the stream's language where the stanza names none.
        if stanza.lang().is_none() && lang.is_some() {
            *lang_mut(&mut stanza) = lang;
        }
        match stanza {
            Stanza::Message(m) => self.message_from_client(&jid, m, now),
            Stanza::Presence(p) => self.presence_from_client(&jid, p),
            Stanza::Iq(iq) => self.iq_from_client(&jid, iq, now),
        }
    }

    /// A first-level element from an authenticated component.
    pub(crate) fn component_stanza(&mut self, conn: ConnectionId, el: Element, now: SystemTime) {
        let domain = match self.sessions.peers.get(&conn) {
            Some(Peer::Component {
                domain: Some(domain),
            }) => domain.clone(),
            _ => return,
        };
        let Some(mut stanza) = self.parse(conn, &el) else {
            return;
        };
        match stanza.from() {
            None => stanza.set_from(Jid::new(&domain).ok()),
            // XEP-0114 §3: a component speaks only for its own domain (RFC 6120 §4.9.3.9).
            Some(from) if from.domain() != domain => {
                self.close(conn, StreamCondition::InvalidFrom);
                return;
            }
            Some(_) => {}
        }
        let Some(to) = stanza.to().cloned() else {
            // Addressed to no one: the server answers requests, and nothing else needs it.
            match stanza {
                Stanza::Iq(iq) => self.answer_server_iq(&iq, Addressee::Server, now),
                Stanza::Message(m) => self.bounce(Stanza::Message(m), Condition::BadRequest),
                Stanza::Presence(_) => {}
            }
            return;
        };
        match (self.target(&to), stanza) {
            (Target::Server, Stanza::Iq(iq)) => self.answer_server_iq(&iq, Addressee::Server, now),
            (Target::Server, s @ Stanza::Message(_)) => {
                self.bounce(s, Condition::ServiceUnavailable)
            }
            (Target::Server, Stanza::Presence(_)) => {}
            (Target::Account, Stanza::Message(m)) => self.message_to_account(m, now),
            (Target::Account, Stanza::Presence(p)) => {
                let mut rng = &mut *self.rng;
                // Errors are a missing address or a failed store: presence is not answered.
                if let Ok(out) =
                    bridge::handle_remote_presence(&mut self.engine, p, &mut self.ids, &mut rng)
                {
                    self.execute(out);
                }
            }
            (Target::Account, Stanza::Iq(iq)) => self.iq_to_account(iq, now),
            (Target::Component(d), s) => self.deliver_to_component(&d, s),
            (Target::Remote, s) => self.deliver_remote(s),
        }
    }

    /// The typed stanza, or `None` after answering (or closing) what did not parse.
    fn parse(&mut self, conn: ConnectionId, el: &Element) -> Option<Stanza> {
        if !matches!(el.name(), "message" | "presence" | "iq") || StanzaNs::of(el).is_none() {
            // RFC 6120 §4.9.3.23: a first-level element that is not a stanza.
            self.close(conn, StreamCondition::UnsupportedStanzaType);
            return None;
        }
        match Stanza::try_from(el) {
            Ok(s) => Some(s),
            Err(e) => {
                // Bad address, unknown type, ...: answered from the element (errors never are).
                if let Ok(reply) = error_reply_element(el, e.to_stanza_error()) {
                    self.push(Action::Send {
                        conn,
                        stanza: reply,
                    });
                }
                None
            }
        }
    }

    fn message_from_client(&mut self, from: &FullJid, mut m: Message, now: SystemTime) {
        let to = m.to.get_or_insert_with(|| from.to_bare().into()).clone();
        // XEP-0258: a label the sender may not apply is refused wherever the message goes.
        if let Err(c) = self.config.labels.check_send(&m, &from.clone().into()) {
            return self.bounce(Stanza::Message(m), c);
        }
        match self.target(&to) {
            Target::Server => self.bounce(Stanza::Message(m), Condition::ServiceUnavailable),
            Target::Account => self.message_to_account(m, now),
            Target::Component(d) => self.deliver_to_component(&d, Stanza::Message(m)),
            Target::Remote => self.deliver_remote(Stanza::Message(m)),
        }
    }

    /// RFC 6121 §8.5 for a message to a local account, from anyone.
    pub(crate) fn message_to_account(&mut self, mut m: Message, now: SystemTime) {
        // XEP-0258: the recipient's clearance, decided before delivery or offline storage.
        if let Err(c) = self.config.labels.check_delivery(&m) {
            return self.bounce(Stanza::Message(m), c);
        }
        match bridge::route_message(&self.engine, &m) {
            Some(MessageDelivery::Deliver(jids)) => {
                for jid in jids {
                    self.deliver_to_resource(&jid, Stanza::Message(m.clone()));
                }
            }
            Some(MessageDelivery::StoreOffline(user)) => {
                stamp_delay(&mut m, user.domain(), now);
                match self.engine.store_mut().store_offline(&user, m.clone()) {
                    Ok(Offline::Stored) => {}
                    Ok(Offline::Full) => {
                        self.bounce(Stanza::Message(m), Condition::ServiceUnavailable)
                    }
                    Err(_) => self.bounce(Stanza::Message(m), Condition::InternalServerError),
                }
            }
            Some(MessageDelivery::Bounce(c)) => self.bounce(Stanza::Message(m), c),
            Some(MessageDelivery::Route(_)) => self.deliver_remote(Stanza::Message(m)),
            // Discarded by RFC 6121 §8.5 (e.g. groupchat or headline to nobody), or no `to`.
            Some(MessageDelivery::Discard(_)) | None => {}
        }
    }

    fn presence_from_client(&mut self, from: &FullJid, p: Presence) {
        let original = p.clone();
        let mut rng = &mut *self.rng;
        match bridge::handle_client_presence(&mut self.engine, from, p, &mut self.ids, &mut rng) {
            Ok(out) => self.execute(out),
            Err(_) => self.bounce(Stanza::Presence(original), Condition::InternalServerError),
        }
    }

    fn iq_from_client(&mut self, from: &FullJid, iq: Iq, now: SystemTime) {
        let own: Jid = from.to_bare().into();
        let Some(to) = iq.to.clone() else {
            return self.server_iq_from_client(from, iq, Addressee::Account, now);
        };
        if to == own {
            return self.server_iq_from_client(from, iq, Addressee::Account, now);
        }
        match self.target(&to) {
            Target::Server => self.server_iq_from_client(from, iq, Addressee::Server, now),
            Target::Account => self.iq_to_account(iq, now),
            Target::Component(d) => self.deliver_to_component(&d, Stanza::Iq(iq)),
            Target::Remote => self.deliver_remote(Stanza::Iq(iq)),
        }
    }

    /// An IQ the server handles for a client: the roster (the IM engine), then the server's
    /// own IQs.
    fn server_iq_from_client(&mut self, from: &FullJid, iq: Iq, to: Addressee, now: SystemTime) {
        let mut rng = &mut *self.rng;
        if let Some(out) =
            bridge::handle_roster_iq(&mut self.engine, from, &iq, &mut self.ids, &mut rng)
        {
            return self.execute(out);
        }
        self.answer_server_iq(&iq, to, now);
    }

    fn answer_server_iq(&mut self, iq: &Iq, to: Addressee, now: SystemTime) {
        // Results and errors for the server (answers to roster pushes) end here.
        if let Some(reply) = server_iq::answer(iq, to, &self.config, now) {
            self.deliver_reply(Stanza::Iq(reply));
        }
    }

    /// An IQ to another local account (RFC 6121 §8.5): to a resource, or answered by the
    /// server on the account's behalf (UCR-ROUTE-11).
    pub(crate) fn iq_to_account(&mut self, iq: Iq, now: SystemTime) {
        if !iq.payload_kind.is_request() {
            // A response goes to the resource that asked, if it is still there.
            return self.deliver_reply(Stanza::Iq(iq));
        }
        match bridge::route_iq(&self.engine, &iq) {
            Some(IqDelivery::Deliver(jid)) => self.deliver_to_resource(&jid, Stanza::Iq(iq)),
            Some(IqDelivery::HandleForAccount(_)) => {
                self.answer_server_iq(&iq, Addressee::Account, now)
            }
            Some(IqDelivery::Bounce(c)) => self.bounce(Stanza::Iq(iq), c),
            Some(IqDelivery::Route(_)) => self.deliver_remote(Stanza::Iq(iq)),
            None => {}
        }
    }

    /// Carries out what the IM engine decided, through the stanza bridge.
    pub(crate) fn execute_engine(&mut self, actions: Vec<EngineAction<Presence>>) {
        let mut rng = &mut *self.rng;
        let out = actions
            .into_iter()
            .map(|a| bridge::action_to_outbound(a, &mut self.ids, &mut rng))
            .collect();
        self.execute(out);
    }

    fn execute(&mut self, out: Vec<Outbound>) {
        for o in out {
            match o {
                Outbound::Local { to, stanza } => self.deliver_to_resource(&to, stanza),
                Outbound::Remote { to, stanza } => match self.target(&to) {
                    Target::Component(d) => self.deliver_to_component(&d, stanza),
                    _ => self.deliver_remote(stanza),
                },
                Outbound::FlushOffline(to) => {
                    // On failure the messages stay stored for the next initial presence.
                    let stored = self.engine.store_mut().take_offline(&to.to_bare());
                    for m in stored.unwrap_or_default() {
                        self.deliver_to_resource(&to, Stanza::Message(m));
                    }
                }
            }
        }
    }

    /// To a bound resource. The engine only names bound resources; a resource gone in the
    /// meantime gets nothing, as if it had closed a moment earlier.
    fn deliver_to_resource(&mut self, jid: &FullJid, stanza: Stanza) {
        if let Some(conn) = self.sessions.resource(jid) {
            self.send(conn, StanzaNs::Client, stanza);
        }
    }

    /// To a hosted component; `service-unavailable` if it is not connected.
    fn deliver_to_component(&mut self, domain: &str, stanza: Stanza) {
        match self.sessions.component(domain) {
            Some(conn) => self.send(conn, StanzaNs::Component, stanza),
            None => self.bounce(stanza, Condition::ServiceUnavailable),
        }
    }

    /// No server-to-server yet: requests and messages come back `remote-server-not-found`
    /// (UCR-ROUTE-5), subscription requests too; other presence is dropped.
    fn deliver_remote(&mut self, stanza: Stanza) {
        let answered = match &stanza {
            Stanza::Presence(p) => p.kind == PresenceType::Subscribe,
            _ => true,
        };
        if answered {
            self.bounce(stanza, Condition::RemoteServerNotFound);
        }
    }

    /// A stanza the server generated (a reply or a bounce), to its `to`: a bound resource, every
    /// bound resource of a local account (a bounced subscription request was stamped with the
    /// bare JID), or a component. An error for an entity that is gone is not kept.
    fn deliver_reply(&mut self, stanza: Stanza) {
        let Some(to) = stanza.to().cloned() else {
            return;
        };
        let resource = FullJid::try_from(to.clone())
            .ok()
            .and_then(|full| self.sessions.resource(&full));
        if let Some(conn) = resource {
            self.send(conn, StanzaNs::Client, stanza);
        } else if let Some(conn) = self.sessions.component(to.domain()) {
            self.send(conn, StanzaNs::Component, stanza);
        } else if to.resource().is_none() && self.config.is_local_domain(to.domain()) {
            let bare = to.to_bare();
            let mut conns: Vec<_> = (self.sessions.resources.iter())
                .filter(|(jid, _)| jid.to_bare() == bare)
                .map(|(_, conn)| *conn)
                .collect();
            conns.sort();
            for conn in conns {
                self.send(conn, StanzaNs::Client, stanza.clone());
            }
        }
    }

    /// Returns `stanza` to its sender with this error (never for an error or a result).
    fn bounce(&mut self, stanza: Stanza, condition: Condition) {
        if let Ok(reply) = stanza.error_reply(StanzaError::new(condition)) {
            self.deliver_reply(reply);
        }
    }

    fn send(&mut self, conn: ConnectionId, ns: StanzaNs, mut stanza: Stanza) {
        stanza.set_ns(ns);
        match self.sessions.peers.get_mut(&conn) {
            Some(Peer::Parked { id, .. }) => {
                let id = id.clone();
                return self.queue_for_parked(&id, stanza.into());
            }
            // The stream has ended: the stanza waits with the session, not in a dead queue.
            Some(Peer::Client {
                detached: Some(_), ..
            })
            | Some(Peer::Client {
                undelivered: Some(_),
                ..
            }) => return self.undelivered(conn, stanza.into()),
            _ => {}
        }
        self.push(Action::Send {
            conn,
            stanza: stanza.into(),
        });
    }
}

fn lang_mut(stanza: &mut Stanza) -> &mut Option<String> {
    match stanza {
        Stanza::Message(m) => &mut m.lang,
        Stanza::Presence(p) => &mut p.lang,
        Stanza::Iq(iq) => &mut iq.lang,
    }
}

/// XEP-0203: when and by whom an offline message was delayed.
fn stamp_delay(m: &mut Message, domain: &str, now: SystemTime) {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if let Some(stamp) = DateTime::from_unix(secs) {
        let delay = Delay {
            from: Jid::new(domain).ok(),
            stamp,
            reason: Some("Offline Storage".to_owned()),
        };
        m.payloads.push(Element::from(delay));
    }
}
