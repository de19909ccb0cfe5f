//! What a server presents in TLS: [`ServerIdentity`], its certificate chain and private key
//! (from PEM), and the rustls server configuration built from them, which the receiving
//! machines take ([`ServerTls`]).

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::trust::{Trust, TrustError, provider};

/// The TLS setup of a receiving machine: the rustls configuration, and the end-entity
/// certificate it presents (for `tls-server-end-point` channel binding).
pub type ServerTls = (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>);

/// A certificate chain (end entity first) and its private key.
///
/// ```
/// use xmpp_stream::server_identity::ServerIdentity;
/// # let pki = xmpp_stream::testing::TestPki::example();
/// # let (chain_pem, key_pem) = (pki.server.cert_pem.clone(), pki.server.key_pem().to_owned());
/// let identity = ServerIdentity::from_pem(chain_pem.as_bytes(), key_pem.as_bytes())?;
/// let (config, end_entity) = identity.tls(None)?;
/// assert!(end_entity.is_some());
/// assert!(ServerIdentity::from_pem(b"", key_pem.as_bytes()).is_err());
/// # drop(config);
/// # Ok::<(), xmpp_stream::trust::TrustError>(())
/// ```
#[derive(Clone)]
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// A chain (end entity first, at least one certificate) and its key.
    ///
    /// # Errors
    /// [`TrustError::Empty`] for an empty chain.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ServerIdentity, TrustError> {
        if chain.is_empty() {
            return Err(TrustError::Empty {
                what: "certificate",
                label: "CERTIFICATE",
            });
        }
        Ok(ServerIdentity {
            chain,
            key: Arc::new(key),
        })
    }

    /// The `CERTIFICATE` blocks of `chain_pem` (end entity first) and the private key of
    /// `key_pem` (PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    /// [`TrustError::Pem`] for text that is not PEM, [`TrustError::Empty`] when a part is missing.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<ServerIdentity, TrustError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError::Pem {
                what: "certificate chain",
                detail: e.to_string(),
            })?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
            rustls::pki_types::pem::Error::NoItemsFound => TrustError::Empty {
                what: "private key",
                label: "PRIVATE KEY",
            },
            e => TrustError::Pem {
                what: "private key",
                detail: e.to_string(),
            },
        })?;
        ServerIdentity::new(chain, key)
    }

    /// The end-entity certificate.
    pub fn end_entity(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// The rustls server configuration presenting this identity (safe default TLS versions,
    /// the workspace's [`provider`]). With `client_certs`, client certificates are verified
    /// against that trust for SASL EXTERNAL and clients without one are still admitted.
    ///
    /// # Errors
    /// [`TrustError::Config`] when rustls refuses the key or the chain, or a client-verifier
    /// error of `client_certs`.
    pub fn tls(&self, client_certs: Option<&Trust>) -> Result<ServerTls, TrustError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TrustError::Config)?;
        let builder = match client_certs {
            Some(trust) => builder.with_client_cert_verifier(trust.client_verifier()?),
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(TrustError::Config)?;
        Ok((Arc::new(config), Some(self.end_entity().clone())))
    }
}
