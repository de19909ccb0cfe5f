//! How a machine is set up: [`InitiatorConfig`] with [`InitiatorAuth`] for the side that
//! connects, [`ReceiverConfig`] with [`ReceiverAuth`] for the side that accepts. The
//! constructors per stream kind ([`InitiatorConfig::client`], [`InitiatorConfig::component`],
//! [`InitiatorConfig::server`]) fill in exactly what that kind needs, so a configuration made
//! with them cannot be refused for its shape.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use xmpp_jid::BareJid;

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
#[derive(Clone)]
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

impl InitiatorConfig {
    /// A client (c2s) logging in as `jid` with `credentials` (for a password, also see
    /// [`xmpp_sasl::Credentials::password`]), verifying the server with `tls` (STARTTLS; set
    /// [`direct_tls`](Self::direct_tls) for XEP-0368), asking the server for a resource.
    pub fn client(
        jid: &BareJid,
        credentials: xmpp_sasl::Credentials,
        tls: Arc<rustls::ClientConfig>,
    ) -> InitiatorConfig {
        InitiatorConfig {
            kind: StreamKind::Client,
            to: jid.domain().to_owned(),
            from: Some(jid.as_str().to_owned()),
            tls: Some(tls),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(credentials),
            resource: None,
        }
    }

    /// An XEP-0114 component connecting as `domain` with the shared `secret`. Component
    /// streams have no TLS (XEP-0114 defines none): run them on loopback or a protected
    /// network, on the server's component port. The profile's TLS policy does not apply.
    pub fn component(domain: impl Into<String>, secret: impl Into<String>) -> InitiatorConfig {
        InitiatorConfig {
            kind: StreamKind::Component,
            to: domain.into(),
            from: None,
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::ComponentSecret(secret.into()),
            resource: None,
        }
    }

    /// A server (s2s) stream from our domain `from` to the peer domain `to`, authenticated
    /// with SASL EXTERNAL by the certificate in `tls` (XEP-0178).
    pub fn server(
        from: impl Into<String>,
        to: impl Into<String>,
        tls: Arc<rustls::ClientConfig>,
    ) -> InitiatorConfig {
        InitiatorConfig {
            kind: StreamKind::Server,
            to: to.into(),
            from: Some(from.into()),
            tls: Some(tls),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::certificate()),
            resource: None,
        }
    }

    /// Asks for this resource (c2s; the server may still assign another).
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> InitiatorConfig {
        self.resource = Some(resource.into());
        self
    }

    /// TLS from the first byte (XEP-0368) instead of STARTTLS.
    #[must_use]
    pub fn with_direct_tls(mut self) -> InitiatorConfig {
        self.direct_tls = true;
        self
    }
}
