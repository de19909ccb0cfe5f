//! A predictable random source: [`TestRng`] and [`rng`].

/// A deterministic random source (SplitMix64) standing in for a CSPRNG in tests: the same
/// seed gives the same nonces, stream ids and generated resources on every run.
///
/// It claims [`rand_core::CryptoRng`] only so that the machines accept it; never use it
/// outside tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRng(pub u64);

impl TestRng {
    /// A source starting from `seed`.
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed)
    }
}

impl rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for TestRng {}

/// A boxed [`TestRng`], as [`Connection::initiator`](crate::connection::Connection::initiator) and [`Connection::receiver`](crate::connection::Connection::receiver) take it.
pub fn rng(seed: u64) -> Box<TestRng> {
    Box::new(TestRng(seed))
}
