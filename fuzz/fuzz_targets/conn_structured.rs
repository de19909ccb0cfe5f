//! Structure-aware fuzzing of the connection machines: one machine under test (either role,
//! any stream kind, one SASL mechanism) talks to a real peer machine of the other role, and an
//! `arbitrary`-decoded list of operations drives the pair: pump the peer's bytes over (in any
//! split), inject a valid protocol step from a template list, a mutated template (byte flip,
//! truncation, insertion, deletion, attribute swap), raw bytes, a mutation of the peer's bytes
//! in flight, advance the clock (keepalives, timeouts), local sends and closes on either side,
//! the transport's end, or whitespace and junk at the STARTTLS handover. Because the peer is a
//! real machine (same deterministic RNG and credentials), SCRAM, PLAIN, ANONYMOUS and the
//! component handshake really succeed, and the fuzzer spends its time in deep states
//! (authenticated, bound, established, closing).
//!
//! With the TLS flag both machines get a TLS configuration from the test kit's PKI, made once
//! (the profile then requires STARTTLS, as `Profile::rfc6120()` does), so the pair goes through
//! `<starttls/>`, the TLS handshake in memory, SCRAM (-PLUS when the receiver advertises a
//! channel-binding type, XEP-0440) and bind; in that mode operation 15 also injects whitespace
//! or junk right after the peer's `<starttls/>`/`<proceed/>` (or feeds it to the peer). rustls
//! draws its randomness from ring, so the ciphertext differs between runs; its length does not
//! (see `tls_setup`), so byte positions in an input keep their meaning. Mutating ciphertext
//! makes TLS fail, which is one of the outcomes checked.
//!
//! Checked after every operation: no panic; output in proportion to input; after the machine
//! reports `Closed` (`TlsFailed` included: reported once), no byte and no event; a stream error
//! we send is followed by the closing tag and nothing else (checked on plaintext); progress
//! never goes backwards (identity, bound JID, established); `Authenticated`, `Bound`,
//! `Established` and `Closed` come at most once and in order; stanzas only on an established
//! stream (for the peer machine too); `TlsEstablished` at most once, and only with TLS
//! configured; with TLS required, neither side authenticates or establishes before its TLS is
//! up; `TlsFailed` only with TLS configured; once TLS is up on both sides, the client's
//! `Authenticated` mechanism is a -PLUS one exactly when the receiver advertised a
//! channel-binding type (with a client profile that allows -PLUS; one that does not never uses
//! it), and the receiver reports the same mechanism.
//!
//! Input format (one byte per choice, so seeds are easy to write by hand, see
//! `fuzz/seeds/conn_structured/README`): kind, role, mechanism, flags, then operations until
//! the input ends (at most 128). Set `CONN_STRUCTURED_TRACE=1` to print one line per input
//! saying how far the machine got (used to count how often seeds reach the established state,
//! and whether over TLS).
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use rustls::pki_types::CertificateDer;
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::CloseReason;
use xmpp_stream::header::Role;
use xmpp_stream::stream_error::{StreamCondition, StreamError};
use xmpp_stream::stream_management::{AckPolicy, FailedCondition, ResumeDecision, SmSettings};
use xmpp_stream::testing::TestPki;
use xmpp_stream::xml::Element;

include!("conn_common.rs");

/// Mechanism by `byte % 8`. SCRAM costs the client a PBKDF2 with 4096 iterations per run, so
/// the cheap mechanisms get more of the choices.
const MECHS: [&str; 8] = [
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "SCRAM-SHA-512",
    "PLAIN",
    "ANONYMOUS",
    "PLAIN",
    "ANONYMOUS",
    "PLAIN",
];
const MAX_OPS: usize = 128;
const MAX_RAW: usize = 512;

/// Flags byte: 1 legacy session, 2 ask for a resource, 4 refuse the first bind (all three
/// from before TLS was fuzzed), 8 TLS (STARTTLS required on both machines), and with TLS:
/// 16 the receiver's profile leaves out the -PLUS mechanisms (so it advertises no
/// channel-binding type), 32 the initiator's profile leaves them out.
const FLAG_TLS: u8 = 8;
const FLAG_RECEIVER_NO_PLUS: u8 = 16;
const FLAG_INITIATOR_NO_PLUS: u8 = 32;
/// c2s with XEP-0198 stream management on both machines.
const FLAG_SM: u8 = 64;

/// What the handover operations insert right after `<starttls/>` / `<proceed/>` (or wherever
/// the stream is when they run): whitespace, which the machines skip until the first TLS
/// record, and junk, which must make TLS fail.
const HANDOVER: [&[u8]; 8] = [
    b"\n",
    b" ",
    b"\r\n",
    b" \t\r\n  \n",
    b"x",
    b"<",
    b"\x16\x03",
    b"\n\x00",
];

/// The TLS configurations, made once per process from the test kit's PKI: its CA (ECDSA
/// P-256, so `tls-server-end-point` has a defined hash) and a server certificate for
/// example.com of a fixed length (`TestPki::issue_fixed_length`: an Ed25519 key, so the
/// CertificateVerify signatures have a fixed length too), so the handshake's length does not
/// vary between runs or processes. No session resumption and no tickets: every run makes the
/// same full handshake whatever ran before it in the process.
struct TlsSetup {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
    certificate: Option<CertificateDer<'static>>,
}

fn tls_setup() -> &'static TlsSetup {
    static TLS: OnceLock<TlsSetup> = OnceLock::new();
    TLS.get_or_init(|| {
        let mut pki = TestPki::new(&["example.com"]);
        pki.server = pki.issue_fixed_length(&["example.com"], 2);
        let mut client = (*pki.client_config()).clone();
        client.resumption = rustls::client::Resumption::disabled();
        let (server, certificate) = pki.server_config();
        let mut server = (*server).clone();
        server.send_tls13_tickets = 0;
        TlsSetup {
            client: Arc::new(client),
            server: Arc::new(server),
            certificate,
        }
    })
}

/// What `the machine under test` receives, for a receiving machine (from an initiator).
fn receiver_templates(kind: StreamKind) -> Vec<Vec<u8>> {
    let header = header_for(kind, true);
    let mut t: Vec<Vec<u8>> = vec![
        header,
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>".to_vec(),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>".to_vec(),
        // n,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1qdWxpZXQscj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0w=</auth>".to_vec(),
        b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdzLHI9eCxwPXk=</response>".to_vec(),
        b"<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".to_vec(),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>dA==</auth>".to_vec(),
        b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>".to_vec(),
        b"<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".to_vec(),
        b"<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>".to_vec(),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>".to_vec(),
        b"<handshake>0123456789abcdef0123456789abcdef01234567</handshake>".to_vec(),
    ];
    t.extend(stanza_templates(kind, true));
    t.extend(common_templates());
    t
}

/// What the machine under test receives, for an initiating machine (from a receiver).
fn initiator_templates(kind: StreamKind) -> Vec<Vec<u8>> {
    let mut t: Vec<Vec<u8>> = vec![
        header_for(kind, false),
        b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism><mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>".to_vec(),
        b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>".to_vec(),
        b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>".to_vec(),
        b"<stream:features/>".to_vec(),
        // r=<client nonce>3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096
        b"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==</challenge>".to_vec(),
        b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".to_vec(),
        b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9</success>".to_vec(),
        b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>no</text></failure>".to_vec(),
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>".to_vec(),
        b"<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.com/balcony</jid></bind></iq>".to_vec(),
        b"<iq type='error' id='bind_1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>".to_vec(),
        b"<handshake/>".to_vec(),
    ];
    t.extend(stanza_templates(kind, false));
    t.extend(common_templates());
    t
}

fn header_for(kind: StreamKind, initial: bool) -> Vec<u8> {
    let ns = kind.content_ns();
    let addressing = match (kind, initial) {
        (StreamKind::Client, true) => "to='example.com'".to_owned(),
        (StreamKind::Server, true) => "from='example.org' to='example.com'".to_owned(),
        (StreamKind::Component, true) => "to='c.example.com'".to_owned(),
        (StreamKind::Component, false) => "from='c.example.com' id='c1'".to_owned(),
        (_, false) => "from='example.com' to='example.org' id='i1'".to_owned(),
    };
    let version = if kind == StreamKind::Component { "" } else { " version='1.0'" };
    format!(
        "<?xml version='1.0'?><stream:stream {addressing}{version} xml:lang='en' \
         xmlns='{ns}' xmlns:stream='http://etherx.jabber.org/streams'>"
    )
    .into_bytes()
}

fn stanza_templates(kind: StreamKind, to_receiver: bool) -> Vec<Vec<u8>> {
    let (from, to) = match (kind, to_receiver) {
        (StreamKind::Client, true) => ("juliet@example.com/balcony", "romeo@example.net"),
        (StreamKind::Client, false) => ("romeo@example.net/orchard", "juliet@example.com/balcony"),
        (StreamKind::Server, true) => ("romeo@example.org/orchard", "juliet@example.com"),
        (StreamKind::Server, false) => ("juliet@example.com/balcony", "romeo@example.org"),
        (StreamKind::Component, true) => ("bot@c.example.com", "juliet@example.com"),
        (StreamKind::Component, false) => ("juliet@example.com/balcony", "bot@c.example.com"),
    };
    vec![
        format!("<message from='{from}' to='{to}' type='chat' id='m1'><body>hi &amp; bye</body></message>"),
        format!("<message to='{to}'><body>no from</body></message>"),
        format!("<presence from='{from}'><show>away</show><priority>5</priority></presence>"),
        format!("<presence from='{from}' to='{to}' type='subscribe'/>"),
        format!("<iq from='{from}' to='{to}' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"),
        format!("<iq from='{from}' to='{to}' type='result' id='zz'/>"),
        format!("<message from='mallory@evil.example/x' to='{to}'><body>spoof</body></message>"),
        "<foo xmlns='urn:example:unknown'><bar/></foo>".to_owned(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

/// The unacknowledged-stanza limit the target's machines run with.
fn sm_queue_limit() -> usize {
    SmSettings::receiver().limits.max_stanzas
}

fn common_templates() -> Vec<Vec<u8>> {
    vec![
        b"</stream:stream>".to_vec(),
        b" \n\t ".to_vec(),
        b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>".to_vec(),
        b"<!-- c --><?pi x?>".to_vec(),
        b"<r xmlns='urn:xmpp:sm:3'/>".to_vec(),
        b"<a xmlns='urn:xmpp:sm:3' h='1'/>".to_vec(),
        b"<enable xmlns='urn:xmpp:sm:3' resume='true'/>".to_vec(),
        b"<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>".to_vec(),
        b"<enabled xmlns='urn:xmpp:sm:3' id='x' resume='true'/>".to_vec(),
    ]
}

/// Elements the machine under test (or the peer) may be asked to send.
fn send_templates(kind: StreamKind, receiver_sends: bool) -> Vec<Element> {
    let ns = kind.content_ns();
    let (from, to) = match (kind, receiver_sends) {
        (StreamKind::Client, false) => (None, "romeo@example.net"),
        (StreamKind::Client, true) => (Some("romeo@example.net/orchard"), "juliet@example.com/r"),
        (StreamKind::Server, _) => (Some("juliet@example.org"), "romeo@example.com"),
        (StreamKind::Component, _) => (Some("bot@c.example.com"), "juliet@example.com"),
    };
    let msg = Element::builder("message", ns)
        .attr_opt("from", from)
        .attr("to", to)
        .attr("type", "chat")
        .child(Element::builder("body", ns).text("hello <&> world").build())
        .build();
    let pres = Element::builder("presence", ns).attr_opt("from", from).build();
    let iq = Element::builder("iq", ns)
        .attr_opt("from", from)
        .attr("to", to)
        .attr("type", "get")
        .attr("id", "q1")
        .child(Element::new("ping", "urn:xmpp:ping"))
        .build();
    let wrong_ns = Element::builder("message", "jabber:other").attr("to", to).build();
    let big = Element::builder("message", ns)
        .attr_opt("from", from)
        .attr("to", to)
        .child(Element::builder("body", ns).text("x".repeat(20_000)).build())
        .build();
    vec![msg, pres, iq, wrong_ns, big]
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Flip { pos: u16, bit: u8 },
    Truncate { pos: u16 },
    Insert { pos: u16, byte: u8 },
    Delete { pos: u16, len: u8 },
    SwapAttrs { a: u8, b: u8 },
}

impl Mutation {
    fn decode(u: &mut Unstructured<'_>) -> ArbResult<Self> {
        let tag = u.arbitrary::<u8>()? % 5;
        let pos = u.arbitrary::<u16>()?;
        let p = u.arbitrary::<u8>()?;
        Ok(match tag {
            0 => Mutation::Flip { pos, bit: p % 8 },
            1 => Mutation::Truncate { pos },
            2 => Mutation::Insert { pos, byte: b"<>/'\"&= \x00\xff\xc3"[usize::from(p) % 11] },
            3 => Mutation::Delete { pos, len: p },
            _ => Mutation::SwapAttrs { a: (pos & 0xff) as u8, b: p },
        })
    }

    fn apply(self, bytes: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        let at = |pos: u16, len: usize| usize::from(pos) % len;
        match self {
            Mutation::Flip { pos, bit } => {
                let i = at(pos, bytes.len());
                bytes[i] ^= 1 << bit;
            }
            Mutation::Truncate { pos } => bytes.truncate(at(pos, bytes.len())),
            Mutation::Insert { pos, byte } => {
                let i = at(pos, bytes.len() + 1);
                bytes.insert(i, byte);
            }
            Mutation::Delete { pos, len } => {
                let i = at(pos, bytes.len());
                let end = (i + usize::from(len).max(1)).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::SwapAttrs { a, b } => {
                // Quoted values ('...'), swapped pairwise.
                let quotes: Vec<usize> = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == b'\'')
                    .map(|(i, _)| i)
                    .collect();
                let spans: Vec<(usize, usize)> =
                    quotes.chunks_exact(2).map(|q| (q[0] + 1, q[1])).collect();
                if spans.len() < 2 {
                    return;
                }
                let (i, j) = (usize::from(a) % spans.len(), usize::from(b) % spans.len());
                let (x, y) = if i < j { (spans[i], spans[j]) } else { (spans[j], spans[i]) };
                if x == y {
                    return;
                }
                let vx = bytes[x.0..x.1].to_vec();
                let vy = bytes[y.0..y.1].to_vec();
                let mut out = Vec::with_capacity(bytes.len());
                out.extend_from_slice(&bytes[..x.0]);
                out.extend_from_slice(&vy);
                out.extend_from_slice(&bytes[x.1..y.0]);
                out.extend_from_slice(&vx);
                out.extend_from_slice(&bytes[y.1..]);
                *bytes = out;
            }
        }
    }
}

#[derive(Debug)]
enum Op {
    /// Move the peer's pending output to the machine under test in `split`-byte pieces, and
    /// the machine's output to the peer.
    Pump { split: u8 },
    Template { idx: u8 },
    Mutated { idx: u8, mutation: Mutation },
    Raw(Vec<u8>),
    /// Mutate the peer's pending output before delivering it.
    InFlight { mutation: Mutation },
    Advance { secs: u16 },
    Send { idx: u8 },
    PeerSend { idx: u8 },
    Close,
    PeerClose,
    CloseWithError,
    Eof,
    /// Append `HANDOVER[idx]` to the peer's pending output (after what it has written so far,
    /// e.g. right after its `<starttls/>` or `<proceed/>`).
    Inject { idx: u8 },
    /// Feed `HANDOVER[idx]` to the peer, as if the machine under test had written it after
    /// its own output (e.g. right after its `<starttls/>` or `<proceed/>`).
    PeerInject { idx: u8 },
}

impl Op {
    fn decode(u: &mut Unstructured<'_>, tls: bool) -> ArbResult<Self> {
        let tag = u.arbitrary::<u8>()?;
        Ok(match tag % 16 {
            0..=3 => Op::Pump { split: u.arbitrary()? },
            4 | 5 => Op::Template { idx: u.arbitrary()? },
            6 | 7 => Op::Mutated { idx: u.arbitrary()?, mutation: Mutation::decode(u)? },
            8 => {
                let len = usize::from(u.arbitrary::<u8>()?) * 2;
                Op::Raw(u.bytes(len.min(u.len()).min(MAX_RAW))?.to_vec())
            }
            9 => Op::InFlight { mutation: Mutation::decode(u)? },
            10 => Op::Advance { secs: u.arbitrary()? },
            11 => Op::Send { idx: u.arbitrary()? },
            12 => Op::PeerSend { idx: u.arbitrary()? },
            13 => Op::Close,
            14 => match u.arbitrary::<u8>()? % 3 {
                0 => Op::PeerClose,
                1 => Op::CloseWithError,
                _ => Op::Eof,
            },
            // Without TLS, 15 is a plain pump, as it was before the TLS mode existed (the
            // plaintext seeds and regression inputs use it).
            _ if !tls => Op::Pump { split: 0 },
            _ => match u.arbitrary::<u8>()? % 4 {
                0 => Op::Inject { idx: u.arbitrary()? },
                1 => Op::PeerInject { idx: u.arbitrary()? },
                _ => Op::Pump { split: 0 },
            },
        })
    }
}

/// Observed progress of the machine under test, checked for monotonicity.
#[derive(Default, Debug)]
struct Seen {
    authenticated: bool,
    bound: bool,
    established: bool,
    closed: bool,
    identity: Option<String>,
    jid: Option<String>,
    was_established: bool,
    we_closed: bool,
    stanzas: u32,
    /// `TlsEstablished` was reported.
    tls: bool,
    /// `Closed(TlsFailed(_))` was reported.
    tls_failed: bool,
    /// The mechanism of `Authenticated`.
    mechanism: Option<String>,
}

/// What the peer machine reported (checked more loosely: the fuzzer does not aim at it).
#[derive(Default, Debug)]
struct PeerSeen {
    tls: bool,
    authenticated: bool,
    established: bool,
    closed: bool,
    mechanism: Option<String>,
}

/// What the pair was configured with, for the TLS and channel-binding invariants.
#[derive(Debug, Clone, Copy)]
struct PairConfig {
    kind: StreamKind,
    /// Both machines have TLS configured and the profiles require it.
    tls: bool,
    /// The receiver advertises a channel-binding type after TLS (XEP-0440): a SCRAM
    /// mechanism whose -PLUS variant its profile allows (the TLS layer always has
    /// `tls-exporter` data under TLS 1.3 and `tls-server-end-point` for this certificate).
    receiver_advertises: bool,
    /// The initiator's profile allows -PLUS mechanisms.
    initiator_may_bind: bool,
}

impl PairConfig {
    fn tls_required(&self) -> bool {
        self.tls && self.kind.negotiates_features()
    }
}

struct Harness {
    mut_: Connection,
    peer: Connection,
    clock: Clock,
    seen: Seen,
    peer_seen: PeerSeen,
    config: PairConfig,
    refuse_first_bind: bool,
    binds: u32,
    peer_to_mut: Vec<u8>,
    /// Stream management is on (c2s).
    sm: bool,
}

impl Harness {
    fn peer_drain(&mut self) {
        while let Some(b) = self.peer.poll_transmit() {
            assert!(!self.peer_seen.closed, "peer: output after Closed");
            self.peer_to_mut.extend_from_slice(&b);
        }
        while let Some(e) = self.peer.poll_event() {
            self.on_peer_event(e);
        }
        while let Some(b) = self.peer.poll_transmit() {
            self.peer_to_mut.extend_from_slice(&b);
        }
    }

    fn on_peer_event(&mut self, e: Event) {
        if trace_enabled() {
            eprintln!("  peer event {e:?}");
        }
        let tls_required = self.config.tls_required();
        let p = &mut self.peer_seen;
        assert!(!p.closed, "peer: event after Closed: {e:?}");
        match e {
            Event::BindRequest { resource } => {
                let r = resource.unwrap_or_else(|| "gen".into());
                let _ = self.peer.bind(BindDecision::Accept(r));
            }
            Event::ResumeRequest { .. } => {
                assert!(self.sm, "peer: resumption request without stream management");
                let _ = self.peer.resume(ResumeDecision::Refuse(FailedCondition::ItemNotFound));
            }
            Event::Detached(_) | Event::StreamManagementEnabled { .. } => {
                assert!(self.sm, "peer: stream management event without it");
            }
            Event::TlsEstablished(_) => {
                assert!(self.config.tls, "peer: TLS established without TLS configured");
                assert!(!p.tls, "peer: TLS established twice");
                p.tls = true;
            }
            Event::Authenticated { mechanism, .. } => {
                // By its name (`Display`), whatever type the event carries it in.
                let mechanism = mechanism.to_string();
                assert!(!p.authenticated, "peer: authenticated twice");
                assert!(p.tls || !tls_required, "peer: authenticated before TLS");
                p.authenticated = true;
                p.mechanism = Some(mechanism.clone());
                if self.peer.role() == Role::Initiator {
                    let both_tls = p.tls && self.seen.tls;
                    self.check_client_mechanism(&mechanism, both_tls);
                }
                self.check_same_mechanism();
            }
            Event::Established => {
                assert!(!p.established, "peer: established twice");
                assert!(p.authenticated, "peer: established without authentication");
                assert!(p.tls || !tls_required, "peer: established before TLS");
                p.established = true;
            }
            Event::Stanza(el) => {
                // With stream management an initiator may read stanzas the server sent after
                // bind, before `<enabled/>` (uncounted).
                let enabling = self.sm && self.peer.role() == Role::Initiator && self.peer.bound_jid().is_some();
                assert!(
                    p.established || enabling,
                    "peer: stanza before the stream is established: {:?}",
                    el.to_xml()
                );
            }
            Event::Closed(reason) => {
                p.closed = true;
                if let CloseReason::TlsFailed(_) = reason {
                    assert!(self.config.tls, "peer: TLS failed without TLS configured");
                }
            }
            _ => {}
        }
    }

    /// The client's (initiator's) mechanism once TLS is up on both sides: -PLUS exactly when
    /// the receiver advertised a channel-binding type, unless the client's profile forbids
    /// -PLUS (then never).
    fn check_client_mechanism(&self, mechanism: &str, both_tls: bool) {
        let c = &self.config;
        if !c.tls_required() || !both_tls {
            return;
        }
        let plus = mechanism.ends_with("-PLUS");
        if plus {
            assert!(
                c.receiver_advertises && c.initiator_may_bind,
                "client used {mechanism} without an advertised channel-binding type \
                 (receiver advertises: {}, client may bind: {})",
                c.receiver_advertises,
                c.initiator_may_bind
            );
        } else if c.initiator_may_bind {
            assert!(
                !c.receiver_advertises,
                "client used {mechanism} although the receiver advertised channel binding"
            );
        }
    }

    /// Both machines report the same SASL mechanism (the receiver names what the initiator
    /// asked for).
    fn check_same_mechanism(&self) {
        if let (Some(a), Some(b)) = (&self.seen.mechanism, &self.peer_seen.mechanism) {
            assert_eq!(a, b, "the two machines disagree on the mechanism");
        }
    }

    /// Feeds `bytes` to the machine under test (in pieces of `split`), checking invariants;
    /// returns everything it wrote.
    fn feed_mut(&mut self, bytes: &[u8], split: u8) -> Vec<u8> {
        let mut written = Vec::new();
        if bytes.is_empty() {
            return written;
        }
        let split = if split == 0 { bytes.len() } else { usize::from(split) };
        for piece in bytes.chunks(split) {
            let closed_before = self.seen.closed;
            self.mut_.handle_input(self.clock.now(), piece);
            let out = self.collect(closed_before);
            assert!(
                out.len() <= piece.len() * 64 + 64 * 1024,
                "output out of proportion: {} bytes for {}",
                out.len(),
                piece.len()
            );
            written.extend_from_slice(&out);
        }
        written
    }

    /// Drains the machine under test's output and events, checks the invariants, answers
    /// bind requests; returns the bytes written.
    fn collect(&mut self, closed_before: bool) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut progress = false;
            while let Some(b) = self.mut_.poll_transmit() {
                assert!(!closed_before, "output after Closed");
                out.extend_from_slice(&b);
                progress = true;
            }
            while let Some(e) = self.mut_.poll_event() {
                assert!(!self.seen.closed, "event after Closed: {e:?}");
                progress = true;
                self.on_event(e, &out);
            }
            if !progress {
                break;
            }
        }
        self.check_state();
        out
    }

    fn on_event(&mut self, e: Event, out: &[u8]) {
        if trace_enabled() {
            eprintln!("  event {e:?}");
        }
        let tls_required = self.config.tls_required();
        let s = &mut self.seen;
        match e {
            Event::TlsEstablished(_) => {
                assert!(self.config.tls, "TLS established without TLS configured");
                assert!(!s.tls, "TLS established twice");
                s.tls = true;
            }
            Event::Authenticated { identity, mechanism } => {
                let mechanism = mechanism.to_string();
                assert!(!s.authenticated, "authenticated twice");
                assert!(
                    s.tls || !tls_required,
                    "authenticated ({mechanism}) before TLS although the profile requires it"
                );
                s.authenticated = true;
                assert!(!identity.is_empty());
                s.mechanism = Some(mechanism.clone());
                if self.mut_.role() == Role::Initiator {
                    let both_tls = s.tls && self.peer_seen.tls;
                    self.check_client_mechanism(&mechanism, both_tls);
                }
                self.check_same_mechanism();
            }
            Event::BindRequest { resource } => {
                assert!(s.authenticated, "bind request before authentication");
                self.binds += 1;
                let decision = if self.refuse_first_bind && self.binds == 1 {
                    BindDecision::Refuse(BindError::Conflict)
                } else {
                    BindDecision::Accept(resource.unwrap_or_else(|| self.mut_.generate_resource()))
                };
                let _ = self.mut_.bind(decision);
            }
            Event::ResumeRequest { .. } => {
                assert!(self.sm, "resumption request without stream management");
                assert!(s.authenticated && !s.bound, "resumption request out of place");
                let _ = self.mut_.resume(ResumeDecision::Refuse(FailedCondition::ItemNotFound));
            }
            Event::Detached(session) => {
                assert!(self.sm, "Detached without stream management");
                assert!(!s.closed, "Detached after Closed");
                assert!(session.unacked().len() <= sm_queue_limit(), "unacknowledged queue over its limit");
            }
            Event::StreamManagementEnabled { .. } => {
                assert!(self.sm, "stream management enabled without it");
            }
            Event::Bound(jid) => {
                assert!(s.authenticated, "bound before authentication");
                assert!(!s.bound, "bound twice");
                s.bound = true;
                s.jid = Some(jid.to_string());
            }
            Event::Established => {
                assert!(!s.established, "established twice");
                assert!(s.authenticated, "established without authentication");
                assert!(s.tls || !tls_required, "established before TLS");
                s.established = true;
            }
            Event::Stanza(el) => {
                let enabling = self.sm && self.mut_.role() == Role::Initiator && s.bound;
                assert!(
                    s.established || enabling,
                    "stanza before the stream is established: {:?} (role {:?}, kind {:?})",
                    el.to_xml(),
                    self.mut_.role(),
                    self.mut_.kind()
                );
                s.stanzas += 1;
            }
            Event::Closed(reason) => {
                assert!(!s.closed, "closed twice");
                s.closed = true;
                if let CloseReason::TlsFailed(_) = reason {
                    assert!(self.config.tls, "TLS failed without TLS configured");
                    s.tls_failed = true;
                }
                if let CloseReason::LocalError(_) = reason {
                    // A stream error we send is followed by the closing tag and nothing
                    // else (unless our own closing tag went out before it). Only visible in
                    // plaintext: under TLS the output is records.
                    if !s.we_closed && !out.is_empty() && !self.mut_.is_tls() {
                        assert!(
                            out.ends_with(b"error></stream:stream>"),
                            "stream error not followed by exactly the closing tag: {:?}",
                            String::from_utf8_lossy(&out[out.len().saturating_sub(120)..])
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn check_state(&mut self) {
        let c = &self.mut_;
        let s = &mut self.seen;
        if s.closed {
            assert!(c.is_closed(), "Closed reported but the machine is open");
        }
        if c.is_closed() {
            assert!(!c.is_established());
        }
        if let Some(id) = &s.identity {
            if !c.is_closed() {
                assert_eq!(c.authenticated_identity(), Some(id.as_str()), "identity changed");
            }
        }
        if s.identity.is_none() {
            s.identity = c.authenticated_identity().map(str::to_owned);
        }
        if let (Some(jid), Some(now)) = (&s.jid, c.bound_jid()) {
            assert_eq!(jid, now.as_str(), "bound JID changed");
        }
        if s.was_established && !c.is_established() {
            assert!(c.is_closed() || s.we_closed, "left the established state without closing");
        }
        s.was_established |= c.is_established();
    }

    fn pump(&mut self, split: u8, mutation: Option<Mutation>) {
        self.peer_drain();
        let mut bytes = std::mem::take(&mut self.peer_to_mut);
        if let Some(m) = mutation {
            m.apply(&mut bytes);
        }
        let written = self.feed_mut(&bytes, split);
        if trace_enabled() {
            eprintln!("  pumped {} bytes, {} back", bytes.len(), written.len());
        }
        if !written.is_empty() {
            self.peer.handle_input(self.clock.now(), &written);
        }
        self.peer_drain();
    }
}

fn decode_and_run(data: &[u8]) -> ArbResult<Option<Seen>> {
    let mut u = Unstructured::new(data);
    let kind = match u.arbitrary::<u8>()? % 3 {
        0 => StreamKind::Client,
        1 => StreamKind::Server,
        _ => StreamKind::Component,
    };
    let mut_is_receiver = u.arbitrary::<u8>()? % 2 == 0;
    let mech = MECHS[usize::from(u.arbitrary::<u8>()?) % MECHS.len()];
    let flags = u.arbitrary::<u8>()?;
    let tls = flags & FLAG_TLS != 0;
    let scram = mech.starts_with("SCRAM");
    // Without TLS the profile is the one the plaintext seeds were written for.
    let make_profile = |allow_plus: bool| {
        let mut profile = if tls { Profile::rfc6120() } else { plaintext_profile() };
        let parse = |name: &str| {
            name.parse::<xmpp_sasl::Mechanism>()
                .expect("the target's mechanism names are valid")
        };
        profile.mechanisms = if tls && scram && allow_plus {
            vec![parse(&format!("{mech}-PLUS")), parse(mech)]
        } else {
            vec![parse(mech)]
        };
        profile.allow_anonymous = mech == "ANONYMOUS";
        profile.legacy_session = flags & 1 != 0;
        profile.keepalive_interval = Some(Duration::from_secs(30));
        profile.idle_timeout = Some(Duration::from_secs(300));
        profile.negotiation_timeout = Some(Duration::from_secs(60));
        profile.close_timeout = Duration::from_secs(10);
        profile.limits.max_stanza_bytes = 16 * 1024;
        Arc::new(profile)
    };
    let receiver_plus = !(tls && flags & FLAG_RECEIVER_NO_PLUS != 0);
    let initiator_plus = !(tls && flags & FLAG_INITIATOR_NO_PLUS != 0);
    let config = PairConfig {
        kind,
        tls,
        receiver_advertises: tls && scram && receiver_plus && kind.negotiates_features(),
        initiator_may_bind: initiator_plus,
    };
    let pki = tls.then(tls_setup);

    let sm = kind == StreamKind::Client && flags & FLAG_SM != 0;
    let sm_settings = SmSettings {
        ack: AckPolicy { stanzas: 2, delay: Duration::from_secs(5) },
        ..SmSettings::receiver()
    };
    let mut receiver = Connection::receiver(
        ReceiverConfig {
            kind,
            domains: vec!["example.com".into()],
            tls: pki.map(|t| (t.server.clone(), t.certificate.clone())),
            direct_tls: false,
            auth: match kind {
                StreamKind::Component => {
                    ReceiverAuth::Components(vec![("c.example.com".into(), "s3cr3t".into())])
                }
                _ if mech.starts_with("SCRAM") => ReceiverAuth::Sasl(scram_store()),
                _ => ReceiverAuth::Sasl(plain_store()),
            },
        },
        make_profile(receiver_plus),
        rng(7),
        t0(),
    )
    .expect("valid receiver config");
    let user = if kind == StreamKind::Server { "example.org" } else { "juliet" };
    let credentials = if mech == "ANONYMOUS" {
        xmpp_sasl::Credentials::anonymous()
    } else {
        xmpp_sasl::Credentials::password(user, FUZZ_PASSWORD).expect("valid credentials")
    };
    let (to, from, auth) = match kind {
        StreamKind::Client => (
            "example.com",
            Some("juliet@example.com".to_owned()),
            InitiatorAuth::Sasl(credentials),
        ),
        StreamKind::Server => ("example.com", Some("example.org".to_owned()), InitiatorAuth::Sasl(credentials)),
        StreamKind::Component => ("c.example.com", None, InitiatorAuth::ComponentSecret("s3cr3t".into())),
    };
    let mut initiator = Connection::initiator(
        InitiatorConfig {
            kind,
            to: to.into(),
            from,
            tls: pki.map(|t| t.client.clone()),
            direct_tls: false,
            auth,
            resource: (flags & 2 != 0).then(|| "balcony".into()),
        },
        make_profile(initiator_plus),
        rng(9),
        t0(),
    )
    .expect("valid initiator config");
    if sm {
        receiver.enable_stream_management(sm_settings).expect("a c2s machine");
        initiator.enable_stream_management(sm_settings).expect("a c2s machine");
    }
    let (mut_, peer) = if mut_is_receiver { (receiver, initiator) } else { (initiator, receiver) };
    let templates = if mut_is_receiver { receiver_templates(kind) } else { initiator_templates(kind) };
    let mut_sends = send_templates(kind, mut_is_receiver);
    let peer_sends = send_templates(kind, !mut_is_receiver);
    let mut h = Harness {
        mut_,
        peer,
        clock: Clock::new(),
        seen: Seen::default(),
        peer_seen: PeerSeen::default(),
        config,
        refuse_first_bind: flags & 4 != 0,
        sm,
        binds: 0,
        peer_to_mut: Vec::new(),
    };
    // The initiator's header is written at construction.
    let first = h.collect(false);
    if !first.is_empty() {
        h.peer.handle_input(h.clock.now(), &first);
    }
    h.peer_drain();

    let mut n = 0;
    while !u.is_empty() && n < MAX_OPS {
        n += 1;
        let op = Op::decode(&mut u, tls)?;
        if trace_enabled() {
            eprintln!("op {op:?}");
        }
        let closed_before = h.seen.closed;
        match op {
            Op::Pump { split } => h.pump(split, None),
            Op::InFlight { mutation } => h.pump(0, Some(mutation)),
            Op::Template { idx } => {
                let t = templates[usize::from(idx) % templates.len()].clone();
                let w = h.feed_mut(&t, 0);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::Mutated { idx, mutation } => {
                let mut t = templates[usize::from(idx) % templates.len()].clone();
                mutation.apply(&mut t);
                let w = h.feed_mut(&t, 0);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::Raw(bytes) => {
                let w = h.feed_mut(&bytes, 0);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::Advance { secs } => {
                let now = h.clock.advance(Duration::from_millis(u64::from(secs) * 10));
                if let Some(t) = h.mut_.poll_timeout() {
                    if t <= now {
                        h.mut_.handle_timeout(now);
                    }
                }
                if let Some(t) = h.peer.poll_timeout() {
                    if t <= now {
                        h.peer.handle_timeout(now);
                    }
                }
                let w = h.collect(closed_before);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::Send { idx } => {
                let el = &mut_sends[usize::from(idx) % mut_sends.len()];
                let result = h.mut_.send(el);
                if result.is_ok() {
                    assert!(h.mut_.is_established(), "send accepted on a stream not established");
                }
                let w = h.collect(closed_before);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::PeerSend { idx } => {
                let el = &peer_sends[usize::from(idx) % peer_sends.len()];
                let _ = h.peer.send(el);
                h.peer_drain();
            }
            Op::Close => {
                h.seen.we_closed = true;
                h.mut_.close();
                let w = h.collect(closed_before);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::CloseWithError => {
                let was_closing = h.seen.we_closed || h.seen.closed;
                h.mut_.close_with_error(StreamError::new(StreamCondition::PolicyViolation));
                h.seen.we_closed |= was_closing;
                let w = h.collect(closed_before);
                h.peer.handle_input(h.clock.now(), &w);
            }
            Op::PeerClose => {
                h.peer.close();
                h.peer_drain();
            }
            Op::Eof => {
                h.mut_.handle_eof(h.clock.now());
                let _ = h.collect(closed_before);
            }
            Op::Inject { idx } => {
                h.peer_drain();
                let bytes = HANDOVER[usize::from(idx) % HANDOVER.len()];
                h.peer_to_mut.extend_from_slice(bytes);
            }
            Op::PeerInject { idx } => {
                let bytes = HANDOVER[usize::from(idx) % HANDOVER.len()];
                h.peer.handle_input(h.clock.now(), bytes);
                h.peer_drain();
            }
        }
        if h.seen.closed {
            assert!(h.mut_.is_closed());
        }
    }
    // Whatever happened, a close and a long wait end the machine.
    let closed_before = h.seen.closed;
    h.seen.we_closed = true;
    h.mut_.close();
    let now = h.clock.advance(Duration::from_secs(3600));
    h.mut_.handle_timeout(now);
    let _ = h.collect(closed_before);
    assert!(h.mut_.is_closed(), "not closed after close() and the close timeout");
    Ok(Some(h.seen))
}

/// Users for SCRAM need the client's minimum of 4096 iterations (RFC 7677 §4): the store is
/// made once; each SCRAM run still costs the client one PBKDF2. The originating server of s2s
/// streams authenticates as its domain.
fn scram_store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    fuzz_store(&STORE, &["juliet", "example.org"], 4096)
}

/// The same users with one iteration: PLAIN is checked against the stored SCRAM keys, so
/// this keeps PLAIN runs cheap.
fn plain_store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    fuzz_store(&STORE, &["juliet", "example.org"], 1)
}

fn trace_enabled() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("CONN_STRUCTURED_TRACE").is_some())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    if let Ok(Some(seen)) = decode_and_run(data) {
        if trace_enabled() {
            eprintln!(
                "conn_structured reached: authenticated={} bound={} established={} stanzas={} \
                 tls={} tls_failed={} mechanism={}",
                seen.authenticated,
                seen.bound,
                seen.was_established,
                seen.stanzas,
                seen.tls,
                seen.tls_failed,
                seen.mechanism.as_deref().unwrap_or("-")
            );
        }
    }
});
