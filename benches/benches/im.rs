//! RFC 6121 engine cost (`xmpp-im`'s `ServerEngine`, payload = `xmpp-stanza`'s `Presence`):
//!
//! - `im/route_message`: where one chat message to a bare JID goes (the account has 3 available
//!   resources with different priorities): `ServerEngine::route_message`, and the same from a
//!   typed `Message` through the bridge.
//! - `im/presence_broadcast_1000`: one presence update from a resource whose account has 1,000
//!   contacts with a `from` subscription on a remote domain (so the engine emits 1,000
//!   `RoutePresence` actions plus the echo): the engine alone, and the engine plus turning
//!   every action into an addressed stanza (`stanza_bridge::action_to_outbound`).
//!
//! Run: `cargo bench -p xmpp-benches --bench im -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use xmpp_im::delivery::{MessageDelivery, MessageType};
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::presence::Presence;
use xmpp_im::server::{EngineConfig, ServerEngine};
use xmpp_im::stanza_bridge::{StanzaPresence, action_to_outbound, route_message};
use xmpp_im::store::{Contact, MemoryRosterStore, RosterStore};
use xmpp_im::subscription::{ContactState, SubscriptionState};
use xmpp_stanza::{IdGenerator, Message, Show};

type Engine = ServerEngine<StanzaPresence, MemoryRosterStore<StanzaPresence>>;

fn available(priority: i8) -> StanzaPresence {
    let mut p = StanzaPresence::available();
    p.priority = priority;
    p
}

fn setup(contacts: usize) -> (Engine, FullJid) {
    let user: BareJid = "juliet@example.com".parse().expect("jid");
    let mut store = MemoryRosterStore::new();
    store.add_account(user.clone());
    store.add_account("romeo@example.com".parse().expect("jid"));
    for i in 0..contacts {
        let c: BareJid = format!("contact{i}@remote.example").parse().expect("jid");
        store
            .save_contact(
                &user,
                Contact::in_roster(c, ContactState::new(SubscriptionState::From)),
                None,
            )
            .expect("store");
    }
    let mut engine = ServerEngine::new(EngineConfig::new(["example.com"]), store);
    let main: FullJid = "juliet@example.com/balcony".parse().expect("jid");
    for (r, prio) in [("balcony", 5), ("garden", 1), ("phone", -1)] {
        let full: FullJid = format!("juliet@example.com/{r}").parse().expect("jid");
        engine.bind(full.clone()).expect("bind");
        engine
            .presence_from_client(&full, None, Presence::Available(available(prio)))
            .expect("initial presence");
    }
    (engine, main)
}

fn bench(c: &mut Criterion) {
    let (engine, main) = setup(0);
    let to: Jid = "juliet@example.com".parse().expect("jid");
    assert_eq!(
        engine.route_message(&to, MessageType::Chat),
        MessageDelivery::Deliver(vec![main.clone()])
    );
    let mut message = Message::chat(to.clone(), "hi");
    message.from = Some("romeo@example.com/orchard".parse().expect("jid"));
    let mut group = c.benchmark_group("im/route_message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("engine", |b| {
        b.iter(|| black_box(engine.route_message(black_box(&to), MessageType::Chat)))
    });
    group.bench_function("bridge (typed Message)", |b| {
        b.iter(|| black_box(route_message(&engine, black_box(&message))))
    });
    group.finish();

    let (mut engine, main) = setup(1000);
    let mut update = available(5);
    update.show = Some(Show::Away);
    let actions = engine
        .presence_from_client(&main, None, Presence::Available(update.clone()))
        .expect("update");
    assert!(actions.len() >= 1000, "{} actions", actions.len());
    let mut group = c.benchmark_group("im/presence_broadcast_1000");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("engine", |b| {
        b.iter(|| {
            black_box(
                engine
                    .presence_from_client(&main, None, Presence::Available(update.clone()))
                    .expect("update"),
            )
        })
    });
    let mut ids = IdGenerator::new();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    group.bench_function("engine + stanzas", |b| {
        b.iter(|| {
            let actions = engine
                .presence_from_client(&main, None, Presence::Available(update.clone()))
                .expect("update");
            let out: Vec<_> = actions
                .into_iter()
                .map(|a| action_to_outbound(a, &mut ids, &mut rng))
                .collect();
            black_box(out)
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
