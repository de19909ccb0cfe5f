//! Two machines talking in memory: [`pump`], [`Transcript`], [`BindPolicy`] and [`Pair`].

use std::fmt;
use std::time::{Duration, Instant};

use crate::bind::{BindDecision, BindError};
use crate::connection::{Connection, Event};
use crate::profile::Profile;

use super::*;

/// Everything that passed in each direction (wire bytes: ciphertext once TLS is up), and
/// the events of both sides, in order.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Bytes the client (initiator) sent.
    pub c2s: Vec<u8>,
    /// Bytes the server (receiver) sent.
    pub s2c: Vec<u8>,
    /// Events the client reported.
    pub client_events: Vec<Event>,
    /// Events the server reported (bind requests included, answered by the pump).
    pub server_events: Vec<Event>,
}

impl Transcript {
    /// [`Transcript::c2s`] as text (lossy).
    pub fn c2s_str(&self) -> String {
        String::from_utf8_lossy(&self.c2s).into_owned()
    }

    /// [`Transcript::s2c`] as text (lossy).
    pub fn s2c_str(&self) -> String {
        String::from_utf8_lossy(&self.s2c).into_owned()
    }
}

/// How many rounds [`pump_with`] runs before it gives up.
const MAX_ROUNDS: usize = 200;

/// Moves bytes both ways at `now` until neither side has anything to send, recording them
/// and the events in `t`. The server application answers bind requests with `bind`.
///
/// # Panics
///
/// If the machines are still exchanging bytes after 200 rounds.
pub fn pump_with(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
    t: &mut Transcript,
    bind: &mut dyn FnMut(&mut Connection, Option<String>),
) {
    for _ in 0..MAX_ROUNDS {
        let mut moved = false;
        if let Some(b) = client.poll_transmit() {
            t.c2s.extend_from_slice(&b);
            server.handle_input(now, &b);
            moved = true;
        }
        while let Some(e) = server.poll_event() {
            if let Event::BindRequest { resource } = &e {
                let r = resource.clone();
                t.server_events.push(e);
                bind(server, r);
                moved = true;
                continue;
            }
            t.server_events.push(e);
        }
        if let Some(b) = server.poll_transmit() {
            t.s2c.extend_from_slice(&b);
            client.handle_input(now, &b);
            moved = true;
        }
        while let Some(e) = client.poll_event() {
            t.client_events.push(e);
        }
        if !moved {
            return;
        }
    }
    panic!(
        "the machines did not settle: still exchanging bytes after {MAX_ROUNDS} rounds \
         ({} bytes client to server, {} bytes server to client so far; last client event {:?}, \
         last server event {:?})",
        t.c2s.len(),
        t.s2c.len(),
        t.client_events.last(),
        t.server_events.last(),
    );
}

/// [`pump_with`] answering bind requests by [`BindPolicy::AcceptRequested`].
pub fn pump(client: &mut Connection, server: &mut Connection, now: Instant, t: &mut Transcript) {
    pump_with(client, server, now, t, &mut |s, r| {
        BindPolicy::AcceptRequested.answer(s, r)
    });
}

/// Feeds raw bytes to a machine at `now` and returns (the bytes it sent, its events).
pub fn feed(conn: &mut Connection, now: Instant, input: &[u8]) -> (String, Vec<Event>) {
    conn.handle_input(now, input);
    drain(conn)
}

/// Everything a machine has to send (as text, lossy) and its pending events.
pub fn drain(conn: &mut Connection) -> (String, Vec<Event>) {
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event() {
        events.push(e);
    }
    (String::from_utf8_lossy(&out).into_owned(), events)
}

/// An application's answer to a bind request for a resource: it calls [`Connection::bind`].
pub type BindAnswer = Box<dyn FnMut(&mut Connection, Option<String>) + Send>;

/// How the server side of a [`Pair`] answers [`Event::BindRequest`].
#[derive(Default)]
#[non_exhaustive]
pub enum BindPolicy {
    /// Bind the requested resource, or [`GENERATED_RESOURCE`] when none is requested (the
    /// default).
    #[default]
    AcceptRequested,
    /// Bind the requested resource, or one from [`Connection::generate_resource`].
    AcceptOrGenerate,
    /// Refuse every request with this error.
    Refuse(BindError),
    /// Let the closure answer (with [`Connection::bind`]) the request for this resource.
    Custom(BindAnswer),
}

impl BindPolicy {
    /// Answers a bind request for `resource` on `server`.
    ///
    /// # Panics
    ///
    /// If `server` is not waiting for a bind decision.
    pub fn answer(&mut self, server: &mut Connection, resource: Option<String>) {
        let decision = match self {
            BindPolicy::AcceptRequested => {
                BindDecision::Accept(resource.unwrap_or_else(|| GENERATED_RESOURCE.to_owned()))
            }
            BindPolicy::AcceptOrGenerate => {
                BindDecision::Accept(resource.unwrap_or_else(|| server.generate_resource()))
            }
            BindPolicy::Refuse(error) => BindDecision::Refuse(*error),
            BindPolicy::Custom(answer) => return answer(server, resource),
        };
        server
            .bind(decision)
            .expect("the server waits for a bind decision");
    }
}

impl fmt::Debug for BindPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindPolicy::AcceptRequested => f.write_str("AcceptRequested"),
            BindPolicy::AcceptOrGenerate => f.write_str("AcceptOrGenerate"),
            BindPolicy::Refuse(e) => f.debug_tuple("Refuse").field(e).finish(),
            BindPolicy::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Two machines connected in memory: an initiator (client, component or originating
/// server) and a receiver, a fake [`Clock`], the [`Transcript`] of everything that passed
/// and the [`BindPolicy`] of the server side.
#[derive(Debug)]
pub struct Pair {
    /// The initiating machine.
    pub client: Connection,
    /// The receiving machine.
    pub server: Connection,
    /// The time both machines see; [`Pair::advance`] moves it.
    pub clock: Clock,
    /// What passed since the pair was made or [`Pair::take_transcript`] was last called.
    pub transcript: Transcript,
    /// How the server answers bind requests.
    pub bind: BindPolicy,
}

impl Pair {
    /// A pair of the given machines, made at [`t0`] (as every constructor of this module
    /// makes them), with the default [`BindPolicy`].
    pub fn new(client: Connection, server: Connection) -> Pair {
        Pair {
            client,
            server,
            clock: Clock::new(),
            transcript: Transcript::default(),
            bind: BindPolicy::default(),
        }
    }

    /// c2s over STARTTLS with the RFC 6120 profile and SCRAM: [`ClientOpts::tls`] against
    /// [`server`] presenting `pki`'s server certificate.
    pub fn c2s_starttls(pki: &TestPki) -> Pair {
        Pair::new(
            client(ClientOpts::tls(pki)),
            server(Profile::rfc6120(), Some(pki.server_config()), false),
        )
    }

    /// c2s without TLS ([`plaintext_profile`]): readable transcripts.
    pub fn c2s_plaintext() -> Pair {
        Pair::new(client(ClientOpts::plaintext()), plaintext_server())
    }

    /// A component and its server ([`component_pair`]).
    pub fn component(secret: &str) -> Pair {
        let (component, server) = component_pair(secret);
        Pair::new(component, server)
    }

    /// The same pair with another bind policy.
    pub fn with_bind_policy(mut self, policy: BindPolicy) -> Pair {
        self.bind = policy;
        self
    }

    /// Moves bytes both ways at the clock's current instant until both machines settle,
    /// appending to [`Pair::transcript`].
    ///
    /// # Panics
    ///
    /// If the machines never settle (see [`pump_with`]).
    pub fn pump(&mut self) {
        let Pair {
            client,
            server,
            clock,
            transcript,
            bind,
        } = self;
        pump_with(client, server, clock.now(), transcript, &mut |s, r| {
            bind.answer(s, r)
        });
    }

    /// Moves the clock forward by `by`, fires the timers that are due on either machine,
    /// then [`pumps`](Pair::pump).
    pub fn advance(&mut self, by: Duration) {
        let now = self.clock.advance(by);
        for conn in [&mut self.client, &mut self.server] {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
        }
        self.pump();
    }

    /// Whether both machines have finished negotiating.
    pub fn is_established(&self) -> bool {
        self.client.is_established() && self.server.is_established()
    }

    /// The transcript so far, leaving an empty one in its place.
    pub fn take_transcript(&mut self) -> Transcript {
        std::mem::take(&mut self.transcript)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (mut a, mut b) = (TestRng::new(7), TestRng::new(7));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
        assert_ne!(TestRng::new(8).next_u64(), TestRng::new(7).next_u64());
    }

    #[test]
    fn the_clock_moves_only_when_told() {
        let mut clock = Clock::new();
        assert_eq!(clock.now(), t0());
        assert_eq!(clock.advance(Duration::from_secs(3)), secs(3));
        assert_eq!(clock.now(), secs(3));
        assert_eq!(clock.start(), t0());
        assert_eq!(clock.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn plaintext_pair_logs_in_with_the_bind_policy() {
        let mut pair = Pair::c2s_plaintext();
        pair.pump();
        assert!(pair.is_established());
        assert!(pair.transcript.c2s_str().contains("<bind"));
        assert!(
            pair.transcript
                .s2c_str()
                .contains("juliet@example.com/balcony")
        );

        let mut opts = ClientOpts::plaintext();
        opts.resource = None;
        let mut pair = Pair::new(client(opts), plaintext_server());
        pair.pump();
        let jid = pair.client.bound_jid().unwrap().as_str().to_owned();
        assert_eq!(jid, format!("juliet@example.com/{GENERATED_RESOURCE}"));

        let mut opts = ClientOpts::plaintext();
        opts.resource = None;
        let mut pair = Pair::new(client(opts), plaintext_server())
            .with_bind_policy(BindPolicy::AcceptOrGenerate);
        pair.pump();
        let jid = pair.client.bound_jid().unwrap().as_str().to_owned();
        assert!(!jid.ends_with(GENERATED_RESOURCE), "{jid}");
        assert_eq!(
            pair.server.bound_jid().map(|j| j.as_str()),
            Some(jid.as_str())
        );
    }

    #[test]
    fn component_pair_and_timers() {
        let mut pair = Pair::component("secret");
        pair.pump();
        assert!(pair.is_established());
        pair.take_transcript();
        pair.client.close();
        pair.advance(Duration::from_secs(1));
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert_eq!(pair.clock.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn pki_issues_certificates_its_configs_accept() {
        let pki = TestPki::example();
        assert_eq!(pki.server.names, ["example.com", "example.net"]);
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.server.key_pem().contains("PRIVATE KEY"));
        let mut pair = Pair::c2s_starttls(&pki);
        pair.pump();
        assert!(pair.client.is_tls() && pair.is_established());
        // With the client certificate and a server that asks for one, the server sees it.
        let mut opts = ClientOpts::tls(&pki);
        opts.tls = Some(pki.client_config_with_cert());
        let mut pair = Pair::new(
            client(opts),
            server(
                Profile::rfc6120(),
                Some(pki.server_config_with_client_auth()),
                false,
            ),
        );
        pair.pump();
        assert!(pair.is_established());
        let seen = pair.transcript.server_events.iter().find_map(|e| match e {
            Event::TlsEstablished(peer) => Some(peer.certificates.clone()),
            _ => None,
        });
        assert_eq!(seen, Some(vec![pki.client.as_ref().unwrap().cert.clone()]));
    }
}
