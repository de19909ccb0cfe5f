//! The connection machine tests' harness is the public test kit, `xmpp_stream::testing`
//! (enabled for the tests by the crate's dev-dependency on itself): a deterministic random
//! source, a test PKI, machine constructors, and a pump that moves bytes between two machines
//! in memory with a fake clock.

pub use xmpp_stream::testing::*;
