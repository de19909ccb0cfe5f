//! Why TLS failed on a connection, in terms a person can act on: [`TlsFailure`] and, for a
//! refused certificate, [`CertificateProblem`].
//!
//! rustls reports certificate errors as protocol facts (`CaUsedAsEndEntity`,
//! `NotValidForNameContext { .. }`); this module owns turning them into typed values whose
//! messages say what is wrong and what to do, while keeping the rustls error as the
//! [`source`](std::error::Error::source) for whoever needs the details.
//!
//! ```
//! use xmpp_stream::tls_failure::{CertificateProblem, TlsFailure};
//! let e = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
//! let failure = TlsFailure::from(e);
//! assert!(matches!(failure, TlsFailure::Certificate { problem: CertificateProblem::UnknownIssuer, .. }));
//! assert!(failure.to_string().contains("trust"));
//! ```

use std::fmt;

use rustls::pki_types::UnixTime;

/// What is wrong with a certificate the peer presented (or with the revocation data used to
/// check it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// The certificate is a CA certificate (basicConstraints `CA:TRUE`), which cannot identify a
    /// server or client. `openssl req -x509` without `-addext basicConstraints=critical,CA:FALSE`
    /// makes such certificates.
    CaUsedAsEndEntity,
    /// The certificate's validity ended before now.
    Expired {
        /// Its notAfter, in seconds since the Unix epoch, when known.
        not_after: Option<u64>,
        /// The time it was checked at.
        now: Option<u64>,
    },
    /// The certificate's validity has not started yet (or this machine's clock is wrong).
    NotYetValid {
        /// Its notBefore, in seconds since the Unix epoch, when known.
        not_before: Option<u64>,
        /// The time it was checked at.
        now: Option<u64>,
    },
    /// The certificate is valid, but for other names.
    WrongName {
        /// The name it was checked against (the XMPP domain).
        expected: String,
        /// The names it holds (subjectAltName), when known.
        presented: Vec<String>,
    },
    /// The certificate's issuer is not among the trusted roots.
    UnknownIssuer,
    /// The issuer revoked the certificate (a CRL lists it).
    Revoked,
    /// Revocation checking is on, and no CRL covers this certificate's issuer.
    UnknownRevocationStatus,
    /// A CRL needed for the check is past its nextUpdate.
    ExpiredRevocationList,
    /// The signature on the certificate does not verify with the trusted issuer's key (a
    /// different key with the same issuer name), or uses an unsupported algorithm.
    BadSignature,
    /// The certificate is not for this purpose (extendedKeyUsage lacks serverAuth/clientAuth).
    WrongPurpose,
    /// The certificate cannot be parsed or carries an unknown critical extension.
    Malformed,
    /// Another verification failure (the rustls error says which).
    Other,
}

impl CertificateProblem {
    /// Classifies a rustls certificate error.
    pub fn from_rustls(e: &rustls::CertificateError) -> CertificateProblem {
        use rustls::CertificateError as C;
        let secs = |t: &UnixTime| Some(t.as_secs());
        match e {
            C::Expired => CertificateProblem::Expired {
                not_after: None,
                now: None,
            },
            C::ExpiredContext { time, not_after } => CertificateProblem::Expired {
                not_after: secs(not_after),
                now: secs(time),
            },
            C::NotValidYet => CertificateProblem::NotYetValid {
                not_before: None,
                now: None,
            },
            C::NotValidYetContext { time, not_before } => CertificateProblem::NotYetValid {
                not_before: secs(not_before),
                now: secs(time),
            },
            C::NotValidForName => CertificateProblem::WrongName {
                expected: String::new(),
                presented: Vec::new(),
            },
            C::NotValidForNameContext {
                expected,
                presented,
            } => CertificateProblem::WrongName {
                expected: expected.to_str().into_owned(),
                presented: presented.clone(),
            },
            C::UnknownIssuer => CertificateProblem::UnknownIssuer,
            C::Revoked => CertificateProblem::Revoked,
            C::UnknownRevocationStatus => CertificateProblem::UnknownRevocationStatus,
            C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
                CertificateProblem::ExpiredRevocationList
            }
            C::BadSignature
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                CertificateProblem::BadSignature
            }
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => CertificateProblem::WrongPurpose,
            C::BadEncoding | C::UnhandledCriticalExtension => CertificateProblem::Malformed,
            C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::CaUsedAsEndEntity) => CertificateProblem::CaUsedAsEndEntity,
                _ => CertificateProblem::Other,
            },
            _ => CertificateProblem::Other,
        }
    }
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateProblem::CaUsedAsEndEntity => f.write_str(
                "the certificate is a CA certificate (basicConstraints CA:TRUE), which cannot \
                 identify a peer: issue the peer a certificate with CA:FALSE (for a self-signed \
                 one, `openssl req -x509 ... -addext basicConstraints=critical,CA:FALSE`) and \
                 trust that certificate or the CA that issued it",
            ),
            CertificateProblem::Expired { not_after, now } => {
                f.write_str("the certificate has expired")?;
                if let (Some(end), Some(now)) = (not_after, now) {
                    write!(f, " ({} s ago, notAfter {end} in Unix time)", now - end)?;
                }
                f.write_str(": renew it, or check this machine's clock")
            }
            CertificateProblem::NotYetValid { not_before, now } => {
                f.write_str("the certificate is not valid yet")?;
                if let (Some(start), Some(now)) = (not_before, now) {
                    write!(
                        f,
                        " (valid in {} s, notBefore {start} in Unix time)",
                        start - now
                    )?;
                }
                f.write_str(": check this machine's clock and the peer's")
            }
            CertificateProblem::WrongName {
                expected,
                presented,
            } => {
                if presented.is_empty() {
                    write!(f, "the certificate is not valid for {expected:?}")?;
                } else {
                    write!(
                        f,
                        "the certificate is valid for {} but not for {expected:?}",
                        presented.join(", ")
                    )?;
                }
                f.write_str(
                    ": connect to the domain the certificate names, or reissue it with \
                     subjectAltName DNS:<domain>",
                )
            }
            CertificateProblem::UnknownIssuer => f.write_str(
                "the certificate's issuer is not trusted: trust the CA that issued it (or the \
                 self-signed certificate itself), e.g. with --ca FILE",
            ),
            CertificateProblem::Revoked => {
                f.write_str("the certificate has been revoked by its issuer (listed in a CRL)")
            }
            CertificateProblem::UnknownRevocationStatus => f.write_str(
                "revocation checking is on but no CRL covers this certificate's issuer: add that \
                 issuer's CRL (--crl FILE)",
            ),
            CertificateProblem::ExpiredRevocationList => f.write_str(
                "a CRL needed to check the certificate is out of date (past its nextUpdate): \
                 fetch a current one",
            ),
            CertificateProblem::BadSignature => f.write_str(
                "the certificate's signature does not verify with the key of the trusted issuer \
                 of that name (or uses an unsupported algorithm): it was probably issued by \
                 another key with the same name, such as a regenerated self-signed \
                 certificate; trust the certificate or CA the peer uses now (--ca FILE)",
            ),
            CertificateProblem::WrongPurpose => f.write_str(
                "the certificate is not for this use (its extendedKeyUsage lacks serverAuth or \
                 clientAuth)",
            ),
            CertificateProblem::Malformed => {
                f.write_str("the certificate is malformed or has an unknown critical extension")
            }
            CertificateProblem::Other => f.write_str("the certificate was refused"),
        }
    }
}

/// Which side's certificate a [`TlsFailure::Certificate`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateOf {
    /// We refused the peer's certificate.
    Peer,
    /// The peer refused ours (it sent a certificate alert).
    Ours,
}

/// Why TLS failed on a connection. The rustls error, where there is one, is the
/// [`source`](std::error::Error::source).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// A certificate was refused, by us or by the peer.
    Certificate {
        /// What is wrong with it.
        problem: CertificateProblem,
        /// Whose certificate it is.
        of: CertificateOf,
        /// The rustls error.
        error: rustls::Error,
    },
    /// Any other TLS protocol failure (bad record, handshake failure, alert).
    Protocol(rustls::Error),
    /// The peer sent plaintext where its first TLS record had to be (after `<proceed/>`).
    PlaintextAfterProceed,
    /// rustls refused to buffer more data.
    BufferFull,
}

impl From<rustls::Error> for TlsFailure {
    fn from(error: rustls::Error) -> Self {
        use rustls::AlertDescription as A;
        let ours = |problem| TlsFailure::Certificate {
            problem,
            of: CertificateOf::Ours,
            error: error.clone(),
        };
        match &error {
            rustls::Error::InvalidCertificate(c) => TlsFailure::Certificate {
                problem: CertificateProblem::from_rustls(c),
                of: CertificateOf::Peer,
                error: error.clone(),
            },
            rustls::Error::AlertReceived(A::CertificateRevoked) => {
                ours(CertificateProblem::Revoked)
            }
            rustls::Error::AlertReceived(A::CertificateExpired) => {
                ours(CertificateProblem::Expired {
                    not_after: None,
                    now: None,
                })
            }
            rustls::Error::AlertReceived(A::UnknownCA) => ours(CertificateProblem::UnknownIssuer),
            rustls::Error::AlertReceived(
                A::BadCertificate | A::CertificateUnknown | A::UnsupportedCertificate,
            ) => ours(CertificateProblem::Other),
            _ => TlsFailure::Protocol(error),
        }
    }
}

impl From<crate::tls::TlsError> for TlsFailure {
    fn from(e: crate::tls::TlsError) -> Self {
        match e {
            crate::tls::TlsError::Protocol(e) => TlsFailure::from(e),
            crate::tls::TlsError::Closed => TlsFailure::Protocol(rustls::Error::General(
                "TLS session closed by the peer".into(),
            )),
            crate::tls::TlsError::Buffer(_) => TlsFailure::BufferFull,
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::Certificate {
                problem,
                of: CertificateOf::Peer,
                ..
            } => write!(
                f,
                "TLS failed: the peer's certificate was refused: {problem}"
            ),
            TlsFailure::Certificate {
                problem,
                of: CertificateOf::Ours,
                ..
            } => write!(f, "TLS failed: the peer refused our certificate: {problem}"),
            TlsFailure::Protocol(e) => write!(f, "TLS failed: {e}"),
            TlsFailure::PlaintextAfterProceed => {
                f.write_str("TLS failed: plaintext received after <proceed/>")
            }
            TlsFailure::BufferFull => f.write_str("TLS failed: output buffer full"),
        }
    }
}

impl std::error::Error for TlsFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsFailure::Certificate { error, .. } | TlsFailure::Protocol(error) => Some(error),
            TlsFailure::PlaintextAfterProceed | TlsFailure::BufferFull => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn problem(e: rustls::CertificateError) -> CertificateProblem {
        CertificateProblem::from_rustls(&e)
    }

    #[test]
    fn ca_used_as_end_entity_is_recognised_and_explained() {
        let e = rustls::CertificateError::Other(rustls::OtherError(Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        assert_eq!(problem(e.clone()), CertificateProblem::CaUsedAsEndEntity);
        let msg = TlsFailure::from(rustls::Error::InvalidCertificate(e)).to_string();
        assert!(msg.contains("CA:TRUE") && msg.contains("CA:FALSE"), "{msg}");
    }

    #[test]
    fn wrong_name_lists_the_names_the_certificate_has() {
        let e = rustls::CertificateError::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("example.com").unwrap(),
            presented: vec!["DNS name \"localhost\"".into()],
        };
        let msg = problem(e).to_string();
        assert!(
            msg.contains("localhost") && msg.contains("\"example.com\""),
            "{msg}"
        );
    }

    #[test]
    fn expiry_says_how_long_ago() {
        let e = rustls::CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(400)),
        };
        assert_eq!(
            problem(e.clone()),
            CertificateProblem::Expired {
                not_after: Some(400),
                now: Some(1000)
            }
        );
        assert!(problem(e).to_string().contains("600 s ago"));
    }

    #[test]
    fn certificate_alerts_from_the_peer_are_about_our_certificate() {
        let f = TlsFailure::from(rustls::Error::AlertReceived(
            rustls::AlertDescription::CertificateRevoked,
        ));
        assert!(matches!(
            f,
            TlsFailure::Certificate {
                problem: CertificateProblem::Revoked,
                of: CertificateOf::Ours,
                ..
            }
        ));
        assert!(std::error::Error::source(&f).is_some());
        let f = TlsFailure::from(rustls::Error::DecryptError);
        assert!(matches!(f, TlsFailure::Protocol(_)));
    }
}
