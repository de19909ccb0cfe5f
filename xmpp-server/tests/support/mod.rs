//! Drives the server core with the events connection machines would report, and sorts its
//! actions by connection.

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xmpp_server::{Action, Config, ConnectionId, Server};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{AuthMethod, CloseReason, Event};
use xmpp_stream::xml::Element;

pub const DOMAIN: &str = "example.com";

pub struct Harness {
    pub server: Server,
    pub now: SystemTime,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(Config::new([DOMAIN]))
    }

    pub fn with(config: Config) -> Harness {
        let mut server = Server::new(config, xmpp_stream::testing::rng(7));
        for user in ["juliet", "romeo", "tybalt"] {
            server
                .add_account(&format!("{user}@{DOMAIN}").parse().unwrap())
                .unwrap();
        }
        Harness {
            server,
            // 2009-02-13T23:31:30Z
            now: UNIX_EPOCH + Duration::from_secs(1_234_567_890),
        }
    }

    pub fn event(&mut self, conn: ConnectionId, event: Event) {
        self.server.handle_event(conn, event, self.now).unwrap();
    }

    /// A client connection authenticated as `user@example.com` (not bound), with the stream
    /// language `lang`.
    pub fn authenticated(&mut self, user: &str, lang: Option<&str>) -> ConnectionId {
        let conn = self.server.open_client();
        self.event(
            conn,
            Event::StreamOpened {
                id: "s1".into(),
                from: None,
                to: Some(DOMAIN.into()),
                version: None,
                lang: lang.map(str::to_owned),
            },
        );
        self.event(
            conn,
            Event::Authenticated {
                mechanism: AuthMethod::from_sasl_name("SCRAM-SHA-1"),
                identity: format!("{user}@{DOMAIN}"),
            },
        );
        conn
    }

    /// Asks to bind `resource`; the core's decision.
    pub fn bind(&mut self, conn: ConnectionId, resource: Option<&str>) -> BindDecision {
        self.event(
            conn,
            Event::BindRequest {
                resource: resource.map(str::to_owned),
            },
        );
        let actions = self.actions();
        actions
            .iter()
            .find_map(|a| match a {
                Action::Bind { conn: c, decision } if *c == conn => Some(decision.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no bind decision in {actions:?}"))
    }

    /// Authenticated and bound to `resource` (which must be accepted as asked).
    pub fn online(&mut self, user: &str, resource: &str) -> ConnectionId {
        let conn = self.authenticated(user, None);
        assert_eq!(
            self.bind(conn, Some(resource)),
            BindDecision::Accept(resource.into())
        );
        conn
    }

    /// Online, roster fetched and initial presence sent (with this priority); drains.
    pub fn available(&mut self, user: &str, resource: &str, priority: i8) -> ConnectionId {
        let conn = self.online(user, resource);
        self.stanza(
            conn,
            "<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
        );
        self.stanza(
            conn,
            &format!("<presence xmlns='jabber:client'><priority>{priority}</priority></presence>"),
        );
        self.actions();
        conn
    }

    /// A component connection authenticated for `domain`.
    pub fn component(&mut self, domain: &str) -> ConnectionId {
        let conn = self.server.open_component();
        self.event(
            conn,
            Event::Authenticated {
                mechanism: AuthMethod::ComponentHandshake,
                identity: domain.into(),
            },
        );
        conn
    }

    pub fn stanza(&mut self, conn: ConnectionId, xml: &str) {
        let el: Element = xml.parse().unwrap();
        self.event(conn, Event::Stanza(el));
    }

    pub fn closed(&mut self, conn: ConnectionId) {
        self.event(conn, Event::Closed(CloseReason::TransportClosed));
    }

    pub fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.server.poll_action()).collect()
    }

    /// Sends `xml` from `conn` and returns the stanzas the core sent, per connection.
    pub fn exchange(&mut self, conn: ConnectionId, xml: &str) -> Vec<(ConnectionId, Element)> {
        self.stanza(conn, xml);
        sent(&self.actions())
    }
}

/// The stanzas among `actions`, with their connection.
pub fn sent(actions: &[Action]) -> Vec<(ConnectionId, Element)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn, stanza } => Some((*conn, stanza.clone())),
            _ => None,
        })
        .collect()
}

/// The stanzas for one connection.
pub fn to(conn: ConnectionId, sent: &[(ConnectionId, Element)]) -> Vec<Element> {
    sent.iter()
        .filter(|(c, _)| *c == conn)
        .map(|(_, e)| e.clone())
        .collect()
}

/// The name of the stanza error condition in `el`.
pub fn error_condition(el: &Element) -> Option<String> {
    let error = el.children().find(|c| c.name() == "error")?;
    error
        .children()
        .find(|c| c.ns() == "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name() != "text")
        .map(|c| c.name().to_owned())
}
