//! GSSAPI: Kerberos V5 as a SASL mechanism (RFC 4752), client and server side, through the
//! system's GSS-API library (MIT krb5, by the `libgssapi` binding). Feature `gssapi`; the
//! NATO profile requires it (S-13).
//!
//! This module owns the RFC 4752 exchange on both sides: context establishment tokens carried
//! in SASL challenges and responses, the security-layer negotiation ([`LayerOffer`],
//! [`LayerChoice`]: always "no security layer" with a maximum size of 0, since TLS protects the
//! stream), the checks on the established context (Kerberos V5, integrity, mutual
//! authentication for the client, this XMPP service for the server), and the server's
//! authorization rule ([`PrincipalMapping`]: `juliet@EXAMPLE.COM` → account `juliet` by
//! default). Every failure is a [`Failure`](crate::Failure) with an RFC 6120 condition and a
//! [`GssapiError`] cause; no input panics.
//!
//! Unlike the rest of the crate this does I/O, inside the GSS-API library: the client reads
//! its tickets from the credential cache of the environment (`KRB5CCNAME`, filled by `kinit`)
//! and asks the KDC for a service ticket; the server reads its key from the keytab
//! (`KRB5_KTNAME`). Both read `krb5.conf` (`KRB5_CONFIG`). The service is `xmpp@<host>`
//! (principal `xmpp/<host>@REALM`), `host` being the server's domain unless configured
//! otherwise.
//!
//! - Client: [`Credentials::kerberos`](crate::Credentials::kerberos), then
//!   [`choose`](crate::choose) with [`Mechanism::Gssapi`](crate::Mechanism::Gssapi) in the
//!   preference ([`ClientPolicy::for_credentials`](crate::ClientPolicy::for_credentials) puts
//!   it there) and [`Choice::start`](crate::Choice::start), which makes a [`GssapiClient`].
//! - Server: register a [`GssapiServer`] with
//!   [`ServerSession::with_extension`](crate::ServerSession::with_extension), or give it to a
//!   connection machine with the store ([`ExtendedStore`](crate::ExtendedStore)).
//!
//! A login, both sides in one process (as the tests do against a KDC on loopback,
//! `scripts/interop/kdc.sh`):
//!
//! ```no_run
//! use std::sync::Arc;
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//! use xmpp_sasl::gssapi::{GssapiConfig, GssapiServer};
//! use xmpp_sasl::{
//!     choose, ClientPolicy, Credentials, Identity, MemoryStore, ServerContext, ServerOutcome,
//!     ServerPolicy, ServerSession, Transport,
//! };
//!
//! let transport = Transport::tls();
//! let server = GssapiServer::new(GssapiConfig::new("example.com", "EXAMPLE.COM"));
//! let mut session = ServerSession::new(ServerPolicy::nato_bcs()).with_extension(Arc::new(server));
//! let offered = session.offered(&transport);
//! assert_eq!(offered[0], "GSSAPI");
//!
//! let credentials = Credentials::kerberos("example.com")?;
//! let policy = ClientPolicy::nato_bcs().for_credentials(&credentials);
//! let mut rng = ChaCha20Rng::seed_from_u64(7); // no secret is drawn from it for GSSAPI
//! let mut client = choose(&offered, &policy, &transport)?.start(&credentials, &mut rng)?;
//!
//! let store = MemoryStore::new();
//! let mut ctx = ServerContext::new(&store, &mut rng, &transport);
//! let initial = client.initial_response()?;
//! let mut outcome = session.auth(&mut ctx, Some("GSSAPI"), initial.as_deref());
//! let success = loop {
//!     match outcome {
//!         ServerOutcome::Challenge(c) => outcome = session.response(&mut ctx, &client.step(&c)?),
//!         ServerOutcome::Success(s) => break s,
//!         ServerOutcome::Failure { failure, .. } => return Err(failure.into()),
//!     }
//! };
//! client.finish(success.additional_data.as_deref())?;
//! assert_eq!(
//!     success.identity,
//!     Identity::User { authcid: "juliet".into(), authzid: None }
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod error;
mod layers;
mod principal;
mod server;
#[cfg(test)]
mod tests;
mod token;

pub use client::GssapiClient;
pub use error::GssapiError;
pub use layers::{LayerChoice, LayerError, LayerOffer, MAX_SIZE, SecurityLayers};
pub use principal::{Principal, PrincipalError, PrincipalMapping};
pub use server::{GssapiConfig, GssapiServer};

/// The GSS-API service name of XMPP (RFC 6120 §14.6).
pub const SERVICE: &str = "xmpp";

/// Whether `mech` is the Kerberos V5 mechanism.
fn is_kerberos(mech: &libgssapi::oid::Oid<'_>) -> bool {
    **mech == token::KRB5_OID
}
