//! The reference server's IM layer: routing glue between connections and
//! `xmpp_im::server::ServerEngine`, driven through `xmpp_im::stanza_bridge` and the typed
//! stanzas of `xmpp-stanza`. This file owns only which connection gets which stanza, the
//! offline store, and the disco#info, ping and version answers. Shared by the `demo` and
//! `server` examples and the integration tests.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rand_core::OsRng;
use xmpp_im::delivery::{IqDelivery, MessageDelivery};
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::server::{EngineConfig as ImConfig, ServerEngine};
use xmpp_im::stanza_bridge::{self as bridge, Outbound, StanzaPresence};
use xmpp_im::store::MemoryRosterStore;
use xmpp_stanza::xep::{disco, ping, version};
use xmpp_stanza::{Condition, IdGenerator, Iq, IqPayload, Message, Stanza};
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;
use xmpp_tokio::{Handle, Incoming};

pub const NS_CLIENT: &str = "jabber:client";
pub const NS_ROSTER: &str = xmpp_stanza::roster::NS;
pub const NS_DISCO_INFO: &str = disco::NS_INFO;
pub const NS_PING: &str = ping::NS;
pub const NS_VERSION: &str = version::NS;
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// Offline messages kept per account; older ones are dropped beyond this.
const MAX_OFFLINE: usize = 100;

struct State {
    engine: ServerEngine<StanzaPresence, MemoryRosterStore<StanzaPresence>>,
    sessions: HashMap<FullJid, Handle>,
    offline: HashMap<BareJid, VecDeque<Message>>,
    ids: IdGenerator,
}

/// The IM side of the reference server: one per server, shared by every connection task.
#[derive(Clone)]
pub struct ImServer {
    domain: String,
    state: Arc<Mutex<State>>,
}

impl ImServer {
    pub fn new(domain: &str, accounts: &[&str]) -> ImServer {
        let mut store = MemoryRosterStore::new();
        for user in accounts {
            if let Ok(jid) = BareJid::new(&format!("{user}@{domain}")) {
                store.add_account(jid);
            }
        }
        ImServer {
            domain: domain.to_owned(),
            state: Arc::new(Mutex::new(State {
                engine: ServerEngine::new(ImConfig::new([domain]), store),
                sessions: HashMap::new(),
                offline: HashMap::new(),
                ids: IdGenerator::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many resources are bound right now.
    pub fn sessions(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Serves one accepted connection until it closes (spawn it per connection).
    pub async fn serve_connection(self, mut incoming: Incoming) {
        let mut account: Option<String> = None;
        let mut bound: Option<FullJid> = None;
        while let Some(event) = incoming.events.next().await {
            match event {
                Event::Authenticated { identity, .. } => account = Some(identity),
                Event::BindRequest { resource } => {
                    let decision = self.bind_decision(account.as_deref(), resource);
                    if let BindDecision::Accept(r) = &decision {
                        let full = account
                            .as_deref()
                            .and_then(|a| BareJid::new(a).ok())
                            .and_then(|b| b.with_resource_str(r).ok());
                        if let Some(full) = full {
                            self.lock()
                                .sessions
                                .insert(full.clone(), incoming.handle.clone());
                            bound = Some(full);
                        }
                    }
                    let _ = incoming.handle.bind(decision).await;
                }
                Event::Stanza(el) => {
                    if let Some(from) = &bound {
                        self.stanza(from, el);
                    }
                }
                Event::Closed(reason) => {
                    tracing::debug!(?reason, "connection closed");
                    break;
                }
                _ => {}
            }
        }
        if let Some(full) = bound {
            let mut st = self.lock();
            st.sessions.remove(&full);
            let st = &mut *st;
            match st.engine.disconnect(&full) {
                Ok(actions) => {
                    let out = actions
                        .into_iter()
                        .map(|a| bridge::action_to_outbound(a, &mut st.ids, &mut OsRng))
                        .collect();
                    execute(st, out)
                }
                Err(e) => tracing::debug!(error = %e, "disconnect"),
            }
        }
    }

    fn bind_decision(&self, account: Option<&str>, resource: Option<String>) -> BindDecision {
        let Some(user) = account.and_then(|a| BareJid::new(a).ok()) else {
            return BindDecision::Refuse(BindError::NotAllowed);
        };
        let resource = resource.unwrap_or_else(|| {
            let n = rand_core::RngCore::next_u64(&mut rand_core::OsRng);
            format!("r{n:016x}")
        });
        let Ok(full) = user.with_resource_str(&resource) else {
            return BindDecision::Refuse(BindError::BadRequest);
        };
        match self.lock().engine.bind(full) {
            Ok(()) => BindDecision::Accept(resource),
            Err(xmpp_im::error::EngineError::AlreadyBound(_)) => {
                BindDecision::Refuse(BindError::Conflict)
            }
            Err(xmpp_im::error::EngineError::TooManyResources { .. }) => {
                BindDecision::Refuse(BindError::ResourceConstraint)
            }
            Err(_) => BindDecision::Refuse(BindError::NotAllowed),
        }
    }

    /// One stanza from a bound resource (`from` already stamped by the machine).
    fn stanza(&self, from: &FullJid, el: Element) {
        if el.ns() != NS_CLIENT {
            return;
        }
        let stanza = match Stanza::try_from(&el) {
            Ok(s) => s,
            Err(e) => {
                // Unparsable (bad address, unknown type, ...): the error reply from the element.
                if let Ok(reply) = xmpp_stanza::error_reply_element(&el, e.to_stanza_error()) {
                    send(&self.lock(), from, reply);
                }
                return;
            }
        };
        let mut st = self.lock();
        match stanza {
            Stanza::Message(m) => self.message(&mut st, from, m),
            Stanza::Presence(p) => {
                tracing::debug!(%from, to = ?p.to.as_ref().map(Jid::as_str), kind = ?p.kind, "presence");
                let st = &mut *st;
                match bridge::handle_client_presence(
                    &mut st.engine,
                    from,
                    p,
                    &mut st.ids,
                    &mut OsRng,
                ) {
                    Ok(out) => execute(st, out),
                    Err(e) => tracing::debug!(error = %e, "presence refused"),
                }
            }
            Stanza::Iq(iq) => self.iq(&mut st, from, iq),
        }
    }

    fn message(&self, st: &mut State, from: &FullJid, mut m: Message) {
        if m.to.is_none() {
            m.to = Some(from.to_bare().into());
        }
        let bounce = |st: &State, c: Condition| {
            if let Some(reply) = bridge::bounce_message(&m, c) {
                send_stanza(st, from, reply.into());
            }
        };
        match bridge::route_message(&st.engine, &m) {
            Some(MessageDelivery::Deliver(jids)) => {
                for j in jids {
                    send_stanza(st, &j, m.clone().into());
                }
            }
            Some(MessageDelivery::StoreOffline(user)) => {
                let q = st.offline.entry(user).or_default();
                if q.len() >= MAX_OFFLINE {
                    q.pop_front();
                }
                q.push_back(m);
            }
            Some(MessageDelivery::Bounce(c)) => bounce(st, c),
            // No server-to-server in the reference server.
            Some(MessageDelivery::Route(_)) => bounce(st, Condition::RemoteServerNotFound),
            _ => {}
        }
    }

    fn iq(&self, st: &mut State, from: &FullJid, iq: Iq) {
        let own_bare: Jid = from.to_bare().into();
        let for_server = match &iq.to {
            None => true,
            Some(t) => t.as_str() == self.domain || *t == own_bare,
        };
        if !for_server {
            // Requests through the bridge; results and errors go back the same way.
            let delivery = bridge::route_iq(&st.engine, &iq)
                .or_else(|| iq.to.as_ref().map(|to| st.engine.route_iq(to)));
            match delivery {
                Some(IqDelivery::Deliver(j)) => send_stanza(st, &j, iq.into()),
                Some(IqDelivery::Bounce(c)) => {
                    if let Some(reply) = bridge::bounce_iq(&iq, c) {
                        send_stanza(st, from, reply.into());
                    }
                }
                _ => {
                    if let Ok(reply) = iq.unhandled_reply() {
                        send_stanza(st, from, reply.into());
                    }
                }
            }
            return;
        }
        if let Some(out) = {
            let st = &mut *st;
            bridge::handle_roster_iq(&mut st.engine, from, &iq, &mut st.ids, &mut OsRng)
        } {
            execute(st, out);
            return;
        }
        let reply = match &iq.payload_kind {
            IqPayload::Get(_) => {
                if let Some(Ok(_)) = iq.payload::<disco::DiscoInfo>() {
                    iq.result_reply(Some(disco_info().into()))
                } else if let Some(Ok(ping::Ping)) = iq.payload::<ping::Ping>() {
                    iq.result_reply(None)
                } else if let Some(Ok(_)) = iq.payload::<version::Version>() {
                    let v = version::Version {
                        name: Some("xmpp-tokio reference server".to_owned()),
                        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                        os: None,
                    };
                    iq.result_reply(Some(v.into()))
                } else {
                    iq.unhandled_reply()
                }
            }
            IqPayload::Set(_) => iq.unhandled_reply(),
            _ => return,
        };
        if let Ok(mut reply) = reply {
            reply.to = Some(from.clone().into());
            send_stanza(st, from, reply.into());
        }
    }
}

/// What the server says about itself in disco#info.
fn disco_info() -> disco::DiscoInfo {
    let mut identity = disco::Identity::new("server", "im");
    identity.name = Some("xmpp-tokio reference server".to_owned());
    disco::DiscoInfo {
        node: None,
        identities: vec![identity],
        features: [NS_DISCO_INFO, NS_PING, NS_VERSION, NS_ROSTER]
            .map(str::to_owned)
            .to_vec(),
        extensions: Vec::new(),
    }
}

/// Sends what the bridge produced: local stanzas to their connection, the offline store on
/// `FlushOffline`; remote ones are dropped (no server-to-server here).
fn execute(st: &mut State, out: Vec<Outbound>) {
    for o in out {
        match o {
            Outbound::Local { to, stanza } => send_stanza(st, &to, stanza),
            Outbound::Remote { to, .. } => {
                tracing::debug!(%to, "no server-to-server: remote stanza dropped")
            }
            Outbound::FlushOffline(to) => {
                let queued = st.offline.remove(&to.to_bare()).unwrap_or_default();
                for m in queued {
                    send_stanza(st, &to, m.into());
                }
            }
        }
    }
}

fn send_stanza(st: &State, to: &FullJid, stanza: Stanza) {
    send(st, to, Element::from(stanza));
}

fn send(st: &State, to: &FullJid, el: Element) {
    if let Some(h) = st.sessions.get(to) {
        match h.try_send(el) {
            Ok(()) => {}
            Err(xmpp_tokio::DriverError::Full) => {
                tracing::warn!(%to, "recipient not reading: stanza dropped")
            }
            Err(e) => tracing::debug!(%to, error = %e, "stanza dropped"),
        }
    }
}
