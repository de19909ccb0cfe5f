//! Sans-IO SASL mechanisms for XMPP, client and server side: pure step machines, bytes in and
//! bytes out. No XML, no I/O, no clock; randomness and credentials are handed in.
//!
//! A full SCRAM-SHA-256 exchange, both sides in memory:
//!
//! ```
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//! use xmpp_sasl::{
//!     choose, ClientPolicy, Credentials, Identity, MemoryStore, ServerPolicy, ServerContext,
//!     ServerOutcome, ServerSession, Transport,
//! };
//!
//! let mut rng = ChaCha20Rng::seed_from_u64(7);
//! let mut store = MemoryStore::new();
//! store.add_user("juliet", "r0m30myr0m30", 4096, &mut rng).unwrap();
//!
//! let transport = Transport::tls();
//! let mut server = ServerSession::new(ServerPolicy::rfc6120());
//! let offered = server.offered(&transport); // the <mechanism/> names to advertise
//!
//! // Client: choose from the advertised list and start.
//! let choice = choose(&offered, &ClientPolicy::rfc6120(), &transport).unwrap();
//! let credentials = Credentials::password("juliet", "r0m30myr0m30").unwrap();
//! let mut client = choice.start(&credentials, &mut rng).unwrap();
//! let initial = client.initial_response().unwrap();
//!
//! // Server: <auth mechanism=...> with the initial response, then <response/>s.
//! let mut server_rng = ChaCha20Rng::seed_from_u64(8);
//! let mut ctx = ServerContext::new(&store, &mut server_rng, &transport);
//! let mut outcome = server.auth(&mut ctx, Some(client.name()), initial.as_deref());
//! let success = loop {
//!     match outcome {
//!         ServerOutcome::Challenge(challenge) => {
//!             let response = client.step(&challenge).unwrap();
//!             outcome = server.response(&mut ctx, &response);
//!         }
//!         ServerOutcome::Success(success) => break success,
//!         ServerOutcome::Failure { failure, .. } => panic!("{failure}"),
//!     }
//! };
//! // The client verifies the server's signature carried in <success/>.
//! client.finish(success.additional_data.as_deref()).unwrap();
//! assert_eq!(client.name(), "SCRAM-SHA-512");
//! assert_eq!(
//!     success.identity,
//!     Identity::User { authcid: "juliet".into(), authzid: None }
//! );
//! ```
//!
//! # Map
//!
//! - Mechanisms: [`scram`] (SCRAM-SHA-1/256/512 and -PLUS with `tls-exporter` and
//!   `tls-server-end-point`), [`plain`], [`external`] (XEP-0178 rules), [`anonymous`] (off
//!   unless enabled), `digest_md5` (feature `legacy-digest-md5`), `gssapi` (Kerberos V5,
//!   RFC 4752, through the system's GSS-API library; feature `gssapi`).
//! - Uniform interfaces: [`ClientMechanism`] and [`ServerMechanism`]. They are also the
//!   extension point for mechanisms of other crates: implement them outside and register the
//!   server side with [`ServerSession::with_extension`] (GSSAPI's server side is registered
//!   that way too), or for a connection machine, which is handed only a store, add it to the
//!   store with [`ExtendedStore`].
//! - Client negotiation: [`ClientPolicy`] (presets `rfc6120`, `dod_ucr_2008`, `nato_bcs`),
//!   [`choose`] → [`Choice`] → [`Choice::start`].
//! - Server: [`ServerPolicy`] (same presets), [`ServerSession`] (advertisement, dispatch, retry
//!   counter), [`CredentialStore`] + [`MemoryStore`], [`ScramCredentials`] (salted keys, never
//!   passwords).
//! - Results: [`Failure`] = RFC 6120 §6.5 [`SaslCondition`] + optional text + local [`Cause`].
//! - [`wire`]: the strict base64 of the SASL elements with the `=` empty-payload rule.
//!
//! # Channel binding and downgrades
//!
//! The client binds SCRAM to TLS (-PLUS) only with a channel-binding type the server advertised
//! through XEP-0440 ([`Transport::advertised_channel_bindings`]): deployed servers disagree on
//! the type (ejabberd 23.01 binds `tls-unique` even on TLS 1.3, RFC 9266 says `tls-exporter`),
//! and a wrong guess is a refused login. Without an advertisement the client uses the plain
//! SCRAM variant with the gs2 flag `n`; [`ClientPolicy::require_channel_binding`] refuses
//! instead, and [`ClientPolicy::assume_channel_binding`] names a type to bind without an
//! advertisement. A server built from [`ServerSession`] advertises every type it accepts and
//! can compute ([`ServerSession::channel_binding_types`]).
//!
//! The trade-off: an attacker in the middle of the TLS connection who strips both the -PLUS
//! mechanisms and the advertisement from the features makes the client fall back to `n`,
//! which SCRAM cannot detect (with the -PLUS mechanisms stripped alone, the client's `y` flag
//! makes a binding server refuse). Such an attacker must already defeat the certificate check,
//! which this library never skips by default. XEP-0474 (SCRAM downgrade protection: a hash of
//! the offered mechanisms and binding types inside the SCRAM exchange) would close that gap; it
//! is not implemented yet: it is Experimental, its wire format changed between versions, and
//! neither Prosody 0.12 nor ejabberd 23.01 speaks it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anonymous;
mod client;
mod condition;
mod credentials;
#[cfg(feature = "legacy-digest-md5")]
pub mod digest_md5;
mod extended_store;
pub mod external;
mod failure;
#[cfg(feature = "gssapi")]
pub mod gssapi;
mod mechanism;
mod negotiation;
pub mod plain;
pub mod scram;
mod server;
mod server_policy;
mod session;
mod single_message;
mod store;
mod text;
mod transport;
pub mod wire;

pub use client::ClientMechanism;
pub use condition::{SaslCondition, UnknownCondition};
pub use credentials::{Credentials, CredentialsError, saslprep};
pub use extended_store::ExtendedStore;
pub use failure::{Cause, Failure};
pub use mechanism::{Mechanism, UnknownMechanism, is_valid_mechanism_name};
pub use negotiation::{Choice, ClientPolicy, NegotiationError, choose};
pub use scram::{ChannelBindingMode, IterationLimits, ScramCredentials, ScramHash};
pub use server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};
pub use server_policy::ServerPolicy;
pub use session::{ServerMechanismFactory, ServerOutcome, ServerSession};
pub use store::{AccountStatus, CredentialStore, MemoryStore, StoreError};
pub use transport::{ChannelBinding, ChannelBindingType, Transport, UnknownChannelBindingType};
