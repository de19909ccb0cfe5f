//! The xmpp-server core driven through connection events, as an adapter would feed it: client
//! and component connections opened, authenticated (as accounts, bogus identities, or a
//! component domain twice), bind requests (free, taken, missing, invalid resources, under each
//! conflict policy), stanzas of every kind to every kind of address (own account, other
//! accounts' bare and full JIDs, the server, components, a remote domain, bad addresses),
//! arbitrary XML, closes at any point, and events for connections already gone.
//!
//! Checked after every operation, against a model built only from the core's actions:
//! - every action is for a registered connection that the core has not closed before it;
//!   stanzas go only to bound clients and authenticated components, in their namespace;
//! - each bind request gets exactly one bind answer; a full JID is bound on one connection
//!   at most, and `bound_resources` agrees with the model;
//! - events for closed connections are typed errors; output per operation is bounded;
//!   nothing panics.
//!
//! Input: one byte per choice, operations until the input ends (at most 96).
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use xmpp_server::{Action, Component, Config, ConnectionId, ResourceConflict, Server};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{AuthMethod, CloseReason, Event};
use xmpp_stream::testing::TestRng;
use xmpp_stream::xml::Element;

const USERS: [&str; 3] = ["alice@a.example", "anna@a.example", "bob@a.example"];
const COMPONENTS: [&str; 2] = ["muc.a.example", "gw.a.example"];
const RESOURCES: [Option<&str>; 4] = [Some("r0"), Some("r1"), None, Some("bad\u{7}")];
const TARGETS: [&str; 11] = [
    "",
    "alice@a.example",
    "anna@a.example/r0",
    "bob@a.example/r1",
    "a.example",
    "muc.a.example",
    "room@muc.a.example/nick",
    "gw.a.example",
    "mallory@evil.example",
    "nobody@a.example",
    "@@bad",
];
const MAX_OPS: usize = 96;
const MAX_CONNS: usize = 10;
const MAX_ACTIONS_PER_OP: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Client,
    Component,
}

#[derive(Debug, Default)]
struct Model {
    kind: BTreeMap<ConnectionId, Kind>,
    /// Closed by the core (a Close action) or by the adapter (a Closed event).
    gone: BTreeSet<ConnectionId>,
    bound: BTreeMap<ConnectionId, String>,
    authenticated: BTreeMap<ConnectionId, String>,
    components: BTreeMap<ConnectionId, String>,
}

struct Run {
    server: Server,
    model: Model,
    conns: Vec<ConnectionId>,
    now: SystemTime,
}

impl Run {
    fn pick(&self, u: &mut Unstructured) -> ArbResult<Option<ConnectionId>> {
        if self.conns.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.conns[u.choose_index(self.conns.len())?]))
    }

    /// Every picked connection is registered (the core may have closed it; it then ignores
    /// the event): the core must accept the event.
    fn feed(&mut self, conn: ConnectionId, event: Event) {
        let result = self.server.handle_event(conn, event, self.now);
        assert!(result.is_ok(), "{conn} refused: {result:?}");
    }

    fn check(&mut self, bind_requests: &BTreeSet<ConnectionId>) {
        let actions: Vec<Action> = std::iter::from_fn(|| self.server.poll_action()).collect();
        assert!(actions.len() <= MAX_ACTIONS_PER_OP, "{} actions", actions.len());
        let mut answered = BTreeSet::new();
        for action in actions {
            let conn = action.conn();
            assert!(self.model.kind.contains_key(&conn), "action for an unknown {conn}");
            assert!(!self.model.gone.contains(&conn), "action after close: {action:?}");
            match action {
                Action::Send { stanza, .. } => match self.model.kind[&conn] {
                    Kind::Client => {
                        assert!(self.model.bound.contains_key(&conn), "stanza to unbound {conn}");
                        assert_eq!(stanza.ns(), "jabber:client");
                    }
                    Kind::Component => {
                        assert!(self.model.components.contains_key(&conn), "stanza to unauthenticated {conn}");
                        assert_eq!(stanza.ns(), "jabber:component:accept");
                    }
                },
                Action::Bind { decision, .. } => {
                    assert!(bind_requests.contains(&conn), "unasked bind answer");
                    assert!(answered.insert(conn), "two bind answers");
                    if let BindDecision::Accept(r) = decision {
                        let user = self.model.authenticated[&conn].clone();
                        let full = format!("{user}/{r}");
                        assert!(
                            !self.model.bound.values().any(|b| *b == full),
                            "{full} bound twice"
                        );
                        self.model.bound.insert(conn, full);
                    }
                }
                Action::Close { .. } => {
                    self.model.gone.insert(conn);
                    self.model.bound.remove(&conn);
                    self.model.components.remove(&conn);
                }
                _ => {}
            }
        }
        assert_eq!(answered, *bind_requests, "every bind request answered once");
        assert_eq!(self.server.bound_resources(), self.model.bound.len());
    }
}

fn stanza(u: &mut Unstructured, ns: &str, from: Option<&str>) -> ArbResult<Element> {
    let to = TARGETS[u.choose_index(TARGETS.len())?];
    let to = if to.is_empty() { String::new() } else { format!(" to='{to}'") };
    let from = from.map(|f| format!(" from='{f}'")).unwrap_or_default();
    let xml = match u.int_in_range(0..=9u8)? {
        0 => format!("<message xmlns='{ns}' type='chat' id='m'{to}{from}><body>b</body></message>"),
        1 => format!("<message xmlns='{ns}' type='groupchat'{to}{from}><body>b</body></message>"),
        2 => format!("<message xmlns='{ns}' type='error'{to}{from}/>"),
        3 => format!("<presence xmlns='{ns}'{to}{from}><priority>{}</priority></presence>", u.int_in_range(-2..=3i8)?),
        4 => {
            let kind = ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "unavailable", "probe", "error"];
            format!("<presence xmlns='{ns}' type='{}'{to}{from}/>", kind[u.choose_index(kind.len())?])
        }
        5 => format!("<iq xmlns='{ns}' type='get' id='r'{to}{from}><query xmlns='jabber:iq:roster'/></iq>"),
        6 => format!(
            "<iq xmlns='{ns}' type='set' id='s'{to}{from}><query xmlns='jabber:iq:roster'><item jid='{}'/></query></iq>",
            USERS[u.choose_index(USERS.len())?]
        ),
        7 => {
            let payload = [
                "<ping xmlns='urn:xmpp:ping'/>",
                "<query xmlns='http://jabber.org/protocol/disco#info'/>",
                "<query xmlns='http://jabber.org/protocol/disco#items'/>",
                "<query xmlns='jabber:iq:version'/>",
                "<time xmlns='urn:xmpp:time'/>",
                "<query xmlns='jabber:iq:register'/>",
            ];
            format!("<iq xmlns='{ns}' type='get' id='q'{to}{from}>{}</iq>", payload[u.choose_index(payload.len())?])
        }
        8 => format!("<iq xmlns='{ns}' type='result' id='q'{to}{from}/>"),
        _ => {
            let raw: String = u.arbitrary()?;
            return Ok(raw.parse().unwrap_or_else(|_| Element::new("message", ns.to_owned())));
        }
    };
    Ok(xml.parse().unwrap_or_else(|_| Element::new("iq", ns.to_owned())))
}

fn run(u: &mut Unstructured) -> ArbResult<()> {
    let mut config = Config::new(["a.example"]);
    config.resource_conflict = match u.int_in_range(0..=2u8)? {
        0 => ResourceConflict::Override,
        1 => ResourceConflict::TakeOver,
        _ => ResourceConflict::Refuse,
    };
    config.max_offline_per_account = 3;
    config.im.max_resources_per_account = 2;
    config.components = COMPONENTS.iter().map(|d| Component::new(*d, "s")).collect();
    let mut run = Run {
        server: Server::new(config, Box::new(TestRng::new(u64::from(u.arbitrary::<u8>()?)))),
        model: Model::default(),
        conns: Vec::new(),
        now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    };
    for user in &USERS[..2] {
        run.server.add_account(&user.parse().unwrap()).unwrap();
    }
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let mut bind_requests = BTreeSet::new();
        match u.int_in_range(0..=9u8)? {
            0 | 1 if run.conns.len() < MAX_CONNS => {
                let (conn, kind) = if u.arbitrary()? {
                    (run.server.open_client(), Kind::Client)
                } else {
                    (run.server.open_component(), Kind::Component)
                };
                run.model.kind.insert(conn, kind);
                run.conns.push(conn);
            }
            2 => {
                let Some(conn) = run.pick(u)? else { continue };
                let (mechanism, identity) = match run.model.kind[&conn] {
                    Kind::Client => {
                        let id = if u.ratio(1, 8)? { "not a jid@@".to_owned() } else { USERS[u.choose_index(USERS.len())?].to_owned() };
                        (AuthMethod::from_sasl_name("PLAIN"), id)
                    }
                    Kind::Component => (AuthMethod::ComponentHandshake, COMPONENTS[u.choose_index(COMPONENTS.len())?].to_owned()),
                };
                let live = !run.model.gone.contains(&conn);
                let first = !run.model.authenticated.contains_key(&conn);
                run.feed(conn, Event::Authenticated { mechanism, identity: identity.clone() });
                if live && first {
                    run.model.authenticated.insert(conn, identity.clone());
                    if run.model.kind[&conn] == Kind::Component && !run.model.components.values().any(|d| *d == identity) {
                        run.model.components.insert(conn, identity);
                    }
                }
            }
            3 => {
                let Some(conn) = run.pick(u)? else { continue };
                let resource = RESOURCES[u.choose_index(RESOURCES.len())?].map(str::to_owned);
                if run.model.kind[&conn] == Kind::Client && !run.model.gone.contains(&conn) {
                    bind_requests.insert(conn);
                }
                run.feed(conn, Event::BindRequest { resource });
            }
            4 | 5 | 6 => {
                let Some(conn) = run.pick(u)? else { continue };
                let el = match run.model.kind[&conn] {
                    Kind::Client => stanza(u, "jabber:client", None)?,
                    Kind::Component => {
                        let from = ["muc.a.example", "room@muc.a.example/x", "gw.a.example", "alice@a.example/r0"];
                        let from = if u.arbitrary()? { Some(from[u.choose_index(from.len())?]) } else { None };
                        stanza(u, "jabber:component:accept", from)?
                    }
                };
                run.feed(conn, Event::Stanza(el));
            }
            7 => {
                let Some(conn) = run.pick(u)? else { continue };
                let lang = if u.arbitrary()? { Some("en".to_owned()) } else { None };
                run.feed(conn, Event::StreamOpened { id: "i".into(), from: None, to: None, version: None, lang });
            }
            _ => {
                let Some(conn) = run.pick(u)? else { continue };
                run.feed(conn, Event::Closed(CloseReason::TransportClosed));
                run.model.gone.insert(conn);
                run.model.kind.remove(&conn);
                run.model.bound.remove(&conn);
                run.model.components.remove(&conn);
                run.conns.retain(|c| *c != conn);
                // A later event for it is a typed error.
                assert!(run.server.handle_event(conn, Event::Established, run.now).is_err());
            }
        }
        // An action for a connection the adapter closed in this very step would be flagged:
        // the model dropped it above.
        run.check(&bind_requests);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
