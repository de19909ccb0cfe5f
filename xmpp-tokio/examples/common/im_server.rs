//! The reference server's IM layer: maps stanza elements onto `xmpp_im::server::ServerEngine`
//! (roster, subscriptions, presence, message and IQ delivery) and answers disco#info, ping and
//! version. Shared by the `demo` and `server` examples and the integration tests.
//!
//! The typed stanza layer (`xmpp-stanza`) and its bridge into `xmpp-im` had not landed when
//! this was written, so the element <-> engine mapping lives here.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use xmpp_im::delivery::{IqDelivery, MessageDelivery, MessageType};
use xmpp_im::error::StanzaErrorCondition;
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::presence::{Presence, PresencePayload};
use xmpp_im::roster::{RawItem, RosterChange, RosterItem, RosterPush, RosterQuery};
use xmpp_im::server::{Action, RosterResult, ServerConfig as ImConfig, ServerEngine};
use xmpp_im::store::MemoryRosterStore;
use xmpp_im::subscription::SubscriptionType;
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;
use xmpp_tokio::{Handle, Incoming};

pub const NS_CLIENT: &str = "jabber:client";
pub const NS_ROSTER: &str = "jabber:iq:roster";
pub const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
pub const NS_PING: &str = "urn:xmpp:ping";
pub const NS_VERSION: &str = "jabber:iq:version";
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// Offline messages kept per account; older ones are dropped beyond this.
const MAX_OFFLINE: usize = 100;

/// A presence stanza as the engine carries it: the element and its priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Pres {
    pub element: Element,
    pub priority: i8,
}

impl PresencePayload for Pres {
    fn priority(&self) -> i8 {
        self.priority
    }
}

impl Pres {
    fn from_element(el: &Element) -> Pres {
        let priority = el
            .child_text("priority", NS_CLIENT)
            .and_then(|t| t.trim().parse::<i8>().ok())
            .unwrap_or(0);
        Pres {
            element: el.clone(),
            priority,
        }
    }
}

struct State {
    engine: ServerEngine<Pres, MemoryRosterStore<Pres>>,
    sessions: HashMap<FullJid, Handle>,
    offline: HashMap<BareJid, VecDeque<Element>>,
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
            match st.engine.disconnect(&full) {
                Ok(actions) => self.execute(&mut st, actions),
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
        let to = match el.attr("to").map(Jid::new) {
            None => None,
            Some(Ok(j)) => Some(j),
            Some(Err(_)) => {
                let mut st = self.lock();
                self.reply_error(&mut st, from, &el, "jid-malformed", "modify");
                return;
            }
        };
        match el.name() {
            "message" => self.message(from, to, el),
            "presence" => self.presence(from, to, el),
            "iq" => self.iq(from, to, el),
            _ => {}
        }
    }

    fn message(&self, from: &FullJid, to: Option<Jid>, el: Element) {
        let to = to.unwrap_or_else(|| from.to_bare().into());
        let kind = MessageType::from_attr(el.attr("type"));
        let mut st = self.lock();
        match st.engine.route_message(&to, kind) {
            MessageDelivery::Deliver(jids) => {
                for j in jids {
                    send(&st, &j, el.clone());
                }
            }
            MessageDelivery::StoreOffline(user) => {
                let q = st.offline.entry(user).or_default();
                if q.len() >= MAX_OFFLINE {
                    q.pop_front();
                }
                q.push_back(el);
            }
            MessageDelivery::Bounce(c) => {
                self.reply_error(&mut st, from, &el, c.as_str(), c.error_type())
            }
            MessageDelivery::Route(_) => {
                self.reply_error(&mut st, from, &el, "remote-server-not-found", "cancel")
            }
            _ => {}
        }
    }

    fn presence(&self, from: &FullJid, to: Option<Jid>, el: Element) {
        let payload = Pres::from_element(&el);
        let presence = match el.attr("type") {
            None => Presence::Available(payload),
            Some("unavailable") => Presence::Unavailable(Some(payload)),
            Some("probe") => Presence::Probe,
            Some("error") => Presence::Error(payload),
            Some("subscribe") => Presence::Subscription(SubscriptionType::Subscribe, Some(payload)),
            Some("subscribed") => {
                Presence::Subscription(SubscriptionType::Subscribed, Some(payload))
            }
            Some("unsubscribe") => {
                Presence::Subscription(SubscriptionType::Unsubscribe, Some(payload))
            }
            Some("unsubscribed") => {
                Presence::Subscription(SubscriptionType::Unsubscribed, Some(payload))
            }
            Some(_) => {
                let mut st = self.lock();
                self.reply_error(&mut st, from, &el, "bad-request", "modify");
                return;
            }
        };
        let mut st = self.lock();
        tracing::debug!(%from, to = ?to.as_ref().map(Jid::as_str), ty = ?el.attr("type"), "presence");
        match st.engine.presence_from_client(from, to.as_ref(), presence) {
            Ok(actions) => {
                tracing::debug!(actions = actions.len(), "presence actions");
                self.execute(&mut st, actions)
            }
            Err(e) => tracing::debug!(error = %e, "presence refused"),
        }
    }

    fn iq(&self, from: &FullJid, to: Option<Jid>, el: Element) {
        let ty = el.attr("type").unwrap_or("");
        let mut st = self.lock();
        let own_bare: Jid = from.to_bare().into();
        let for_server = match &to {
            None => true,
            Some(t) => t.as_str() == self.domain || *t == own_bare,
        };
        if !for_server {
            let to = to.unwrap_or_else(|| own_bare.clone());
            match st.engine.route_iq(&to) {
                IqDelivery::Deliver(j) => send(&st, &j, el),
                IqDelivery::Bounce(c) => {
                    if ty == "get" || ty == "set" {
                        self.reply_error(&mut st, from, &el, c.as_str(), c.error_type())
                    }
                }
                _ => {
                    if ty == "get" || ty == "set" {
                        self.reply_error(&mut st, from, &el, "service-unavailable", "cancel")
                    }
                }
            }
            return;
        }
        if ty != "get" && ty != "set" {
            return;
        }
        let Some(payload) = el.children().next() else {
            self.reply_error(&mut st, from, &el, "bad-request", "modify");
            return;
        };
        let id = el.attr("id").unwrap_or("").to_owned();
        let result = |child: Option<Element>| {
            Element::builder("iq", NS_CLIENT)
                .attr("type", "result")
                .attr("id", id.clone())
                .attr("to", from.as_str().to_owned())
                .child_opt(child)
                .build()
        };
        match (ty, payload.name(), payload.ns()) {
            (_, "query", NS_ROSTER) => {
                let query = match parse_roster_query(payload) {
                    Ok(q) => q,
                    Err(()) => {
                        self.reply_error(&mut st, from, &el, "bad-request", "modify");
                        return;
                    }
                };
                if ty == "get" {
                    match st.engine.roster_get(from, to.as_ref(), &query) {
                        Ok(RosterResult::Full { ver, items }) => {
                            let q = Element::builder("query", NS_ROSTER)
                                .attr_opt("ver", ver.map(|v| v.to_string()))
                                .children(items.iter().map(item_element))
                                .build();
                            send(&st, from, result(Some(q)));
                        }
                        Ok(RosterResult::Incremental { pushes, .. }) => {
                            send(&st, from, result(None));
                            for p in pushes {
                                send(&st, from, push_element(from, &p));
                            }
                        }
                        Err(e) => {
                            let c = e.condition();
                            self.reply_error(&mut st, from, &el, c.as_str(), c.error_type())
                        }
                    }
                } else {
                    match st.engine.roster_set(from, to.as_ref(), &query) {
                        Ok(actions) => {
                            send(&st, from, result(None));
                            self.execute(&mut st, actions);
                        }
                        Err(e) => {
                            let c = e.condition();
                            self.reply_error(&mut st, from, &el, c.as_str(), c.error_type())
                        }
                    }
                }
            }
            ("get", "query", NS_DISCO_INFO) => {
                let q = Element::builder("query", NS_DISCO_INFO)
                    .child(
                        Element::builder("identity", NS_DISCO_INFO)
                            .attr("category", "server")
                            .attr("type", "im")
                            .attr("name", "xmpp-tokio reference server"),
                    )
                    .children([NS_DISCO_INFO, NS_PING, NS_VERSION, NS_ROSTER].map(|f| {
                        Element::builder("feature", NS_DISCO_INFO)
                            .attr("var", f)
                            .build()
                    }))
                    .build();
                send(&st, from, result(Some(q)));
            }
            ("get", "ping", NS_PING) => send(&st, from, result(None)),
            ("get", "query", NS_VERSION) => {
                let q = Element::builder("query", NS_VERSION)
                    .child(Element::builder("name", NS_VERSION).text("xmpp-tokio reference server"))
                    .child(Element::builder("version", NS_VERSION).text(env!("CARGO_PKG_VERSION")))
                    .build();
                send(&st, from, result(Some(q)));
            }
            _ => self.reply_error(&mut st, from, &el, "service-unavailable", "cancel"),
        }
    }

    fn execute(&self, st: &mut State, actions: Vec<Action<Pres>>) {
        for action in actions {
            match action {
                Action::DeliverPresence { to, from, presence } => {
                    let el = presence_element(&presence, &from, &to.clone().into());
                    send(st, &to, el);
                }
                Action::RoutePresence { to, .. } => {
                    tracing::debug!(%to, "no server-to-server: remote presence dropped");
                }
                Action::RosterPush { to, push } => {
                    let el = push_element(&to, &push);
                    send(st, &to, el);
                }
                Action::PresenceError {
                    to,
                    from,
                    condition,
                } => {
                    let el = Element::builder("presence", NS_CLIENT)
                        .attr("type", "error")
                        .attr("from", from.as_str().to_owned())
                        .attr("to", to.as_str().to_owned())
                        .child(error_element(condition.as_str(), condition.error_type()))
                        .build();
                    send(st, &to, el);
                }
                Action::FlushOffline { to } => {
                    let queued = st.offline.remove(&to.to_bare()).unwrap_or_default();
                    for el in queued {
                        send(st, &to, el);
                    }
                }
            }
        }
    }

    fn reply_error(&self, st: &mut State, to: &FullJid, el: &Element, cond: &str, ty: &str) {
        if el.attr("type") == Some("error") {
            return;
        }
        let mut b = Element::builder(el.name().to_owned(), NS_CLIENT)
            .attr("type", "error")
            .attr("to", to.as_str().to_owned())
            .attr_opt("id", el.attr("id").map(str::to_owned));
        if let Some(f) = el.attr("to") {
            b = b.attr("from", f.to_owned());
        } else {
            b = b.attr("from", self.domain.clone());
        }
        send(st, to, b.child(error_element(cond, ty)).build());
    }
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

fn error_element(cond: &str, ty: &str) -> Element {
    Element::builder("error", NS_CLIENT)
        .attr("type", ty.to_owned())
        .child(Element::new(cond.to_owned(), NS_STANZAS))
        .build()
}

fn presence_element(p: &Presence<Pres>, from: &Jid, to: &Jid) -> Element {
    let (ty, payload) = match p {
        Presence::Available(x) => (None, Some(x)),
        Presence::Unavailable(x) => (Some("unavailable"), x.as_ref()),
        Presence::Probe => (Some("probe"), None),
        Presence::Subscription(k, x) => (Some(k.as_str()), x.as_ref()),
        Presence::Error(x) => (Some("error"), Some(x)),
    };
    let mut el = match payload {
        Some(x) => x.element.clone(),
        None => Element::new("presence", NS_CLIENT),
    };
    match ty {
        Some(t) => el.set_attr("type", t),
        None => {
            el.remove_attr("type");
        }
    }
    el.set_attr("from", from.as_str().to_owned());
    el.set_attr("to", to.as_str().to_owned());
    el
}

fn item_element(item: &RosterItem) -> Element {
    Element::builder("item", NS_ROSTER)
        .attr("jid", item.jid.as_str().to_owned())
        .attr_opt("name", item.name.clone())
        .attr("subscription", item.subscription.to_string())
        .attr_opt("ask", item.ask.then_some("subscribe"))
        .attr_opt("approved", item.approved.then_some("true"))
        .children(
            item.groups
                .iter()
                .map(|g| Element::builder("group", NS_ROSTER).text(g.clone()).build()),
        )
        .build()
}

fn push_element(to: &FullJid, push: &RosterPush) -> Element {
    let item = match &push.change {
        RosterChange::Update(item) => item_element(item),
        RosterChange::Remove(jid) => Element::builder("item", NS_ROSTER)
            .attr("jid", jid.as_str().to_owned())
            .attr("subscription", "remove")
            .build(),
        #[allow(unreachable_patterns)]
        _ => Element::new("item", NS_ROSTER),
    };
    let n = rand_core::RngCore::next_u32(&mut rand_core::OsRng);
    Element::builder("iq", NS_CLIENT)
        .attr("type", "set")
        .attr("id", format!("push{n:08x}"))
        .attr("to", to.as_str().to_owned())
        .child(
            Element::builder("query", NS_ROSTER)
                .attr_opt("ver", push.ver.map(|v| v.to_string()))
                .child(item),
        )
        .build()
}

fn parse_roster_query(q: &Element) -> Result<RosterQuery, ()> {
    let mut items = Vec::new();
    for it in q.children_named("item", NS_ROSTER) {
        let jid = Jid::new(it.attr("jid").ok_or(())?).map_err(|_| ())?;
        let mut raw = RawItem::new(jid);
        raw.name = it.attr("name").map(str::to_owned);
        raw.subscription = it.attr("subscription").map(str::to_owned);
        raw.ask = it.attr("ask").map(str::to_owned);
        raw.approved = it.attr("approved").map(str::to_owned);
        raw.groups = it
            .children_named("group", NS_ROSTER)
            .map(|g| g.text().into_owned())
            .collect();
        items.push(raw);
    }
    Ok(RosterQuery {
        ver: q.attr("ver").map(str::to_owned),
        items,
    })
}

/// Unused conditions keep their names in one place.
pub fn condition_name(c: StanzaErrorCondition) -> &'static str {
    c.as_str()
}
