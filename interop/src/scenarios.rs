//! One IM scenario suite for any server: each scenario logs blocking clients
//! ([`xmpp_blocking::Client`]) and a component ([`xmpp_blocking::Component`]) in to the server
//! at a [`Target`] and checks what RFC 6120/6121 and XEP-0114 say the server does. Both
//! adapters' servers run the same suite (`xmpp-blocking/tests/im_server.rs`,
//! `xmpp-tokio/tests/im_server.rs`).
//!
//! The server under test serves [`DOMAIN`] with the accounts [`USERS`] (password
//! [`PASSWORD`]; [`credentials`] is such a store, [`accounts`] their JIDs, which the server
//! must know before their first login) and admits the component [`COMPONENT`] with
//! [`COMPONENT_SECRET`]. Give each scenario a fresh server: they leave rosters and offline
//! messages behind. A scenario panics, naming what it waited for, when the server gets
//! something wrong; every wait is bounded by [`STEP`].
//!
//! Ordering is what makes the negative checks exact: a server handles one connection's
//! stanzas in order, so a client that sends a stanza and then a ping to the server knows,
//! when the answer comes, that the stanza was handled ([`Peer::sync`]); and a recipient that
//! sees a marker message from a sender has already seen everything that sender's earlier
//! stanzas made the server send it ([`Peer::collect_until`]).
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use xmpp_interop::scenarios::{self, Target};
//!
//! /// Runs one scenario against a server listening for clients and components there.
//! fn check(clients: SocketAddr, components: SocketAddr) {
//!     let target = Target::new(clients, components, &scenarios::Trust::insecure_skip_verify());
//!     scenarios::presence_reaches_only_subscribed_contacts(&target);
//! }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How [`Target::new`] trusts the server's certificate (the adapters' `Trust`).
pub use xmpp_blocking::Trust;
use xmpp_blocking::{Client, ClientConfig, Component, ComponentConfig, Event};
use xmpp_jid::{BareJid, FullJid};
use xmpp_stream::xml::Element;

/// The domain the server under test serves.
pub const DOMAIN: &str = "localhost";
/// The accounts it has, all with [`PASSWORD`].
pub const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
/// Every account's password.
pub const PASSWORD: &str = "secret";
/// The XEP-0114 component it admits.
pub const COMPONENT: &str = "echo.localhost";
/// The component's shared secret.
pub const COMPONENT_SECRET: &str = "s3cret";
/// The longest any single wait of a scenario lasts.
pub const STEP: Duration = Duration::from_secs(10);

const NS_CLIENT: &str = "jabber:client";
const NS_COMPONENT: &str = "jabber:component:accept";
const NS_ROSTER: &str = "jabber:iq:roster";
const NS_PING: &str = "urn:xmpp:ping";
const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
const NS_DELAY: &str = "urn:xmpp:delay";
const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// A credential store with [`USERS`] (SCRAM at 4096 iterations), made once per process.
pub fn credentials() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut store = xmpp_sasl::MemoryStore::new().with_domain(DOMAIN);
            for user in USERS {
                store
                    .add_user(user, PASSWORD, 4096, &mut rand_core::OsRng)
                    .expect("a valid account");
            }
            Arc::new(store)
        })
        .clone()
}

/// The server core's configuration the scenarios expect: [`DOMAIN`], with the component
/// [`COMPONENT`] admitted by [`COMPONENT_SECRET`].
pub fn core_config() -> xmpp_blocking::xmpp_server::Config {
    let mut core = xmpp_blocking::xmpp_server::Config::new([DOMAIN]);
    core.components
        .push(xmpp_blocking::xmpp_server::Component::new(
            COMPONENT,
            COMPONENT_SECRET,
        ));
    core
}

/// [`USERS`] as bare JIDs at [`DOMAIN`].
pub fn accounts() -> Vec<BareJid> {
    USERS
        .iter()
        .map(|u| BareJid::new(&format!("{u}@{DOMAIN}")).expect("a valid JID"))
        .collect()
}

/// Where the server under test listens, and how to trust it.
#[derive(Debug, Clone)]
pub struct Target {
    /// How clients connect (its `server` is the client listener; `tls`, `profile` and the
    /// timeouts as the server needs).
    pub client: ClientConfig,
    /// How the component connects.
    pub component: ComponentConfig,
}

impl Target {
    /// Clients on `clients` trusting `trust`, the component on `components`. Panics if
    /// `trust` cannot make a TLS configuration (no anchor).
    pub fn new(clients: SocketAddr, components: SocketAddr, trust: &Trust) -> Target {
        let mut client = ClientConfig::trusting(trust)
            .unwrap_or_else(|e| panic!("no TLS configuration from {trust:?}: {e}"))
            .with_server(clients.ip().to_string(), clients.port());
        client.login_timeout = Duration::from_secs(30);
        Target {
            client,
            component: ComponentConfig::new(components.ip().to_string(), components.port()),
        }
    }

    /// `user` logged in, asking for `resource` (`None`: the server picks one).
    pub fn login(&self, user: &str, resource: Option<&str>) -> Peer {
        let mut config = self.client.clone();
        config.resource = resource.map(str::to_owned);
        let jid = BareJid::new(&format!("{user}@{DOMAIN}")).expect("a valid JID");
        let client = Client::connect(&jid, PASSWORD, &config)
            .unwrap_or_else(|e| panic!("{user} cannot log in: {e}"));
        Peer {
            name: user.to_owned(),
            link: Link::Client(client),
            inbox: VecDeque::new(),
            next_id: 0,
        }
    }

    /// [`COMPONENT`] connected, and known to the server's router (see [`Peer::sync`]).
    pub fn component(&self) -> Peer {
        let component = Component::connect(COMPONENT, COMPONENT_SECRET, &self.component)
            .unwrap_or_else(|e| panic!("the component cannot connect: {e}"));
        let mut peer = Peer {
            name: COMPONENT.to_owned(),
            link: Link::Component(component),
            inbox: VecDeque::new(),
            next_id: 0,
        };
        // The handshake is answered by the stream machine; the server's router learns of the
        // component from the same event, after it.
        peer.sync();
        peer
    }
}

enum Link {
    Client(Client),
    Component(Component),
}

/// A logged-in client or a connected component, with an inbox: waits for a stanza matching a
/// test, keeping the others for later waits.
pub struct Peer {
    /// Who it is (for messages).
    pub name: String,
    link: Link,
    inbox: VecDeque<Element>,
    next_id: u32,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("name", &self.name)
            .field("inbox", &self.inbox.len())
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// The client's bound full JID (panics for the component).
    pub fn jid(&self) -> &FullJid {
        match &self.link {
            Link::Client(c) => c.jid(),
            Link::Component(_) => panic!("a component has no full JID"),
        }
    }

    /// The stanza namespace of its stream.
    pub fn ns(&self) -> &'static str {
        match self.link {
            Link::Client(_) => NS_CLIENT,
            Link::Component(_) => NS_COMPONENT,
        }
    }

    /// Sends a stanza.
    pub fn send(&mut self, stanza: &Element) {
        let sent = match &mut self.link {
            Link::Client(c) => c.send(stanza),
            Link::Component(c) => c.send(stanza),
        };
        sent.unwrap_or_else(|e| panic!("{}: send failed: {e}", self.name));
    }

    fn recv(&mut self, timeout: Duration) -> Option<Element> {
        let got = match &mut self.link {
            Link::Client(c) => c.recv_timeout(timeout),
            Link::Component(c) => c.recv_timeout(timeout),
        };
        match got {
            Ok(Some(Event::Stanza(el))) => Some(el),
            Ok(Some(Event::StreamError(e))) => panic!("{}: stream error {e}", self.name),
            Ok(Some(Event::Closed(reason))) => panic!("{}: stream closed: {reason:?}", self.name),
            Ok(Some(_)) | Ok(None) => None,
            Err(e) => panic!("{}: {e}", self.name),
        }
    }

    /// The first stanza (kept earlier, or arriving within [`STEP`]) that `test` maps to
    /// `Some`; the others are kept.
    pub fn expect<T>(&mut self, what: &str, mut test: impl FnMut(&Element) -> Option<T>) -> T {
        if let Some((i, found)) = self
            .inbox
            .iter()
            .enumerate()
            .find_map(|(i, el)| test(el).map(|t| (i, t)))
        {
            self.inbox.remove(i);
            return found;
        }
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{}: no {what} within {STEP:?}; kept meanwhile: {:#?}",
                self.name,
                self.inbox
            );
            if let Some(el) = self.recv(left) {
                match test(&el) {
                    Some(found) => return found,
                    None => self.inbox.push_back(el),
                }
            }
        }
    }

    /// Every stanza received (kept ones first) up to and including the first that `last`
    /// accepts, which must come within [`STEP`]; stanzas kept after that one stay kept.
    pub fn collect_until(&mut self, what: &str, last: impl Fn(&Element) -> bool) -> Vec<Element> {
        let mut seen: Vec<Element> = Vec::new();
        while let Some(el) = self.inbox.pop_front() {
            let done = last(&el);
            seen.push(el);
            if done {
                return seen;
            }
        }
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{}: no {what} within {STEP:?}; received meanwhile: {seen:#?}",
                self.name
            );
            if let Some(el) = self.recv(left) {
                let done = last(&el);
                seen.push(el);
                if done {
                    return seen;
                }
            }
        }
    }

    /// Sends an IQ of `kind` (`get`/`set`) to `to` (`None`: its own account) with `payload`;
    /// returns the answer, a result or an error.
    pub fn iq_answer(&mut self, kind: &str, to: Option<&str>, payload: Element) -> Element {
        self.next_id += 1;
        let id = format!("{}-{}", self.name, self.next_id);
        let mut iq = Element::builder("iq", self.ns())
            .attr("type", kind.to_owned())
            .attr("id", id.clone())
            .child(payload);
        if let Some(to) = to {
            iq = iq.attr("to", to.to_owned());
        }
        if let Link::Component(_) = self.link {
            iq = iq.attr("from", COMPONENT);
        }
        self.send(&iq.build());
        self.expect(&format!("answer to IQ {id}"), |el| {
            (el.name() == "iq"
                && el.attr("id") == Some(id.as_str())
                && matches!(el.attr("type"), Some("result" | "error")))
            .then(|| el.clone())
        })
    }

    /// Like [`iq_answer`](Self::iq_answer), requiring a result.
    pub fn iq(&mut self, kind: &str, to: Option<&str>, payload: Element) -> Element {
        let answer = self.iq_answer(kind, to, payload);
        assert_eq!(
            answer.attr("type"),
            Some("result"),
            "{}: IQ refused: {answer:?}",
            self.name
        );
        answer
    }

    /// Pings the server's domain and waits for the answer: everything this peer sent before
    /// has been handled by the server.
    pub fn sync(&mut self) {
        self.iq("get", Some(DOMAIN), Element::new("ping", NS_PING));
    }

    /// Closes the stream (the closing handshake).
    pub fn close(self) {
        let closed = match self.link {
            Link::Client(c) => c.close(),
            Link::Component(c) => c.close(),
        };
        closed.unwrap_or_else(|e| panic!("{}: close failed: {e}", self.name));
    }
}

/// A chat message in namespace `ns`.
fn chat(ns: &str, to: &str, body: &str) -> Element {
    Element::builder("message", ns.to_owned())
        .attr("to", to.to_owned())
        .attr("type", "chat")
        .child(Element::builder("body", ns.to_owned()).text(body.to_owned()))
        .build()
}

/// A presence stanza (no `to`, no `type` if `None`) with an optional status.
fn presence(to: Option<&str>, kind: Option<&str>, status: Option<&str>) -> Element {
    let mut p = Element::builder("presence", NS_CLIENT);
    if let Some(to) = to {
        p = p.attr("to", to.to_owned());
    }
    if let Some(kind) = kind {
        p = p.attr("type", kind.to_owned());
    }
    if let Some(status) = status {
        p = p.child(Element::builder("status", NS_CLIENT).text(status.to_owned()));
    }
    p.build()
}

/// The body of a message (in `ns`), if `el` is one.
fn body(el: &Element, ns: &str) -> Option<String> {
    (el.name() == "message")
        .then(|| el.child_text("body", ns).map(|b| b.into_owned()))
        .flatten()
}

fn bare(jid: &str) -> &str {
    jid.split('/').next().unwrap_or(jid)
}

fn bare_of(user: &str) -> String {
    format!("{user}@{DOMAIN}")
}

/// Two users chat: a message to the other's full JID reaches that resource, one to the bare
/// JID reaches the available resource, each stamped with the sender's full JID (RFC 6120
/// §8.1.2.1, RFC 6121 §8.5).
pub fn chat_by_full_and_bare_jid(target: &Target) {
    let mut alice = target.login("alice", Some("desk"));
    let mut bob = target.login("bob", Some("phone"));
    // Bare-JID messages go to available resources (RFC 6121 §8.5.2.1.1).
    bob.send(&presence(None, None, None));
    bob.sync();
    let alice_jid = alice.jid().to_string();
    let bob_jid = bob.jid().to_string();

    alice.send(&chat(NS_CLIENT, &bob_jid, "to your full JID"));
    let from = bob.expect("the full-JID message", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("to your full JID")).then(|| {
            (
                el.attr("from").map(str::to_owned),
                el.attr("to").map(str::to_owned),
            )
        })
    });
    assert_eq!(from, (Some(alice_jid.clone()), Some(bob_jid.clone())));

    alice.send(&chat(NS_CLIENT, &bare_of("bob"), "to your bare JID"));
    let from = bob.expect("the bare-JID message", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("to your bare JID"))
            .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(alice_jid.as_str()));

    // The server stamps the sender's full JID, also over a bare `from` the client wrote
    // (RFC 6120 §8.1.2.1; another account's `from` ends the stream with <invalid-from/>).
    let mut answer = chat(NS_CLIENT, &alice_jid, "and back");
    answer.set_attr("from", bare_of("bob"));
    bob.send(&answer);
    let from = alice.expect("bob's answer", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("and back"))
            .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(bob_jid.as_str()));
    alice.close();
    bob.close();
}

/// Presence without `to` goes to the contacts subscribed to the sender and to the sender's
/// own available resources, and to no one else: carol, online but not a contact, receives
/// none of alice's presence (the presence leak of the old blocking server). Checked for an
/// update (RFC 6121 §4.4.2) and for initial presence of a second resource (§4.2.2).
pub fn presence_reaches_only_subscribed_contacts(target: &Target) {
    let mut alice = target.login("alice", Some("desk"));
    let mut bob = target.login("bob", None);
    let mut carol = target.login("carol", None);
    // The login sequence of RFC 6121 §2.2: the roster (which makes the resource interested:
    // subscription approvals go to interested resources, §3.1.6), then initial presence.
    for peer in [&mut alice, &mut bob, &mut carol] {
        peer.iq("get", None, Element::new("query", NS_ROSTER));
        peer.send(&presence(None, None, None));
        peer.sync();
    }
    let alice_bare = bare_of("alice");
    let bob_bare = bare_of("bob");

    // Bob subscribes to alice; she approves.
    bob.send(&presence(Some(&alice_bare), Some("subscribe"), None));
    alice.expect("bob's subscription request", |el| {
        (el.name() == "presence"
            && el.attr("type") == Some("subscribe")
            && el.attr("from") == Some(bob_bare.as_str()))
        .then_some(())
    });
    alice.send(&presence(Some(&bob_bare), Some("subscribed"), None));
    bob.expect("alice's approval", |el| {
        (el.name() == "presence"
            && el.attr("type") == Some("subscribed")
            && el.attr("from").map(bare) == Some(alice_bare.as_str()))
        .then_some(())
    });

    // An update from alice reaches bob, from her full JID.
    alice.send(&presence(None, None, Some("in a meeting")));
    let from = bob.expect("alice's presence update", |el| {
        (el.name() == "presence"
            && el.attr("type").is_none()
            && el.child_text("status", NS_CLIENT).as_deref() == Some("in a meeting"))
        .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(alice.jid().as_str()));

    // Initial presence of a second resource reaches bob too.
    let mut phone = target.login("alice", Some("phone"));
    phone.send(&presence(None, None, Some("on the move")));
    let from = bob.expect("the second resource's initial presence", |el| {
        (el.name() == "presence"
            && el.child_text("status", NS_CLIENT).as_deref() == Some("on the move"))
        .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(phone.jid().as_str()));

    // Carol is no contact: up to a marker that both of alice's resources send after their
    // presence, she has received none of alice's presence.
    let carol_jid = carol.jid().to_string();
    for (sender, marker) in [
        (&mut alice, "marker from desk"),
        (&mut phone, "marker from phone"),
    ] {
        sender.send(&chat(NS_CLIENT, &carol_jid, marker));
        let seen = carol.collect_until(marker, |el| body(el, NS_CLIENT).as_deref() == Some(marker));
        let leaked: Vec<&Element> = seen
            .iter()
            .filter(|el| el.name() == "presence" && el.attr("from").map(bare) == Some(&alice_bare))
            .collect();
        assert!(
            leaked.is_empty(),
            "alice's presence leaked to carol: {leaked:#?}"
        );
    }
    for peer in [alice, phone, bob, carol] {
        peer.close();
    }
}

/// A roster set is pushed to the interested resource and answered with a result; a roster
/// get then returns the item as it was set (RFC 6121 §2.3, §2.1.3).
pub fn roster_get_returns_the_pushed_items(target: &Target) {
    let mut alice = target.login("alice", None);
    // The first get makes alice an interested resource (RFC 6121 §2.2).
    let empty = alice.iq("get", None, Element::new("query", NS_ROSTER));
    let query = empty.child("query", NS_ROSTER).expect("a roster query");
    assert_eq!(
        query.children().count(),
        0,
        "a new account's roster: {empty:?}"
    );

    let dave = bare_of("dave");
    let item = Element::builder("item", NS_ROSTER)
        .attr("jid", dave.clone())
        .attr("name", "Dave")
        .child(Element::builder("group", NS_ROSTER).text("Friends"));
    alice.iq(
        "set",
        None,
        Element::builder("query", NS_ROSTER).child(item).build(),
    );
    let push = alice.expect("the roster push", |el| {
        (el.name() == "iq"
            && el.attr("type") == Some("set")
            && el
                .child("query", NS_ROSTER)
                .and_then(|q| q.child("item", NS_ROSTER))
                .and_then(|i| i.attr("jid"))
                == Some(dave.as_str()))
        .then(|| el.clone())
    });
    // A push comes from the account itself (no `from`, or the bare JID) and is acknowledged.
    assert!(
        push.attr("from").is_none() || push.attr("from") == Some(bare_of("alice").as_str()),
        "{push:?}"
    );
    let mut ack = Element::builder("iq", NS_CLIENT).attr("type", "result");
    if let Some(id) = push.attr("id") {
        ack = ack.attr("id", id.to_owned());
    }
    alice.send(&ack.build());

    let roster = alice.iq("get", None, Element::new("query", NS_ROSTER));
    let items: Vec<&Element> = roster
        .child("query", NS_ROSTER)
        .map(|q| q.children_named("item", NS_ROSTER).collect())
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{roster:?}");
    let got = items[0];
    assert_eq!(got.attr("jid"), Some(dave.as_str()));
    assert_eq!(got.attr("name"), Some("Dave"));
    assert!(
        matches!(got.attr("subscription"), None | Some("none")),
        "{got:?}"
    );
    assert_eq!(
        got.child_text("group", NS_ROSTER).as_deref(),
        Some("Friends")
    );
    alice.close();
}

/// A message to an account with no resource online is kept and delivered when the account
/// next sends initial presence, with an XEP-0203 delay stamp from the server's domain (RFC
/// 6121 §8.5.2.2.1, XEP-0160).
pub fn offline_message_is_delivered_with_a_delay_stamp(target: &Target) {
    let mut alice = target.login("alice", None);
    alice.send(&chat(NS_CLIENT, &bare_of("dave"), "while you were away"));
    // Stored (not bounced) once the server has handled it.
    alice.sync();
    let bounced: Vec<&Element> = alice
        .inbox
        .iter()
        .filter(|el| el.attr("type") == Some("error"))
        .collect();
    assert!(bounced.is_empty(), "the message bounced: {bounced:#?}");
    let alice_jid = alice.jid().to_string();

    let mut dave = target.login("dave", None);
    dave.send(&presence(None, None, None));
    let message = dave.expect("the stored message", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("while you were away")).then(|| el.clone())
    });
    assert_eq!(message.attr("from"), Some(alice_jid.as_str()));
    let delay = message
        .child("delay", NS_DELAY)
        .unwrap_or_else(|| panic!("no XEP-0203 delay: {message:?}"));
    assert_eq!(delay.attr("from"), Some(DOMAIN));
    let stamp = delay.attr("stamp").unwrap_or_default();
    // XEP-0082 DateTime in UTC: 1969-07-21T02:56:15Z (fractions allowed).
    assert!(
        stamp.len() >= 20 && stamp.as_bytes()[10] == b'T' && stamp.ends_with('Z'),
        "{stamp:?}"
    );
    alice.close();
    dave.close();
}

/// A component receives a message addressed to its domain, in `jabber:component:accept` and
/// from the user's full JID; its reply reaches the user in `jabber:client` (XEP-0114).
pub fn component_round_trip(target: &Target) {
    let mut echo = target.component();
    let mut alice = target.login("alice", None);
    let alice_jid = alice.jid().to_string();
    alice.send(&chat(NS_CLIENT, COMPONENT, "ping"));
    let got = echo.expect("alice's message", |el| {
        (el.name() == "message").then(|| el.clone())
    });
    assert_eq!(got.ns(), NS_COMPONENT, "{got:?}");
    assert_eq!(got.attr("from"), Some(alice_jid.as_str()));
    assert_eq!(got.attr("to"), Some(COMPONENT));
    assert_eq!(
        got.child_text("body", NS_COMPONENT).as_deref(),
        Some("ping")
    );

    let mut reply = chat(NS_COMPONENT, &alice_jid, "pong");
    reply.set_attr("from", COMPONENT);
    echo.send(&reply);
    let back = alice.expect("the component's reply", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("pong")).then(|| el.clone())
    });
    assert_eq!(back.ns(), NS_CLIENT);
    assert_eq!(back.attr("from"), Some(COMPONENT));
    alice.close();
    echo.close();
}

/// The server answers a ping and a disco#info request to its domain itself, from its domain
/// (XEP-0199, XEP-0030); an unknown request to it gets `service-unavailable`.
pub fn server_answers_ping_and_disco_info(target: &Target) {
    let mut alice = target.login("alice", None);
    let pong = alice.iq("get", Some(DOMAIN), Element::new("ping", NS_PING));
    assert_eq!(pong.attr("from"), Some(DOMAIN));
    assert_eq!(pong.attr("to"), Some(alice.jid().as_str()));

    let info = alice.iq("get", Some(DOMAIN), Element::new("query", NS_DISCO_INFO));
    assert_eq!(info.attr("from"), Some(DOMAIN));
    let query = info
        .child("query", NS_DISCO_INFO)
        .unwrap_or_else(|| panic!("no disco#info query: {info:?}"));
    assert!(
        query
            .children_named("identity", NS_DISCO_INFO)
            .any(|i| i.attr("category") == Some("server") && i.attr("type") == Some("im")),
        "{info:?}"
    );
    let features: Vec<&str> = query
        .children_named("feature", NS_DISCO_INFO)
        .filter_map(|f| f.attr("var"))
        .collect();
    for needed in [NS_DISCO_INFO, NS_PING] {
        assert!(features.contains(&needed), "{needed} not in {features:?}");
    }

    let unknown = alice.iq_answer(
        "get",
        Some(DOMAIN),
        Element::new("query", "urn:example:unknown"),
    );
    assert_eq!(unknown.attr("type"), Some("error"));
    let condition = unknown
        .child("error", NS_CLIENT)
        .and_then(|e| e.children().find(|c| c.ns() == NS_STANZAS))
        .map(|c| c.name().to_owned());
    assert_eq!(condition.as_deref(), Some("service-unavailable"));
    alice.close();
}

/// A second login asking for a resource the account already has gets a generated one (the
/// default conflict policy, RFC 6120 §7.7.2.2), and both sessions keep working.
pub fn same_resource_twice_gets_a_generated_one(target: &Target) {
    let mut first = target.login("alice", Some("desk"));
    assert_eq!(first.jid().resource(), "desk");
    let mut second = target.login("alice", Some("desk"));
    assert_eq!(second.jid().to_bare(), first.jid().to_bare());
    assert_ne!(
        second.jid().resource(),
        "desk",
        "the resource was handed out twice"
    );
    assert!(!second.jid().resource().is_empty());

    let (first_jid, second_jid) = (first.jid().to_string(), second.jid().to_string());
    second.send(&chat(NS_CLIENT, &first_jid, "from the second session"));
    let from = first.expect("the second session's message", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("from the second session"))
            .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(second_jid.as_str()));
    first.send(&chat(NS_CLIENT, &second_jid, "from the first session"));
    let from = second.expect("the first session's message", |el| {
        (body(el, NS_CLIENT).as_deref() == Some("from the first session"))
            .then(|| el.attr("from").map(str::to_owned))
    });
    assert_eq!(from.as_deref(), Some(first_jid.as_str()));
    first.sync();
    second.sync();
    first.close();
    second.close();
}
