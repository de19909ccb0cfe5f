// Shared by the conn_* and sasl_* fuzz targets (included with `include!` by conn_common.rs and
// common/sasl.rs): the fuzz targets' credential stores. Every user has the password `FUZZ_PASSWORD`, which the PLAIN payloads of
// the templates, seeds and regression inputs carry (`AGp1bGlldAByMG0zMA==` is
// "\0juliet\0r0m30"); the salts come from the test kit's deterministic random source.
// Everything is named by its path: the including targets have their own imports.

const FUZZ_PASSWORD: &str = "r0m30";

/// A store of `users` in example.com with `iterations` PBKDF2 iterations, made once per
/// process in `cell` (each caller has its own).
#[allow(dead_code)]
fn fuzz_store(
    cell: &'static std::sync::OnceLock<std::sync::Arc<xmpp_sasl::MemoryStore>>,
    users: &[&str],
    iterations: u32,
) -> std::sync::Arc<xmpp_sasl::MemoryStore> {
    cell.get_or_init(|| {
        let mut s = xmpp_sasl::MemoryStore::new().with_domain("example.com");
        for (seed, user) in (1..).zip(users) {
            let mut rng = xmpp_stream::testing::TestRng::new(seed);
            s.add_user(user, FUZZ_PASSWORD, iterations, &mut rng)
                .expect("valid user");
        }
        std::sync::Arc::new(s)
    })
    .clone()
}

/// `juliet` alone, with one iteration: PLAIN checks stay cheap (the parsers and machines are
/// what is fuzzed), and a password mechanism can succeed only for her.
#[allow(dead_code)]
fn juliet_store() -> std::sync::Arc<xmpp_sasl::MemoryStore> {
    static STORE: std::sync::OnceLock<std::sync::Arc<xmpp_sasl::MemoryStore>> =
        std::sync::OnceLock::new();
    fuzz_store(&STORE, &["juliet"], 1)
}
