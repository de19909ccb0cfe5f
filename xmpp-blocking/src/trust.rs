//! Which server certificates a client accepts, turned into a rustls configuration. The
//! verification itself (anchors, CRLs, revocation policy, the crypto provider) is
//! [`xmpp_stream::trust::Trust`], shared with the tokio adapter; this enum names the usual
//! choices and adds a complete rustls configuration supplied by the application.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use xmpp_stream::trust::{Trust as Checks, TrustError};

use crate::error::Error;

/// The trust anchors of a client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Trust {
    /// The Mozilla root store (webpki-roots).
    WebPkiRoots,
    /// These CA certificates only ([`Trust::from_pem`] reads them from PEM text, as [`Checked`](Trust::Checked)).
    Certificates(Vec<CertificateDer<'static>>),
    /// Anchors with certificate revocation lists, or any other policy of
    /// [`xmpp_stream::trust::Trust`] (see [`Trust::with_crl_pem`]).
    Checked(Checks),
    /// Accept any server certificate. Testing only: it defeats TLS authentication.
    InsecureSkipVerify,
    /// A complete rustls configuration supplied by the application (e.g. with a client
    /// certificate for SASL EXTERNAL).
    Custom(Arc<rustls::ClientConfig>),
}

impl Trust {
    /// CA certificates from PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Trust, Error> {
        Ok(Trust::Checked(Checks::from_pem(pem)?))
    }

    /// Adds the certificate revocation lists of PEM text: revocation is then checked for the
    /// server's whole chain (UCR-TLS-21), and a certificate whose issuer has no CRL here is
    /// refused. Not possible with [`InsecureSkipVerify`](Trust::InsecureSkipVerify) or
    /// [`Custom`](Trust::Custom).
    pub fn with_crl_pem(self, pem: &[u8]) -> Result<Trust, Error> {
        let checks = match self.checks() {
            Some(checks) => checks,
            None => {
                return Err(Error::Config(
                    "CRLs need trust anchors: not with InsecureSkipVerify or Custom".into(),
                ));
            }
        };
        Ok(Trust::Checked(checks.with_crl_pem(pem)?))
    }

    fn checks(self) -> Option<Checks> {
        match self {
            Trust::WebPkiRoots => Some(Checks::webpki_roots()),
            Trust::Certificates(c) => Some(Checks::certificates(c)),
            Trust::Checked(c) => Some(c),
            Trust::InsecureSkipVerify | Trust::Custom(_) => None,
        }
    }

    /// The rustls client configuration (ring provider, safe defaults).
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let checks = match self {
            Trust::Custom(c) => return Ok(c.clone()),
            Trust::InsecureSkipVerify => Checks::insecure_skip_verify(),
            other => other.clone().checks().ok_or(TrustError::NoAnchors)?,
        };
        Ok(checks.client_config()?)
    }
}
