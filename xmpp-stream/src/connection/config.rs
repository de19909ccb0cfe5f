//! How a machine is set up: [`InitiatorConfig`] with [`InitiatorAuth`] for the side that
//! connects, [`ReceiverConfig`] with [`ReceiverAuth`] for the side that accepts.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::header::StreamKind;

/// How the initiating side authenticates.
pub enum InitiatorAuth {
    /// SASL with these credentials (c2s password, certificate for EXTERNAL, ANONYMOUS).
    Sasl(xmpp_sasl::Credentials),
    /// The XEP-0114 handshake with this shared secret (component streams).
    ComponentSecret(String),
}

impl fmt::Debug for InitiatorAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitiatorAuth::Sasl(c) => f.debug_tuple("Sasl").field(c).finish(),
            InitiatorAuth::ComponentSecret(_) => f.write_str("ComponentSecret(..)"),
        }
    }
}

/// Setup of an initiating machine (a client, an originating server, a component).
#[derive(Debug)]
pub struct InitiatorConfig {
    /// Stream kind.
    pub kind: StreamKind,
    /// The domain to connect to (`to` of the header; the TLS name to verify).
    pub to: String,
    /// c2s: the account's bare JID; s2s: our domain; component: unused.
    pub from: Option<String>,
    /// TLS client configuration (roots, CRLs, client certificate). Required unless the
    /// profile disables TLS.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// XEP-0368 Direct TLS: TLS from the first byte, no STARTTLS.
    pub direct_tls: bool,
    /// Authentication.
    pub auth: InitiatorAuth,
    /// c2s: the resource to ask for (`None`: let the server generate one).
    pub resource: Option<String>,
}

/// How the receiving side authenticates its peers.
pub enum ReceiverAuth {
    /// SASL against this credential store.
    Sasl(Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>),
    /// XEP-0114 components: (component domain, shared secret) pairs.
    Components(Vec<(String, String)>),
}

impl fmt::Debug for ReceiverAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiverAuth::Sasl(_) => f.write_str("Sasl(..)"),
            ReceiverAuth::Components(c) => {
                f.debug_list().entries(c.iter().map(|(d, _)| d)).finish()
            }
        }
    }
}

/// Setup of a receiving machine (a server accepting clients, peers or components).
#[derive(Debug)]
pub struct ReceiverConfig {
    /// Stream kind.
    pub kind: StreamKind,
    /// The domains this server serves; the first is the default `from` for setup errors.
    pub domains: Vec<String>,
    /// TLS server configuration and the end-entity certificate it presents (for
    /// `tls-server-end-point` channel binding).
    pub tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    /// XEP-0368 Direct TLS: TLS from the first byte.
    pub direct_tls: bool,
    /// Authentication.
    pub auth: ReceiverAuth,
}
