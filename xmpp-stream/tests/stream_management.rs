//! XEP-0198 on two simulated peers: random interleavings of sends, deliveries, acks,
//! requests, cuts and resumptions, with counters starting just below 2^32; and the wire
//! parser under arbitrary input.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use xmpp_stream::stream_management::*;
use xmpp_stream::xml::{Element, ns};

/// One peer: its stream management state and what the test knows about it.
struct Peer {
    out: SentQueue,
    inb: Inbound,
    req: AckRequester,
    /// Ids of the stanzas `out` accepted, in order.
    sent: Vec<u64>,
    /// How many of `sent` the other side acknowledged.
    acked: usize,
    /// Ids received from the other peer, in order.
    delivered: Vec<u64>,
    /// Sends refused with `QueueFull`.
    refused: usize,
}

impl Peer {
    fn new(start: Counter, limits: QueueLimits, policy: AckPolicy) -> Peer {
        Peer {
            out: SentQueue::starting_at(limits, start),
            inb: Inbound::starting_at(start),
            req: AckRequester::new(policy),
            sent: Vec::new(),
            acked: 0,
            delivered: Vec::new(),
            refused: 0,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// The peer's application sends a message with a body of this many bytes.
    Send(usize, usize),
    /// Up to this many elements in flight towards the peer arrive.
    Deliver(usize, usize),
    /// The peer sends `<r/>` outside its policy.
    Request(usize),
    /// Time passes (seconds); the policies may ask for acks.
    Tick(u64),
    /// The link drops: everything in flight is lost.
    Cut,
    /// A new link: peer 0 resumes the session (no-op while the link is up).
    Resume,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..2usize, 0..40usize).prop_map(|(p, n)| Op::Send(p, n)),
        6 => (0..2usize, 1..6usize).prop_map(|(p, n)| Op::Deliver(p, n)),
        1 => (0..2usize).prop_map(Op::Request),
        2 => (1..15u64).prop_map(Op::Tick),
        1 => Just(Op::Cut),
        1 => Just(Op::Resume),
    ]
}

/// The simulation: two peers, the link, the clock.
struct Sim {
    peers: [Peer; 2],
    /// `wire[i]`: XML in flight towards peer `i`.
    wire: [VecDeque<String>; 2],
    up: bool,
    now: Instant,
    start: Counter,
    limits: QueueLimits,
}

fn xml(el: impl Into<Element>) -> String {
    el.into().to_xml().expect("writable")
}

fn message(id: u64, body: usize) -> Element {
    Element::builder("message", ns::CLIENT)
        .attr("id", id.to_string())
        .child(
            Element::builder("body", ns::CLIENT)
                .text("x".repeat(body))
                .build(),
        )
        .build()
}

fn id_of(el: &Element) -> u64 {
    el.attr("id").unwrap().parse().unwrap()
}

impl Sim {
    fn transmit(&mut self, to: usize, el: impl Into<Element>) {
        if self.up {
            self.wire[to].push_back(xml(el));
        }
    }

    fn send(&mut self, from: usize, body: usize) {
        let p = &mut self.peers[from];
        let id = p.sent.len() as u64;
        let msg = message(id, body);
        match p.out.push(msg.clone()) {
            Ok(seq) => {
                assert_eq!(seq, self.start.wrapping_add(p.sent.len() as u32 + 1));
                p.sent.push(id);
                if self.up {
                    p.req.on_sent(self.now);
                    self.transmit(1 - from, msg);
                }
            }
            Err(full) => {
                assert_eq!(*full.stanza, msg);
                p.refused += 1;
                if self.up && !p.req.is_outstanding() {
                    p.req.on_request_sent();
                    self.transmit(1 - from, Nonza::Request);
                }
            }
        }
    }

    /// Peer `to` reads one element from the wire.
    fn deliver_one(&mut self, to: usize) -> bool {
        let Some(text) = self.wire[to].pop_front() else {
            return false;
        };
        let el = Element::parse(text.as_bytes()).expect("our own XML");
        if !is_sm(&el) {
            // A stanza: exactly once, in order.
            let expected = self.peers[1 - to].sent[self.peers[to].delivered.len()];
            assert_eq!(id_of(&el), expected, "duplicate or out of order");
            let p = &mut self.peers[to];
            p.delivered.push(expected);
            p.inb.on_stanza();
            return true;
        }
        match Nonza::try_from(&el).expect("valid nonza") {
            Nonza::Request => {
                let ack = self.peers[to].inb.ack();
                self.transmit(1 - to, ack);
            }
            Nonza::Ack(Ack { h }) => {
                let other_handled = self.peers[1 - to].inb.handled();
                let p = &mut self.peers[to];
                let acked = p.out.on_ack(h).expect("never too high");
                let ids: Vec<u64> = acked.iter().map(id_of).collect();
                assert_eq!(ids, p.sent[p.acked..p.acked + ids.len()]);
                p.acked += ids.len();
                assert_eq!(p.out.acked_count(), h);
                // An ack reports no more than the peer has handled by now.
                assert!(other_handled.since(h) as usize <= p.sent.len() - p.acked);
                p.req.on_ack();
            }
            other => panic!("unexpected {other:?}"),
        }
        true
    }

    fn cut(&mut self) {
        self.up = false;
        self.wire = Default::default();
        for p in &mut self.peers {
            p.req.reset();
        }
    }

    /// Peer 0 resumes on a new link; both send again what the other did not handle.
    fn resume(&mut self) {
        if self.up {
            return;
        }
        self.up = true;
        let wire = |n: Nonza| Nonza::try_from(&Element::parse(xml(n).as_bytes()).unwrap());
        let resume = Resume {
            previd: "sm-1".into(),
            h: self.peers[0].inb.handled(),
        };
        let Ok(Nonza::Resume(resume)) = wire(resume.into()) else {
            panic!("resume")
        };
        let again_1 = self.peers[1].out.resumed(resume.h).expect("resume h");
        let resumed = Resumed {
            previd: resume.previd,
            h: self.peers[1].inb.handled(),
        };
        let Ok(Nonza::Resumed(resumed)) = wire(resumed.into()) else {
            panic!("resumed")
        };
        let again_0 = self.peers[0].out.resumed(resumed.h).expect("resumed h");
        for (from, again) in [(0, again_0), (1, again_1)] {
            let p = &mut self.peers[from];
            p.acked = p.sent.len() - again.len();
            assert_eq!(p.out.acked_count(), self.peers[1 - from].inb.handled());
            for el in again {
                self.peers[from].req.on_sent(self.now);
                self.transmit(1 - from, el);
            }
        }
    }

    /// The requester's contract, then the `<r/>` it asks for.
    fn poll_requests(&mut self) {
        for i in 0..2 {
            let due = self.peers[i]
                .req
                .poll_timeout()
                .is_some_and(|t| t <= self.now);
            let fired = self.peers[i].req.poll_ack_request(self.now);
            assert_eq!(fired, due);
            if fired {
                self.transmit(1 - i, Nonza::Request);
            }
        }
    }

    fn check_invariants(&self) {
        for (i, p) in self.peers.iter().enumerate() {
            assert!(p.out.len() <= self.limits.max_stanzas);
            assert!(p.out.bytes() <= self.limits.max_bytes);
            assert_eq!(p.out.len(), p.sent.len() - p.acked);
            assert_eq!(p.out.sent_count().since(self.start) as usize, p.sent.len());
            assert_eq!(
                p.inb.handled().since(self.start) as usize,
                p.delivered.len()
            );
            assert!(p.delivered.len() <= self.peers[1 - i].sent.len());
        }
    }

    fn drain(&mut self) {
        while self.deliver_one(0) | self.deliver_one(1) {}
    }
}

fn run(start: u32, limits: QueueLimits, policy: AckPolicy, ops: Vec<Op>) {
    let start = Counter::new(start);
    let mut sim = Sim {
        peers: [
            Peer::new(start, limits, policy),
            Peer::new(start, limits, policy),
        ],
        wire: Default::default(),
        up: true,
        now: Instant::now(),
        start,
        limits,
    };
    for op in ops {
        match op {
            Op::Send(p, body) => sim.send(p, body),
            Op::Deliver(to, n) => {
                for _ in 0..n {
                    sim.deliver_one(to);
                }
            }
            Op::Request(p) => sim.transmit(1 - p, Nonza::Request),
            Op::Tick(secs) => sim.now += Duration::from_secs(secs),
            Op::Cut => sim.cut(),
            Op::Resume => sim.resume(),
        }
        sim.poll_requests();
        sim.check_invariants();
    }
    // The end: reconnect if needed, let everything arrive, then acknowledge everything.
    sim.resume();
    sim.drain();
    for i in 0..2 {
        sim.transmit(1 - i, Nonza::Request);
    }
    sim.drain();
    sim.check_invariants();
    for i in 0..2 {
        let (p, other) = (&sim.peers[i], &sim.peers[1 - i]);
        assert_eq!(
            other.delivered, p.sent,
            "every stanza exactly once, in order"
        );
        assert!(p.out.is_empty());
        assert_eq!(p.acked, p.sent.len());
        assert_eq!(p.out.acked_count(), other.inb.handled());
        assert_eq!(p.out.acked_count(), p.out.sent_count());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_stanza_delivered_exactly_once_across_cuts_and_the_wrap(
        offset in 0u32..10,
        max_stanzas in 2usize..10,
        max_bytes in 120usize..600,
        stanzas in 1u32..6,
        delay in 1u64..20,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        run(
            (u32::MAX - 4).wrapping_add(offset),
            QueueLimits { max_stanzas, max_bytes },
            AckPolicy { stanzas, delay: Duration::from_secs(delay) },
            ops,
        );
    }

    #[test]
    fn h_is_read_strictly(h in "[-+ 0-9a-f]{0,12}") {
        let el = Element::builder("a", NS).attr("h", h.clone()).build();
        let oracle = !h.is_empty()
            && h.bytes().all(|b| b.is_ascii_digit())
            && h.parse::<u64>().is_ok_and(|n| n <= u64::from(u32::MAX));
        match Nonza::try_from(&el) {
            Ok(Nonza::Ack(a)) => {
                prop_assert!(oracle);
                prop_assert_eq!(u64::from(a.h.get()), h.parse::<u64>().unwrap());
            }
            Err(WireError::BadAttribute { attribute: "h", .. }) => prop_assert!(!oracle),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn arbitrary_elements_never_panic_and_valid_ones_round_trip(
        name in prop::sample::select(vec![
            "sm", "enable", "enabled", "resume", "resumed", "failed", "r", "a", "x",
        ]),
        in_ns in any::<bool>(),
        attrs in prop::collection::vec(
            (
                prop::sample::select(vec!["h", "previd", "resume", "max", "id", "location", "z"]),
                "[0-9a-z+ -]{0,6}|true|false|1|0|4294967295|4294967296",
            ),
            0..6,
        ),
        child in prop::option::of(prop::sample::select(vec![
            "item-not-found", "unexpected-request", "text", "bogus",
        ])),
    ) {
        let mut el = Element::new(name, if in_ns { NS } else { "urn:xmpp:sm:2" });
        for (k, v) in attrs {
            el.set_attr(k, v);
        }
        if let Some(c) = child {
            el.push_child(Element::new(c, ns::STANZAS));
        }
        match Nonza::try_from(&el) {
            Ok(n) => {
                prop_assert!(in_ns);
                prop_assert_eq!(Nonza::try_from(&Element::from(n.clone())), Ok(n));
            }
            Err(WireError::WrongNamespace(_)) => prop_assert!(!in_ns),
            Err(_) => prop_assert!(in_ns),
        }
    }
}

#[test]
fn the_simulation_crosses_the_wrap() {
    // A fixed interleaving, so that at least one run surely crosses 2^32 with a cut.
    let mut ops = Vec::new();
    for _ in 0..8 {
        ops.extend([Op::Send(0, 3), Op::Send(1, 3), Op::Deliver(1, 1)]);
    }
    ops.extend([
        Op::Cut,
        Op::Send(0, 1),
        Op::Resume,
        Op::Deliver(0, 3),
        Op::Tick(30),
    ]);
    run(
        u32::MAX - 4,
        QueueLimits::default(),
        AckPolicy::default(),
        ops,
    );
}
