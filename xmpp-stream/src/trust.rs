//! Which certificates a peer may present, and how they are checked: [`Trust`] (trust anchors,
//! certificate revocation lists, revocation policy) and the rustls configurations built from
//! it, for both adapters and both directions.
//!
//! - Initiating side: [`Trust::client_config`] verifies the server's certificate (chain to a
//!   trusted root, validity period, name, and revocation when CRLs are given).
//! - Receiving side: [`Trust::client_verifier`] verifies client certificates for SASL EXTERNAL
//!   (XEP-0178) the same way; clients without a certificate are still admitted, so password
//!   mechanisms keep working.
//!
//! Revocation (DoD PKI, UCR-TLS-12/-20/-21/-22) is checked with CRLs through rustls' WebPKI
//! verifiers. With CRLs the checks are strict by default: every certificate of the chain must be
//! covered by a CRL of its issuer (else [`UnknownRevocationStatus`]), and a CRL past its
//! nextUpdate is refused ([`ExpiredRevocationList`]); [`Trust::allow_unknown_revocation_status`]
//! relaxes the first. OCSP is not checked: rustls hands a stapled OCSP response to the verifier,
//! but its WebPKI verifier does not evaluate it, and fetching responses would be I/O that a
//! sans-IO core does not do. Deployments that need OCSP plug in their own
//! `rustls::client::danger::ServerCertVerifier` and pass a complete configuration to the adapter.
//!
//! The crypto provider is ring ([`provider`]): it builds on every target rustls supports
//! without a C toolchain beyond the one `cc` needs, and it is what the rest of the workspace
//! links.
//!
//! ```
//! use xmpp_stream::trust::Trust;
//! # let ca_pem = include_bytes!("../tests/data/trust/ca.pem");
//! # let crl_pem = include_bytes!("../tests/data/trust/ca.crl.pem");
//! let trust = Trust::from_pem(ca_pem)?.with_crl_pem(crl_pem)?;
//! let client_tls = trust.client_config()?; // for the client adapters
//! let client_certs = trust.client_verifier()?; // for a server's rustls::ServerConfig (EXTERNAL)
//! # let _ = (client_tls, client_certs);
//! # Ok::<(), xmpp_stream::trust::TrustError>(())
//! ```
//!
//! [`UnknownRevocationStatus`]: crate::tls_failure::CertificateProblem::UnknownRevocationStatus
//! [`ExpiredRevocationList`]: crate::tls_failure::CertificateProblem::ExpiredRevocationList

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::header::StreamKind;
use crate::profile::{Profile, ProfileError};

/// The crypto provider of every rustls configuration the workspace makes (ring): the one
/// place to change it. Ring builds everywhere rustls does with nothing but a C compiler, at
/// the cost of post-quantum key exchange (X25519MLKEM768 needs the aws-lc-rs provider; an
/// application that wants it builds its own rustls configuration with that provider and passes
/// it to the adapter).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Why a [`Trust`] or the configuration built from it could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// PEM text could not be read.
    #[error("{what}: not valid PEM: {detail}")]
    Pem {
        /// What was being read (`CA certificates`, `CRL`).
        what: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// PEM text holds no item of the expected kind.
    #[error("{what}: no {what} in the PEM text (expected a `-----BEGIN {label}-----` block)")]
    Empty {
        /// What was expected (`CA certificate`, `CRL`).
        what: &'static str,
        /// The PEM label expected.
        label: &'static str,
    },
    /// rustls refused a trust anchor (not a parsable certificate).
    #[error("trust anchor refused: {0}")]
    Anchor(rustls::Error),
    /// No trust anchor at all (an empty certificate list).
    #[error("no trust anchor: give at least one CA certificate")]
    NoAnchors,
    /// A CRL could not be parsed.
    #[error("CRL refused: {0}")]
    Crl(String),
    /// The TLS versions of the provider cannot be used.
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
    /// Client certificates cannot be accepted without verification.
    #[error("skipping verification is for testing servers' certificates only, not clients'")]
    InsecureClientVerification,
    /// The profile the configuration is built for is refused by [`Profile::validate`].
    #[error("profile refused: {0}")]
    Profile(ProfileError),
    /// The profile requires revocation checking (`check_revocation`, UCR-TLS-21) and this trust
    /// does not check it: no CRL, unknown revocation status accepted, or verification skipped.
    #[error(
        "the profile requires revocation checking (check_revocation, UCR-TLS-21): give the CRLs \
         of the CAs (`with_crl_pem`), keep an unknown revocation status refused and do not skip \
         verification"
    )]
    RevocationNotChecked,
    /// The profile requires mutual TLS on s2s streams (`s2s_mutual_tls`, UCR-TLS-22) and no
    /// trust for client certificates was given.
    #[error(
        "the profile requires the peer server's certificate on s2s streams (s2s_mutual_tls, \
         UCR-TLS-22): give the trust that verifies it"
    )]
    ClientCertificatesRequired,
}

#[derive(Debug, Clone)]
enum Anchors {
    #[cfg(feature = "webpki-roots")]
    WebPki,
    Certificates(Vec<CertificateDer<'static>>),
    InsecureSkipVerify,
}

/// Trust anchors, CRLs and revocation policy. Plain data: cheap to clone, turned into rustls
/// configurations on demand.
#[derive(Debug, Clone)]
pub struct Trust {
    anchors: Anchors,
    crls: Vec<CertificateRevocationListDer<'static>>,
    allow_unknown_revocation: bool,
}

impl Trust {
    /// The Mozilla root store (the `webpki-roots` crate), for servers with public certificates.
    #[cfg(feature = "webpki-roots")]
    pub fn webpki_roots() -> Trust {
        Trust::with_anchors(Anchors::WebPki)
    }

    /// Exactly these CA certificates (or self-signed certificates, trusted as they are).
    pub fn certificates(certificates: Vec<CertificateDer<'static>>) -> Trust {
        Trust::with_anchors(Anchors::Certificates(certificates))
    }

    /// CA certificates from PEM text (every `CERTIFICATE` block).
    pub fn from_pem(pem: &[u8]) -> Result<Trust, TrustError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError::Pem {
                what: "CA certificates",
                detail: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(TrustError::Empty {
                what: "CA certificate",
                label: "CERTIFICATE",
            });
        }
        Ok(Trust::certificates(certs))
    }

    /// Accept any server certificate (handshake signatures are still checked). Testing only: it
    /// defeats TLS authentication. Not usable for client certificates.
    pub fn insecure_skip_verify() -> Trust {
        Trust::with_anchors(Anchors::InsecureSkipVerify)
    }

    fn with_anchors(anchors: Anchors) -> Trust {
        Trust {
            anchors,
            crls: Vec::new(),
            allow_unknown_revocation: false,
        }
    }

    /// Adds certificate revocation lists (DER). With any CRL, revocation is checked for every
    /// certificate of the peer's chain.
    #[must_use]
    pub fn with_crls(
        mut self,
        crls: impl IntoIterator<Item = CertificateRevocationListDer<'static>>,
    ) -> Trust {
        self.crls.extend(crls);
        self
    }

    /// Adds the CRLs of PEM text (every `X509 CRL` block).
    pub fn with_crl_pem(self, pem: &[u8]) -> Result<Trust, TrustError> {
        let crls = CertificateRevocationListDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError::Pem {
                what: "CRL",
                detail: e.to_string(),
            })?;
        if crls.is_empty() {
            return Err(TrustError::Empty {
                what: "CRL",
                label: "X509 CRL",
            });
        }
        Ok(self.with_crls(crls))
    }

    /// With CRLs: accept certificates whose issuer has no CRL here (by default they are
    /// refused with `UnknownRevocationStatus`).
    #[must_use]
    pub fn allow_unknown_revocation_status(mut self) -> Trust {
        self.allow_unknown_revocation = true;
        self
    }

    /// The CRLs configured.
    pub fn crls(&self) -> &[CertificateRevocationListDer<'static>] {
        &self.crls
    }

    fn roots(&self) -> Result<Arc<rustls::RootCertStore>, TrustError> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.anchors {
            #[cfg(feature = "webpki-roots")]
            Anchors::WebPki => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Anchors::Certificates(certs) => {
                for c in certs {
                    roots.add(c.clone()).map_err(TrustError::Anchor)?;
                }
            }
            Anchors::InsecureSkipVerify => return Err(TrustError::InsecureClientVerification),
        }
        if roots.is_empty() {
            return Err(TrustError::NoAnchors);
        }
        Ok(Arc::new(roots))
    }

    /// The verifier of server certificates.
    pub fn server_verifier(&self) -> Result<Arc<dyn ServerCertVerifier>, TrustError> {
        if matches!(self.anchors, Anchors::InsecureSkipVerify) {
            return Ok(Arc::new(AnyServerCertificate(provider())));
        }
        let mut builder = WebPkiServerVerifier::builder_with_provider(self.roots()?, provider())
            .with_crls(self.crls.iter().cloned())
            .enforce_revocation_expiration();
        if self.allow_unknown_revocation {
            builder = builder.allow_unknown_revocation_status();
        }
        let verifier = builder
            .build()
            .map_err(|e| TrustError::Crl(e.to_string()))?;
        Ok(verifier)
    }

    /// The verifier of client certificates for a server (SASL EXTERNAL): clients without a
    /// certificate are admitted (they authenticate with a password mechanism), a presented
    /// certificate must verify.
    pub fn client_verifier(&self) -> Result<Arc<dyn ClientCertVerifier>, TrustError> {
        self.client_verifier_with(true)
    }

    fn client_verifier_with(
        &self,
        allow_unauthenticated: bool,
    ) -> Result<Arc<dyn ClientCertVerifier>, TrustError> {
        let mut builder = WebPkiClientVerifier::builder_with_provider(self.roots()?, provider())
            .with_crls(self.crls.iter().cloned())
            .enforce_revocation_expiration();
        if allow_unauthenticated {
            builder = builder.allow_unauthenticated();
        }
        if self.allow_unknown_revocation {
            builder = builder.allow_unknown_revocation_status();
        }
        builder.build().map_err(|e| TrustError::Crl(e.to_string()))
    }

    /// A rustls client configuration (TLS 1.2 and 1.3, every suite of [`provider`]) that
    /// verifies servers with this trust and presents no client certificate: the RFC 6120
    /// profile's [`client_config_for`](Self::client_config_for).
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TrustError> {
        self.client_config_for(&Profile::rfc6120())
    }

    /// A rustls client configuration for `profile`: its TLS versions and cipher suites, servers
    /// verified with this trust, no client certificate. Refuses a profile that
    /// [`Profile::validate`] refuses, and a trust that does not check revocation when the
    /// profile requires it ([`TrustError::RevocationNotChecked`]).
    pub fn client_config_for(
        &self,
        profile: &Profile,
    ) -> Result<Arc<rustls::ClientConfig>, TrustError> {
        let provider = provider_for(profile)?;
        if profile.check_revocation {
            self.require_revocation()?;
        }
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&protocol_versions(profile))
            .map_err(TrustError::Config)?
            .dangerous()
            .with_custom_certificate_verifier(self.server_verifier()?)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    fn require_revocation(&self) -> Result<(), TrustError> {
        if self.crls.is_empty()
            || self.allow_unknown_revocation
            || matches!(self.anchors, Anchors::InsecureSkipVerify)
        {
            return Err(TrustError::RevocationNotChecked);
        }
        Ok(())
    }
}

/// [`provider`] restricted to `profile`'s cipher suites, in the profile's order (all of them
/// when the profile names none). Refuses a profile that [`Profile::validate`] refuses.
pub fn provider_for(profile: &Profile) -> Result<Arc<rustls::crypto::CryptoProvider>, TrustError> {
    profile.validate().map_err(TrustError::Profile)?;
    let mut provider = rustls::crypto::ring::default_provider();
    if !profile.cipher_suites.is_empty() {
        let all = std::mem::take(&mut provider.cipher_suites);
        provider.cipher_suites = profile
            .cipher_suites
            .iter()
            .filter_map(|s| all.iter().find(|p| p.suite() == *s).copied())
            .collect();
    }
    Ok(Arc::new(provider))
}

/// The rustls versions of `profile.tls_versions` (those the backend implements;
/// [`Profile::validate`] refuses the others).
pub fn protocol_versions(profile: &Profile) -> Vec<&'static rustls::SupportedProtocolVersion> {
    profile
        .tls_versions
        .iter()
        .filter_map(|v| v.rustls())
        .collect()
}

/// The start of a rustls server configuration for `profile` and streams of `kind`: its TLS
/// versions and cipher suites, and client certificates verified with `client_certs` (clients
/// without one admitted, except on s2s streams when the profile requires mutual TLS,
/// `s2s_mutual_tls`). Finish it with the server's certificate (`with_single_cert`).
///
/// # Errors
/// [`TrustError::Profile`] for a profile that [`Profile::validate`] refuses,
/// [`TrustError::ClientCertificatesRequired`] for s2s under `s2s_mutual_tls` without
/// `client_certs`, [`TrustError::RevocationNotChecked`] when the profile requires revocation
/// checking and `client_certs` does not check it.
pub fn server_config_builder(
    profile: &Profile,
    client_certs: Option<&Trust>,
    kind: StreamKind,
) -> Result<rustls::ConfigBuilder<rustls::ServerConfig, rustls::server::WantsServerCert>, TrustError>
{
    let builder = rustls::ServerConfig::builder_with_provider(provider_for(profile)?)
        .with_protocol_versions(&protocol_versions(profile))
        .map_err(TrustError::Config)?;
    let mutual = profile.s2s_mutual_tls && kind == StreamKind::Server;
    match client_certs {
        Some(trust) => {
            if profile.check_revocation {
                trust.require_revocation()?;
            }
            Ok(builder.with_client_cert_verifier(trust.client_verifier_with(!mutual)?))
        }
        None if mutual => Err(TrustError::ClientCertificatesRequired),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// Accepts every server certificate but still checks handshake signatures.
#[derive(Debug)]
struct AnyServerCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_errors_say_what_was_expected() {
        assert!(matches!(
            Trust::from_pem(b"no pem here"),
            Err(TrustError::Empty {
                label: "CERTIFICATE",
                ..
            })
        ));
        let t = Trust::certificates(Vec::new());
        assert!(matches!(t.client_config(), Err(TrustError::NoAnchors)));
        assert!(matches!(
            t.with_crl_pem(b""),
            Err(TrustError::Empty {
                label: "X509 CRL",
                ..
            })
        ));
        assert!(matches!(
            Trust::insecure_skip_verify().client_verifier(),
            Err(TrustError::InsecureClientVerification)
        ));
        assert!(Trust::insecure_skip_verify().client_config().is_ok());
    }
}
