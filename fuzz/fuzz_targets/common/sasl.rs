// Shared by the sasl_* fuzz targets (included with `include!`): a deterministic "random"
// source (fuzzing needs reproducibility, not secrecy) and a store with cheap iterations.

use rand_core::{CryptoRng, RngCore};

struct FuzzRng(u64);

impl RngCore for FuzzRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FuzzRng {}

#[allow(dead_code)]
fn fuzz_store() -> xmpp_sasl::MemoryStore {
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("example.com");
    // One iteration keeps PLAIN checks cheap; the parsers and state machines are what is fuzzed.
    store
        .add_user("juliet", "r0m30", 1, &mut FuzzRng(1))
        .expect("valid user");
    store
}

#[allow(dead_code)]
fn pick_mechanism(selector: u8) -> xmpp_sasl::Mechanism {
    let all = xmpp_sasl::Mechanism::ALL;
    all[usize::from(selector) % all.len()]
}
