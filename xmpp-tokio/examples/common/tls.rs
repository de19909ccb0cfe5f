//! Throwaway TLS material for the examples and tests: a self-signed certificate made in
//! memory with rcgen, the server configuration presenting it, and client configurations that
//! trust it (or, for `--insecure-skip-verify`, anything).

#![allow(dead_code)]

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use xmpp_stream::trust::provider;
use xmpp_tokio::Trust;

/// A certificate and its key.
pub struct TlsMaterial {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
}

impl TlsMaterial {
    /// A self-signed certificate for `domain`.
    pub fn generate(domain: &str) -> Result<TlsMaterial, String> {
        let ck = rcgen::generate_simple_self_signed(vec![domain.to_owned()])
            .map_err(|e| format!("certificate generation failed: {e}"))?;
        Ok(TlsMaterial {
            cert: ck.cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der())),
            cert_pem: ck.cert.pem(),
        })
    }

    /// Reads a PEM certificate chain (first = end entity) and a PEM private key.
    pub fn from_pem_files(cert: &str, key: &str) -> Result<TlsMaterial, String> {
        let cert_pem = std::fs::read_to_string(cert).map_err(|e| format!("{cert}: {e}"))?;
        let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{cert}: {e}"))?;
        let first = certs
            .into_iter()
            .next()
            .ok_or_else(|| format!("{cert}: no certificate"))?;
        let key_pem = std::fs::read(key).map_err(|e| format!("{key}: {e}"))?;
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .map_err(|e| format!("{key}: {e}"))?
            .ok_or_else(|| format!("{key}: no private key"))?;
        Ok(TlsMaterial {
            cert: first,
            key,
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
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match client_certs {
            Some(trust) => builder
                .with_client_cert_verifier(trust.client_verifier().map_err(|e| e.to_string())?),
            None => builder.with_no_client_auth(),
        };
        let cfg = builder
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(cfg))
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
