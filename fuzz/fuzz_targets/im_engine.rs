//! The xmpp-im server engine (two servers, `a.example` with alice and anna, `b.example` with
//! bob, joined by an in-memory s2s link; a hostile `evil.example` whose stanzas come from the
//! input) fed an arbitrary sequence of stanzas through the stanza bridge: logins, presence of
//! every type (available, unavailable, the four subscription types, probe, error, directed),
//! roster gets and sets (including removals and bogus attributes), messages, disconnects,
//! and stanzas built from arbitrary XML. Each client resource keeps a presence view and a
//! roster tracker fed only by the stanzas the servers send it, written and re-parsed.
//!
//! Checked after every operation (the invariants of `xmpp-im/tests/proptest_consistency.rs`):
//! - the two sides of every pair of accounts agree (one's `to` is the other's `from`, one's
//!   pending-out is the other's pending-in), UCR-SUB-1;
//! - no available presence goes from a resource to an account (local or `evil.example`) that
//!   neither has a `from`/`both` subscription to it nor was sent directed presence by it, and
//!   no client view shows a contact's resource available unless that is still allowed (no
//!   presence leak, JITC D1);
//! - every resource that asked for its roster holds the server's roster (UCR-ROSTER-31);
//! - stanzas only go to connected resources, output is bounded, nothing panics.
//!
//! Input: one byte per choice, operations until the input ends (at most 96).
#![no_main]

use std::collections::{BTreeMap, VecDeque};

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use xmpp_im::client::{PresenceTracker, RosterTracker};
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::roster::RosterContact;
use xmpp_im::server::{EngineConfig, ServerEngine};
use xmpp_im::stanza_bridge::{
    Outbound, StanzaPresence, client_roster_push, client_roster_result, handle_client_presence,
    handle_remote_presence, handle_roster_iq, route_iq, route_message,
};
use xmpp_im::store::{Contact, MemoryRosterStore, RosterStore};
use xmpp_im::subscription::SubscriptionState;
use xmpp_stanza::{IdGenerator, Iq, IqPayload, Message, PresenceType, Stanza};
use xmpp_stream::testing::TestRng;
use xmpp_stream::xml::Element;

const ACCOUNTS: [&str; 3] = ["alice@a.example", "anna@a.example", "bob@b.example"];
/// Targets: the local accounts, then the hostile remote one.
const TARGETS: [&str; 4] = ["alice@a.example", "anna@a.example", "bob@b.example", "mallory@evil.example"];
const RESOURCES: [&str; 2] = ["r0", "r1"];
const EVIL: &str = "mallory@evil.example";
const MAX_OPS: usize = 96;
/// Stanzas one operation may cause (pushes to every resource, presence to every contact).
const MAX_OUT_PER_OP: usize = 256;

type Engine = ServerEngine<StanzaPresence, MemoryRosterStore<StanzaPresence>>;

fn bare(s: &str) -> BareJid {
    s.parse().expect("valid JID")
}

fn resource(acc: usize, res: usize) -> FullJid {
    format!("{}/{}", ACCOUNTS[acc], RESOURCES[res]).parse().expect("valid JID")
}

fn server_of(domain: &str) -> Option<usize> {
    match domain {
        "a.example" => Some(0),
        "b.example" => Some(1),
        _ => None,
    }
}

/// An element from its XML text (the bridge's wire form), `None` if it does not parse.
fn parse(xml: &str) -> Option<Element> {
    xml.parse().ok()
}

/// Writes a stanza and reads it back, as the wire does.
fn wire(stanza: &Stanza) -> Stanza {
    let el = Element::from(stanza.clone());
    let text = el.to_xml().expect("engine stanzas serialise");
    let back = parse(&text).expect("written stanza parses");
    Stanza::try_from(&back).expect("written stanza re-parses")
}

struct World {
    servers: [Engine; 2],
    views: BTreeMap<FullJid, PresenceTracker<StanzaPresence>>,
    rosters: BTreeMap<FullJid, RosterTracker>,
    ids: IdGenerator,
    rng: TestRng,
    next_id: u32,
    /// Available presence sent to evil.example in this operation: (from, to).
    to_evil: Vec<(Jid, Jid)>,
}

impl World {
    fn new() -> Self {
        let mk = |domain: &str, accounts: &[&str]| {
            let mut store = MemoryRosterStore::new();
            for a in accounts {
                store.add_account(bare(a));
            }
            ServerEngine::new(EngineConfig::new([domain]), store)
        };
        World {
            servers: [mk("a.example", &ACCOUNTS[..2]), mk("b.example", &ACCOUNTS[2..])],
            views: BTreeMap::new(),
            rosters: BTreeMap::new(),
            ids: IdGenerator::new(),
            rng: TestRng::new(3),
            next_id: 0,
            to_evil: Vec::new(),
        }
    }

    fn engine_of(&mut self, r: &FullJid) -> &mut Engine {
        &mut self.servers[usize::from(r.domain() == "b.example")]
    }

    fn engine_ref(&self, j: &Jid) -> Option<&Engine> {
        server_of(j.domain()).map(|i| &self.servers[i])
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("i{}", self.next_id)
    }

    fn bind(&mut self, r: &FullJid) {
        if !self.engine_of(r).is_connected(r) {
            self.engine_of(r).bind(r.clone()).expect("a local account binds");
            self.views.insert(r.clone(), PresenceTracker::new(r.to_bare()));
        }
    }

    /// Carries out what the engines want sent, following s2s routes; returns the available
    /// presence deliveries (to, from) for the leak check.
    fn process(&mut self, out: Vec<Outbound>) -> Vec<(FullJid, Jid)> {
        let mut queue: VecDeque<Outbound> = out.into();
        let mut delivered = Vec::new();
        let mut count = 0;
        while let Some(o) = queue.pop_front() {
            count += 1;
            assert!(count <= MAX_OUT_PER_OP, "output out of proportion");
            match o {
                Outbound::Local { to, stanza } => {
                    assert!(
                        self.views.contains_key(&to),
                        "stanza for a resource that is not connected: {to}"
                    );
                    match wire(&stanza) {
                        Stanza::Presence(p) => {
                            let from = p.from.clone().expect("delivered presence has a from");
                            // Only available/unavailable shape the view: a client that also
                            // forgets a contact on `unsubscribed` would hide a missing
                            // `unavailable` (JITC D1).
                            if matches!(p.kind, PresenceType::Available | PresenceType::Unavailable) {
                                let view = self.views.get_mut(&to).expect("connected");
                                let _ = xmpp_im::stanza_bridge::client_presence(view, None, &p);
                            }
                            if p.kind == PresenceType::Available {
                                delivered.push((to, from));
                            }
                        }
                        Stanza::Iq(iq) => {
                            if let Some(tracker) = self.rosters.get_mut(&to) {
                                if matches!(iq.payload_kind, IqPayload::Set(_)) {
                                    let reply = client_roster_push(tracker, &iq);
                                    assert!(reply.is_ok(), "roster push refused: {reply:?}");
                                } else if matches!(iq.payload_kind, IqPayload::Result(_)) {
                                    let _ = client_roster_result(tracker, &iq);
                                }
                            } else {
                                assert!(
                                    !matches!(iq.payload_kind, IqPayload::Set(_)),
                                    "roster push to a resource that never asked for the roster"
                                );
                            }
                        }
                        Stanza::Message(_) => {}
                    }
                }
                Outbound::Remote { to, stanza } => {
                    let Stanza::Presence(p) = wire(&stanza) else { continue };
                    match server_of(to.domain()) {
                        Some(i) => {
                            let mut rng = TestRng::new(u64::from(self.next_id));
                            let more = handle_remote_presence(
                                &mut self.servers[i],
                                p,
                                &mut self.ids,
                                &mut rng,
                            );
                            if let Ok(more) = more {
                                queue.extend(more);
                            }
                        }
                        None => {
                            if p.kind == PresenceType::Available {
                                if let Some(from) = p.from.clone() {
                                    self.to_evil.push((from, to));
                                }
                            }
                        }
                    }
                }
                Outbound::FlushOffline(to) => {
                    assert!(self.views.contains_key(&to), "flush to a resource that is not connected");
                }
            }
        }
        delivered
    }

    /// A local resource sends this stanza (XML text) to its server.
    fn client_sends(&mut self, r: &FullJid, xml: &str) -> Vec<(FullJid, Jid)> {
        let Some(el) = parse(xml) else { return Vec::new() };
        self.client_sends_element(r, &el)
    }

    fn client_sends_element(&mut self, r: &FullJid, el: &Element) -> Vec<(FullJid, Jid)> {
        if !self.engine_of(r).is_connected(r) {
            return Vec::new();
        }
        let Ok(stanza) = Stanza::try_from(el) else { return Vec::new() };
        let mut rng = TestRng::new(u64::from(self.next_id) + 17);
        let out = match stanza {
            Stanza::Presence(p) => {
                let i = usize::from(r.domain() == "b.example");
                handle_client_presence(&mut self.servers[i], r, p, &mut self.ids, &mut rng)
                    .unwrap_or_default()
            }
            Stanza::Iq(iq) => {
                if is_roster_get(&iq) && !self.rosters.contains_key(r) {
                    self.rosters.insert(r.clone(), RosterTracker::new(r.to_bare()));
                }
                let i = usize::from(r.domain() == "b.example");
                let out = handle_roster_iq(&mut self.servers[i], r, &iq, &mut self.ids, &mut rng);
                let _ = route_iq(&self.servers[i], &iq);
                out.unwrap_or_default()
            }
            Stanza::Message(m) => {
                self.route(&m);
                Vec::new()
            }
        };
        self.process(out)
    }

    /// A resource that is connected but unavailable (it sent unavailable presence, or never
    /// sent initial presence) gets no presence broadcasts (RFC 6121 §4.5.2; UCR 5.7.3.14.4.2
    /// #4 sends the user's unavailable only to the available resources), so what its view held
    /// is stale: a client drops it when it goes unavailable, as `PresenceTracker::clear` says.
    /// This leans on the engine's own `is_available`; that no broadcast reaches such a resource
    /// is asserted by `ucr_pres_30_...` in xmpp-im's scenarios, not here.
    fn forget_views_of_unavailable(&mut self) {
        for (r, view) in &mut self.views {
            let engine = &self.servers[usize::from(r.domain() == "b.example")];
            if !engine.is_available(r) {
                view.clear();
            }
        }
    }

    fn route(&self, m: &Message) {
        if let Some(to) = &m.to {
            if let Some(engine) = self.engine_ref(to) {
                let _ = route_message(engine, m);
            }
        }
    }

    fn state(&self, user: &BareJid, contact: &BareJid) -> SubscriptionState {
        let j: Jid = user.clone().into();
        self.engine_ref(&j)
            .expect("local account")
            .store()
            .contact(user, contact)
            .expect("memory store does not fail")
            .map(|c| c.state.state)
            .unwrap_or_default()
    }

    /// Whether `sender` may currently have `receiver` (a resource or a remote JID) believe
    /// it is available.
    fn allowed(&self, sender: &Jid, receiver: &Jid) -> bool {
        let Ok(s) = FullJid::try_from(sender.clone()) else {
            return false;
        };
        let Some(e) = self.engine_ref(sender) else {
            // Presence from evil.example is not ours to judge.
            return true;
        };
        if !e.is_connected(&s) {
            return false;
        }
        let from = s.to_bare();
        let to = bare(&format!("{}@{}", receiver.node().unwrap_or_default(), receiver.domain()));
        if e.is_available(&s) && (from == to || self.state(&from, &to).has_from()) {
            return true;
        }
        let receiver_bare: Jid = to.into();
        e.directed_recipients(&s)
            .iter()
            .any(|d| d == receiver || *d == receiver_bare)
    }

    fn check(&self, delivered: &[(FullJid, Jid)]) {
        for (i, a) in ACCOUNTS.iter().enumerate() {
            for b in &ACCOUNTS[i + 1..] {
                let (a, b) = (bare(a), bare(b));
                let (ab, ba) = (self.state(&a, &b), self.state(&b, &a));
                assert!(
                    ab.has_to() == ba.has_from()
                        && ab.has_from() == ba.has_to()
                        && ab.pending_out() == ba.pending_in()
                        && ab.pending_in() == ba.pending_out(),
                    "{a} has {ab} for {b}, which has {ba}"
                );
            }
        }
        for (to, from) in delivered {
            if from.resource().is_some() {
                let receiver: Jid = to.clone().into();
                assert!(self.allowed(from, &receiver), "{to} got available presence from {from}");
            }
        }
        for (from, to) in &self.to_evil {
            if from.resource().is_some() {
                assert!(self.allowed(from, to), "{to} got available presence from {from}");
            }
        }
        for (receiver, view) in &self.views {
            let receiver_jid: Jid = receiver.clone().into();
            for acc in ACCOUNTS {
                for (sender, _) in view.resources(&bare(acc)) {
                    assert!(
                        self.allowed(sender, &receiver_jid),
                        "{receiver} still sees {sender} as available"
                    );
                }
            }
        }
        for (r, tracker) in &self.rosters {
            let user = r.to_bare();
            let j: Jid = user.clone().into();
            let server: Vec<RosterContact> = self
                .engine_ref(&j)
                .expect("local account")
                .store()
                .contacts(&user)
                .expect("memory store does not fail")
                .iter()
                .filter_map(Contact::roster_item)
                .collect();
            let client: Vec<RosterContact> = tracker.items().cloned().collect();
            assert_eq!(client, server, "roster of {r}");
        }
    }
}

fn is_roster_get(iq: &Iq) -> bool {
    matches!(&iq.payload_kind, IqPayload::Get(e) if e.is("query", "jabber:iq:roster"))
}

const PRESENCE_TYPES: [&str; 8] = [
    "", "unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error",
];

fn presence_xml(kind: u8, to: Option<String>, priority: i8, id: &str) -> String {
    let t = PRESENCE_TYPES[usize::from(kind) % PRESENCE_TYPES.len()];
    let t = if t.is_empty() { String::new() } else { format!(" type='{t}'") };
    let to = to.map(|to| format!(" to='{to}'")).unwrap_or_default();
    format!(
        "<presence xmlns='jabber:client' id='{id}'{t}{to}><priority>{priority}</priority>\
         <status>s</status></presence>"
    )
}

fn run(data: &[u8]) -> ArbResult<()> {
    let mut u = Unstructured::new(data);
    let mut w = World::new();
    let mut n = 0;
    while !u.is_empty() && n < MAX_OPS {
        n += 1;
        w.to_evil.clear();
        let op = u.arbitrary::<u8>()? % 12;
        let acc = usize::from(u.arbitrary::<u8>()?) % ACCOUNTS.len();
        let res = usize::from(u.arbitrary::<u8>()?) % RESOURCES.len();
        let r = resource(acc, res);
        let delivered = match op {
            // Login: bind, roster get, initial presence.
            0 => {
                let priority = u.arbitrary::<i8>()?;
                w.bind(&r);
                let id = w.id();
                let mut d = w.client_sends(
                    &r,
                    &format!("<iq xmlns='jabber:client' type='get' id='{id}'><query xmlns='jabber:iq:roster'/></iq>"),
                );
                let id = w.id();
                d.extend(w.client_sends(&r, &presence_xml(0, None, priority, &id)));
                d
            }
            // Presence of any type, broadcast or to a target (bare or full).
            1..=3 => {
                let kind = u.arbitrary::<u8>()?;
                let target = u.arbitrary::<u8>()?;
                let to = match target % 10 {
                    0..=3 => Some(TARGETS[usize::from(target) % TARGETS.len()].to_owned()),
                    4..=6 => Some(format!(
                        "{}/{}",
                        TARGETS[usize::from(target) % TARGETS.len()],
                        RESOURCES[usize::from(target / 4) % RESOURCES.len()]
                    )),
                    _ => None,
                };
                let id = w.id();
                w.client_sends(&r, &presence_xml(kind, to, (target % 3) as i8 - 1, &id))
            }
            // Roster set: add/update with name and groups, remove, or bogus attributes.
            4 | 5 => {
                let target = usize::from(u.arbitrary::<u8>()?);
                let how = u.arbitrary::<u8>()?;
                let contact = TARGETS[target % TARGETS.len()];
                let item = match how % 5 {
                    0 => format!("<item jid='{contact}' subscription='remove'/>"),
                    1 => format!("<item jid='{contact}' name='n{how}'><group>g{}</group></item>", how % 3),
                    2 => format!("<item jid='{contact}' subscription='both' ask='subscribe'/>"),
                    3 => format!("<item jid='{contact}'><group>a</group><group>a</group></item>"),
                    _ => format!("<item jid='{contact}'/><item jid='{}'/>", TARGETS[(target + 1) % TARGETS.len()]),
                };
                let id = w.id();
                w.client_sends(
                    &r,
                    &format!("<iq xmlns='jabber:client' type='set' id='{id}'><query xmlns='jabber:iq:roster'>{item}</query></iq>"),
                )
            }
            // A message to a target.
            6 => {
                let target = usize::from(u.arbitrary::<u8>()?);
                let kinds = ["chat", "normal", "headline", "groupchat", "error"];
                let xml = format!(
                    "<message xmlns='jabber:client' to='{}' type='{}'><body>b</body></message>",
                    TARGETS[target % TARGETS.len()],
                    kinds[target / 4 % kinds.len()]
                );
                w.client_sends(&r, &xml)
            }
            // Logout (unavailable then disconnect) or a dropped connection.
            7 => {
                let graceful = u.arbitrary::<bool>()?;
                let mut d = Vec::new();
                if w.engine_of(&r).is_connected(&r) {
                    if graceful {
                        let id = w.id();
                        d = w.client_sends(&r, &presence_xml(1, None, 0, &id));
                    }
                    let actions = w.engine_of(&r).disconnect(&r).expect("connected resource");
                    w.views.remove(&r);
                    w.rosters.remove(&r);
                    let out = actions
                        .into_iter()
                        .map(|a| xmpp_im::stanza_bridge::action_to_outbound(a, &mut w.ids, &mut w.rng))
                        .collect();
                    d.extend(w.process(out));
                }
                d
            }
            // Presence from evil.example to a local account or resource.
            8 | 9 => {
                let kind = u.arbitrary::<u8>()?;
                let to = if u.arbitrary::<bool>()? { r.to_string() } else { ACCOUNTS[acc].to_owned() };
                let from = if kind & 0x80 != 0 { format!("{EVIL}/x") } else { EVIL.to_owned() };
                let xml = presence_xml(kind, Some(to), 0, "e").replace("<presence ", &format!("<presence from='{from}' "));
                match parse(&xml).map(|e| Stanza::try_from(&e)) {
                    Some(Ok(Stanza::Presence(p))) => {
                        let i = usize::from(acc == 2);
                        let mut rng = TestRng::new(5);
                        match handle_remote_presence(&mut w.servers[i], p, &mut w.ids, &mut rng) {
                            Ok(out) => w.process(out),
                            Err(_) => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                }
            }
            // Arbitrary XML from a connected resource.
            _ => {
                let len = usize::from(u.arbitrary::<u8>()?);
                let bytes = u.bytes(len.min(u.len()))?;
                match std::str::from_utf8(bytes).ok().and_then(parse) {
                    Some(el) => w.client_sends_element(&r, &el),
                    None => Vec::new(),
                }
            }
        };
        w.forget_views_of_unavailable();
        w.check(&delivered);
    }
    if trace_enabled() {
        for (i, a) in ACCOUNTS.iter().enumerate() {
            for b in &TARGETS[i + 1..] {
                let (a, b) = (bare(a), bare(b));
                eprintln!("im_engine state: {a} -> {b}: {}", w.state(&a, &b));
            }
        }
        let seen: usize = w.views.values().map(|v| ACCOUNTS.iter().map(|a| v.resources(&bare(a)).count()).sum::<usize>()).sum();
        eprintln!("im_engine views: {} resources, {} available contacts seen, {} rosters", w.views.len(), seen, w.rosters.len());
    }
    Ok(())
}

/// `IM_ENGINE_TRACE=1` prints the final subscription states and views of each input.
fn trace_enabled() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("IM_ENGINE_TRACE").is_some())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
