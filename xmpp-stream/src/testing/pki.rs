//! A throwaway PKI made with rcgen: [`TestPki`] and its [`TestCert`]s.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::trust::provider;

/// An end-entity certificate issued by a [`TestPki`], with its private key.
#[derive(Clone)]
pub struct TestCert {
    /// The DNS names it is valid for (subject alternative names).
    pub names: Vec<String>,
    /// The certificate (DER).
    pub cert: CertificateDer<'static>,
    /// The certificate (PEM), for programs that read certificate files.
    pub cert_pem: String,
    key_der: Vec<u8>,
    key_pem: String,
}

impl TestCert {
    /// The private key (PKCS#8).
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

impl fmt::Debug for TestCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCert")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// A throwaway PKI made with rcgen: a CA, a server certificate it issued, and optionally a
/// client certificate (for mutual TLS and SASL EXTERNAL). Keys are ECDSA P-256, made afresh
/// for every `TestPki`.
pub struct TestPki {
    /// The CA certificate (DER): the trust anchor of [`TestPki::client_config`].
    pub ca: CertificateDer<'static>,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    /// The server's certificate, presented by [`TestPki::server_config`].
    pub server: TestCert,
    /// The client's certificate, presented by [`TestPki::client_config_with_cert`].
    pub client: Option<TestCert>,
    ca_cert: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("server", &self.server)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl TestPki {
    /// A CA (common name "Test CA") and a server certificate for `server_names`; no client
    /// certificate.
    pub fn new(server_names: &[&str]) -> TestPki {
        let ca_key = rcgen::KeyPair::generate().expect("key generation");
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca_cert = params.self_signed(&ca_key).expect("self-signed CA");
        let server = issue(&ca_cert, &ca_key, server_names);
        TestPki {
            ca: ca_cert.der().clone(),
            ca_pem: ca_cert.pem(),
            server,
            client: None,
            ca_cert,
            ca_key,
        }
    }

    /// The same PKI with a client certificate for `client_names`, issued by the same CA.
    pub fn with_client_cert(mut self, client_names: &[&str]) -> TestPki {
        self.client = Some(self.issue(client_names));
        self
    }

    /// The PKI of the example setups: a server certificate for `example.com` and
    /// `example.net`, and a client certificate for `example.org` (the peer server of s2s
    /// tests).
    pub fn example() -> TestPki {
        TestPki::new(&["example.com", "example.net"]).with_client_cert(&["example.org"])
    }

    /// Another end-entity certificate for `names`, issued by this CA.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        issue(&self.ca_cert, &self.ca_key, names)
    }

    /// Like [`TestPki::issue`], but the certificate's DER encoding has the same length in
    /// every process, and so has a TLS handshake presenting it (for fuzzers and tests that
    /// need byte positions in a handshake to keep their meaning): an Ed25519 key (signatures
    /// of a fixed length), the serial number `serial`, and the CA's ECDSA signature made
    /// again until its DER encoding has its longest form (72 bytes).
    pub fn issue_fixed_length(&self, names: &[&str], serial: u64) -> TestCert {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key generation");
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("valid DNS names");
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        loop {
            let cert = params
                .clone()
                .signed_by(&key, &self.ca_cert, &self.ca_key)
                .expect("signing");
            // The signature ends the certificate: SEQUENCE { INTEGER r, INTEGER s }, 72 bytes
            // when both integers have their top bit set (a leading zero byte each).
            let der = cert.der();
            let sig = &der[der.len().saturating_sub(72)..];
            if sig.len() == 72
                && sig[..5] == [0x30, 0x46, 0x02, 0x21, 0x00]
                && sig[37..40] == [0x02, 0x21, 0x00]
            {
                return TestCert {
                    names,
                    cert: der.clone(),
                    cert_pem: cert.pem(),
                    key_der: key.serialize_der(),
                    key_pem: key.serialize_pem(),
                };
            }
        }
    }

    /// A client configuration trusting the CA and presenting no certificate.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        Arc::new(self.client_builder().with_no_client_auth())
    }

    /// A client configuration trusting the CA and presenting the client certificate.
    ///
    /// # Panics
    ///
    /// If the PKI has no client certificate ([`TestPki::with_client_cert`]).
    pub fn client_config_with_cert(&self) -> Arc<rustls::ClientConfig> {
        let client = self
            .client
            .as_ref()
            .expect("TestPki::client_config_with_cert: this PKI has no client certificate");
        Arc::new(
            self.client_builder()
                .with_client_auth_cert(vec![client.cert.clone()], client.key())
                .expect("client certificate and key match"),
        )
    }

    /// The server side, as [`ReceiverConfig::tls`](crate::connection::ReceiverConfig::tls) takes it: a configuration presenting the
    /// server certificate and asking for no client certificate, and that certificate (for
    /// `tls-server-end-point` channel binding).
    pub fn server_config(&self) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        self.server_with(false)
    }

    /// Like [`TestPki::server_config`], but asking for a client certificate: one issued by
    /// this CA is verified, none is accepted too (the SASL layer decides).
    pub fn server_config_with_client_auth(
        &self,
    ) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        self.server_with(true)
    }

    fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.ca.clone())
            .expect("the CA is a valid anchor");
        roots
    }

    fn client_builder(
        &self,
    ) -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(self.roots())
    }

    fn server_with(
        &self,
        client_auth: bool,
    ) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if client_auth {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(self.roots()),
                provider(),
            )
            .allow_unauthenticated()
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(vec![self.server.cert.clone()], self.server.key())
            .expect("server certificate and key match");
        (Arc::new(config), Some(self.server.cert.clone()))
    }
}

fn issue(ca_cert: &rcgen::Certificate, ca_key: &rcgen::KeyPair, names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let key = rcgen::KeyPair::generate().expect("key generation");
    let cert = rcgen::CertificateParams::new(names.clone())
        .expect("valid DNS names")
        .signed_by(&key, ca_cert, ca_key)
        .expect("signing");
    TestCert {
        names,
        cert: cert.der().clone(),
        cert_pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}
