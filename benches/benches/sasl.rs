//! SASL costs: a full SCRAM-SHA-256 exchange at 4096 iterations (client and server machines,
//! in memory), compared with xmpp-rs's `sasl` crate doing the same exchange in the same run,
//! and with its theoretical floor, PBKDF2's 4096 HMAC-SHA-256 computations.
//!
//! Run: `cargo bench -p xmpp-benches --bench sasl -- --warm-up-time 1 --measurement-time 5`.
//! Results and the comparison are recorded in the benchmark notes (BENCHMARKS.md).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::Sha256;
use xmpp_sasl::{
    ClientPolicy, Credentials, Mechanism, MemoryStore, ScramCredentials, ScramHash, ServerContext,
    ServerOutcome, ServerPolicy, ServerSession, Transport, choose,
};

const PASSWORD: &str = "r0m30myr0m30";

/// One complete SCRAM-SHA-256 exchange: choose, client-first, server-first, client-final
/// (the client's PBKDF2), server verification, client verification of the server signature.
fn exchange(store: &MemoryStore, rng: &mut ChaCha20Rng) {
    let transport = Transport::tls();
    let policy = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha256]);
    let choice = choose(&["SCRAM-SHA-256"], &policy, &transport).unwrap();
    let credentials = Credentials::password("juliet", PASSWORD).unwrap();
    let mut client = choice.start(&credentials, rng).unwrap();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let initial = client.initial_response().unwrap();
    let mut ctx = ServerContext::new(store, rng, &transport);
    let mut outcome = session.auth(&mut ctx, Some("SCRAM-SHA-256"), initial.as_deref());
    loop {
        match outcome {
            ServerOutcome::Challenge(c) => {
                let r = client.step(&c).unwrap();
                outcome = session.response(&mut ctx, &r);
            }
            ServerOutcome::Success(s) => {
                client.finish(s.additional_data.as_deref()).unwrap();
                return;
            }
            ServerOutcome::Failure { failure, .. } => panic!("{failure}"),
        }
    }
}

/// The same exchange with the `sasl` crate (xmpp-rs's SASL, client and server halves), so the
/// two implementations are measured in one run. Its server is given the salted password it
/// stores (derived once, before timing), as a real server would keep it.
mod xmpp_rs {
    use sasl::client::Mechanism as _;
    use sasl::client::mechanisms::Scram as ClientScram;
    use sasl::common::scram::Sha256;
    use sasl::common::{ChannelBinding, Identity};
    use sasl::secret::Pbkdf2Sha256;
    use sasl::server::mechanisms::Scram as ServerScram;
    use sasl::server::{Mechanism as _, Provider, ProviderError, Response};

    pub struct Store {
        pub user: String,
        pub secret: Pbkdf2Sha256,
    }

    /// The provider the server mechanism owns for one exchange: a borrowed store.
    pub struct StoreRef<'a>(pub &'a Store);

    impl Provider<Pbkdf2Sha256> for StoreRef<'_> {
        fn provide(&self, identity: &Identity) -> Result<Pbkdf2Sha256, ProviderError> {
            match identity {
                Identity::Username(u) if *u == self.0.user => Ok(self.0.secret.clone()),
                _ => Err(ProviderError::AuthenticationFailed),
            }
        }
    }

    sasl::impl_validator_using_provider!(StoreRef<'_>, Pbkdf2Sha256);

    /// Client-first, server-first, client-final (the client's PBKDF2), server verification,
    /// client verification of the server signature. The client says `y` (no channel binding
    /// offered by the server): that crate's server only accepts `n` with a binding to append.
    pub fn exchange(store: &Store, password: &str) {
        let mut client =
            ClientScram::<Sha256>::new(store.user.as_str(), password, ChannelBinding::Unsupported)
                .unwrap();
        let mut server = ServerScram::<Sha256, _>::new(StoreRef(store), ChannelBinding::None);
        let first = client.initial();
        let Response::Proceed(challenge) = server.respond(&first).unwrap() else {
            panic!("the server did not send server-first");
        };
        let last = client.response(&challenge).unwrap();
        let Response::Success(identity, data) = server.respond(&last).unwrap() else {
            panic!("the server did not accept the proof");
        };
        assert_eq!(identity, Identity::Username(store.user.clone()));
        client.success(&data).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut store = MemoryStore::new();
    store.add_user("juliet", PASSWORD, 4096, &mut rng).unwrap();

    let mut g = c.benchmark_group("sasl");
    g.bench_function("scram_sha256_exchange_4096", |b| {
        b.iter(|| exchange(&store, &mut rng))
    });
    // The same exchange when the server must first derive the keys from a password (account
    // creation or a password change in the same step): two PBKDF2 runs.
    g.bench_function("scram_sha256_exchange_4096_server_derives", |b| {
        b.iter(|| {
            let creds =
                ScramCredentials::derive(ScramHash::Sha256, PASSWORD, b"0123456789abcdef", 4096)
                    .unwrap();
            let mut fresh = MemoryStore::new();
            fresh.insert_credentials("juliet", creds).unwrap();
            exchange(&fresh, &mut rng)
        })
    });
    let theirs = xmpp_rs::Store {
        user: "juliet".to_owned(),
        secret: sasl::secret::Pbkdf2Sha256::derive(PASSWORD, b"0123456789abcdef", 4096).unwrap(),
    };
    g.bench_function("xmpp_rs_sasl_scram_sha256_exchange_4096", |b| {
        b.iter(|| xmpp_rs::exchange(&theirs, PASSWORD))
    });
    g.bench_function("pbkdf2_hmac_sha256_4096", |b| {
        let mut out = [0u8; 32];
        b.iter(|| {
            pbkdf2::pbkdf2_hmac::<Sha256>(
                black_box(PASSWORD.as_bytes()),
                b"0123456789abcdef",
                4096,
                &mut out,
            );
            black_box(out)
        })
    });
    // One HMAC-SHA-256 over 32 bytes with the key set up each time (4 compression calls).
    g.bench_function("hmac_sha256_keyed_each_time", |b| {
        b.iter(|| {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(black_box(&[7u8; 32])).unwrap();
            m.update(black_box(&[9u8; 32]));
            black_box(m.finalize().into_bytes())
        })
    });
    // One HMAC-SHA-256 from a pre-keyed state (2 compression calls): what each PBKDF2
    // iteration costs.
    let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
    g.bench_function("hmac_sha256_prekeyed", |b| {
        b.iter(|| {
            let mut m = keyed.clone();
            m.update(black_box(&[9u8; 32]));
            black_box(m.finalize().into_bytes())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
