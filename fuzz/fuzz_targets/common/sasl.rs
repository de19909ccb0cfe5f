// Shared by the sasl_* fuzz targets (included with `include!`): the fuzz credentials, the test
// kit's deterministic random source (fuzzing needs reproducibility, not secrecy) and the
// mechanism a selector byte picks.

use xmpp_stream::testing::TestRng;

include!("store.rs");

#[allow(dead_code)]
fn pick_mechanism(selector: u8) -> xmpp_sasl::Mechanism {
    let all = xmpp_sasl::Mechanism::ALL;
    all[usize::from(selector) % all.len()]
}
