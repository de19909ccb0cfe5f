//! Throwaway TLS material for the examples and tests: a self-signed certificate made in
//! memory with rcgen, the server configuration presenting it, and client configurations that
//! trust it (or, for `--insecure-skip-verify`, anything).

#![allow(dead_code)]

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use xmpp_stream::server_identity::ServerIdentity;
use xmpp_tokio::Trust;

/// A certificate, and the identity (chain and key) a server presents with it.
pub struct TlsMaterial {
    pub cert: CertificateDer<'static>,
    pub identity: ServerIdentity,
    pub cert_pem: String,
}

impl TlsMaterial {
    /// A self-signed certificate for `domain`.
    pub fn generate(domain: &str) -> Result<TlsMaterial, String> {
        let ck = rcgen::generate_simple_self_signed(vec![domain.to_owned()])
            .map_err(|e| format!("certificate generation failed: {e}"))?;
        let cert = ck.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
        Ok(TlsMaterial {
            identity: ServerIdentity::new(vec![cert.clone()], key).map_err(|e| e.to_string())?,
            cert,
            cert_pem: ck.cert.pem(),
        })
    }

    /// Reads a PEM certificate chain (first = end entity) and a PEM private key.
    pub fn from_pem_files(cert: &str, key: &str) -> Result<TlsMaterial, String> {
        let cert_pem = std::fs::read_to_string(cert).map_err(|e| format!("{cert}: {e}"))?;
        let key_pem = std::fs::read(key).map_err(|e| format!("{key}: {e}"))?;
        let identity = ServerIdentity::from_pem(cert_pem.as_bytes(), &key_pem)
            .map_err(|e| format!("{cert}, {key}: {e}"))?;
        Ok(TlsMaterial {
            cert: identity.end_entity().clone(),
            identity,
            cert_pem,
        })
    }

    /// The server configuration presenting this certificate (no client certificates).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        self.server_config_with(None)
    }

    /// The server configuration presenting this certificate; with `client_certs`, client
    /// certificates are verified with that trust (anchors and CRLs) for SASL EXTERNAL, and
    /// clients without one are still admitted.
    pub fn server_config_with(
        &self,
        client_certs: Option<&Trust>,
    ) -> Result<Arc<rustls::ServerConfig>, String> {
        let (config, _) = self.identity.tls(client_certs).map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// A client configuration trusting exactly this certificate.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        client_trusting(std::slice::from_ref(&self.cert))
    }
}

/// A client configuration trusting these certificates.
pub fn client_trusting(
    certs: &[CertificateDer<'static>],
) -> Result<Arc<rustls::ClientConfig>, String> {
    Trust::certificates(certs.to_vec())
        .client_config()
        .map_err(|e| e.to_string())
}

/// The trust of a PEM file of CA certificates, with the CRLs of the `crls` PEM files.
pub fn trust_pem(path: &str, crls: &[String]) -> Result<Trust, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let trust = Trust::from_pem(&pem).map_err(|e| format!("{path}: {e}"))?;
    with_crls(trust, crls)
}

/// Adds the CRLs of these PEM files.
pub fn with_crls(mut trust: Trust, crls: &[String]) -> Result<Trust, String> {
    for path in crls {
        let pem = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        trust = trust
            .with_crl_pem(&pem)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(trust)
}

/// A client configuration trusting the certificates of a PEM file.
pub fn client_trusting_pem(path: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    trust_pem(path, &[])?
        .client_config()
        .map_err(|e| e.to_string())
}

/// A client configuration trusting the bundled Web PKI roots.
pub fn client_webpki() -> Result<Arc<rustls::ClientConfig>, String> {
    Trust::webpki_roots()
        .client_config()
        .map_err(|e| e.to_string())
}

/// A client configuration that accepts any certificate (`--insecure-skip-verify`).
pub fn client_insecure() -> Result<Arc<rustls::ClientConfig>, String> {
    Trust::insecure_skip_verify()
        .client_config()
        .map_err(|e| e.to_string())
}
