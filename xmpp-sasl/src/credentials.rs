//! [`Credentials`]: what a client authenticates with, prepared with SASLprep (RFC 4013), and
//! [`CredentialsError`].

use std::fmt;

/// Something wrong with credentials given to this crate (not a protocol failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A string failed SASLprep: prohibited or unassigned characters, or bad bidirectional text.
    #[error("{what} fails SASLprep (RFC 4013)")]
    Saslprep {
        /// Which string: `"username"`, `"password"`, `"authzid"`.
        what: &'static str,
    },
    /// A string is empty after preparation where a value is needed.
    #[error("{what} is empty")]
    Empty {
        /// Which string.
        what: &'static str,
    },
    /// A string contains a NUL character, which PLAIN cannot carry.
    #[error("{what} contains NUL")]
    ContainsNul {
        /// Which string.
        what: &'static str,
    },
    /// GSSAPI was chosen but the credentials are not Kerberos credentials
    /// ([`Credentials::kerberos`]).
    #[cfg(feature = "gssapi")]
    #[error("mechanism GSSAPI needs Kerberos credentials (Credentials::kerberos)")]
    NotKerberos,
    /// The chosen mechanism needs a username and password and none were given.
    #[error("mechanism {mechanism} needs a username and password")]
    MissingPassword {
        /// The mechanism's name.
        mechanism: &'static str,
    },
    /// DIGEST-MD5 needs the server's domain (for `digest-uri`) and none was given.
    #[error("mechanism needs the server domain")]
    MissingDomain,
    /// An ANONYMOUS trace is longer than 255 characters (RFC 4505).
    #[error("anonymous trace longer than 255 characters")]
    TraceTooLong,
    /// SCRAM credentials with an empty salt.
    #[error("empty salt")]
    EmptySalt,
    /// SCRAM credentials with an iteration count of zero.
    #[error("iteration count is zero")]
    ZeroIterations,
    /// SCRAM keys whose length does not match the hash.
    #[error("key length does not match the hash ({expected} bytes expected)")]
    KeyLength {
        /// Expected length.
        expected: usize,
    },
}

/// Applies SASLprep (RFC 4013, stored-strings profile) to `s`.
pub fn saslprep(s: &str, what: &'static str) -> Result<String, CredentialsError> {
    stringprep::saslprep(s)
        .map(|c| c.into_owned())
        .map_err(|_| CredentialsError::Saslprep { what })
}

/// What a client authenticates with. Build it with [`Credentials::password`],
/// [`Credentials::certificate`], [`Credentials::anonymous`] or (feature `gssapi`)
/// `Credentials::kerberos` and the `with_*` methods.
///
/// Username and password are SASLprep'd on construction. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) authzid: Option<String>,
    pub(crate) trace: Option<String>,
    pub(crate) domain: Option<String>,
    /// Kerberos credentials (GSSAPI): the ticket cache of the environment, `domain` is the
    /// host of the service principal.
    #[cfg(feature = "gssapi")]
    pub(crate) kerberos: bool,
}

impl Credentials {
    /// A username (the simple user name, e.g. the node of the JID for c2s) and password, for
    /// SCRAM, PLAIN and DIGEST-MD5. Both are SASLprep'd and must not be empty.
    pub fn password(username: &str, password: &str) -> Result<Self, CredentialsError> {
        let username = saslprep(username, "username")?;
        let password = saslprep(password, "password")?;
        if username.is_empty() {
            return Err(CredentialsError::Empty { what: "username" });
        }
        if password.is_empty() {
            return Err(CredentialsError::Empty { what: "password" });
        }
        if username.contains('\0') {
            return Err(CredentialsError::ContainsNul { what: "username" });
        }
        if password.contains('\0') {
            return Err(CredentialsError::ContainsNul { what: "password" });
        }
        Ok(Credentials {
            username: Some(username),
            password: Some(password),
            ..Credentials::default()
        })
    }

    /// No password: authentication by the TLS client certificate (EXTERNAL).
    pub fn certificate() -> Self {
        Credentials::default()
    }

    /// No credentials: ANONYMOUS.
    pub fn anonymous() -> Self {
        Credentials::default()
    }

    /// Kerberos V5 through GSSAPI (RFC 4752, feature `gssapi`): the user's tickets come from
    /// the environment's credential cache (`KRB5CCNAME`, filled by `kinit`), and the client
    /// authenticates to the service principal `xmpp/<service_host>` (the host-based service
    /// `xmpp@<service_host>`), normally the server's domain. Such credentials serve GSSAPI
    /// only.
    ///
    /// ```
    /// use xmpp_sasl::{Credentials, Mechanism};
    /// let credentials = Credentials::kerberos("example.com").unwrap();
    /// assert!(credentials.supports(Mechanism::Gssapi));
    /// assert!(!credentials.supports(Mechanism::ScramSha256));
    /// assert!(Credentials::kerberos("").is_err());
    /// ```
    #[cfg(feature = "gssapi")]
    pub fn kerberos(service_host: &str) -> Result<Self, CredentialsError> {
        if service_host.is_empty() {
            return Err(CredentialsError::Empty {
                what: "service host",
            });
        }
        if service_host.contains('\0') {
            return Err(CredentialsError::ContainsNul {
                what: "service host",
            });
        }
        Ok(Credentials {
            domain: Some(service_host.to_owned()),
            kerberos: true,
            ..Credentials::default()
        })
    }

    /// Whether these credentials can serve `mechanism`: Kerberos credentials GSSAPI only;
    /// without a username EXTERNAL and ANONYMOUS; with a username and password every
    /// mechanism but ANONYMOUS (and GSSAPI).
    pub fn supports(&self, mechanism: crate::Mechanism) -> bool {
        use crate::Mechanism;
        #[cfg(feature = "gssapi")]
        if self.kerberos || mechanism == Mechanism::Gssapi {
            return self.kerberos && mechanism == Mechanism::Gssapi;
        }
        match self.username {
            None => matches!(mechanism, Mechanism::External | Mechanism::Anonymous),
            Some(_) => mechanism != Mechanism::Anonymous,
        }
    }

    /// Asks to act as another identity (RFC 6120 §6.3.8: only when it differs from the one
    /// derived from the credentials). An empty string means none.
    pub fn with_authzid(mut self, authzid: &str) -> Result<Self, CredentialsError> {
        if authzid.contains('\0') {
            return Err(CredentialsError::ContainsNul { what: "authzid" });
        }
        self.authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        Ok(self)
    }

    /// The ANONYMOUS trace (RFC 4505): an email address or token of at most 255 characters.
    pub fn with_trace(mut self, trace: &str) -> Result<Self, CredentialsError> {
        if trace.chars().count() > 255 {
            return Err(CredentialsError::TraceTooLong);
        }
        if trace.contains('\0') {
            return Err(CredentialsError::ContainsNul { what: "trace" });
        }
        self.trace = (!trace.is_empty()).then(|| trace.to_owned());
        Ok(self)
    }

    /// The server's XMPP domain: DIGEST-MD5 uses it for `digest-uri` (`xmpp/<domain>`) and as
    /// the default realm; GSSAPI as the host of the service principal.
    #[must_use]
    pub fn with_domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// The prepared username, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The authorization identity, if any.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// Username and password, or the error naming the mechanism that needs them.
    pub(crate) fn user_password(
        &self,
        mechanism: &'static str,
    ) -> Result<(&str, &str), CredentialsError> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Ok((u, p)),
            _ => Err(CredentialsError::MissingPassword { mechanism }),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("authzid", &self.authzid)
            .field("trace", &self.trace)
            .field("domain", &self.domain);
        #[cfg(feature = "gssapi")]
        d.field("kerberos", &self.kerberos);
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4013 §3 examples, through the credentials constructor.
    #[test]
    fn rfc4013_saslprep_examples() {
        // 1: SOFT HYPHEN mapped to nothing.
        assert_eq!(saslprep("I\u{00AD}X", "t").unwrap(), "IX");
        // 2, 3: no transformation, case preserved.
        assert_eq!(saslprep("user", "t").unwrap(), "user");
        assert_eq!(saslprep("USER", "t").unwrap(), "USER");
        // 4: output is NFKC, input in ISO 8859-1.
        assert_eq!(saslprep("\u{00AA}", "t").unwrap(), "a");
        // 5: output is NFKC, will match 1.
        assert_eq!(saslprep("\u{2168}", "t").unwrap(), "IX");
        // 6: error, prohibited character.
        assert_eq!(
            saslprep("\u{0007}", "t"),
            Err(CredentialsError::Saslprep { what: "t" })
        );
        // 7: error, prohibited bidirectional check.
        assert!(saslprep("\u{0627}\u{0031}", "t").is_err());
    }

    #[test]
    fn password_credentials_are_prepared_and_redacted() {
        let c = Credentials::password("user", "I\u{00AD}X").unwrap();
        assert_eq!(c.password.as_deref(), Some("IX"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("IX") && dbg.contains("<redacted>"), "{dbg}");
        assert_eq!(
            Credentials::password("", "x"),
            Err(CredentialsError::Empty { what: "username" })
        );
        assert_eq!(
            Credentials::password("u", "\u{00AD}"),
            Err(CredentialsError::Empty { what: "password" })
        );
        assert!(Credentials::password("u", "\u{0007}").is_err());
    }

    #[test]
    fn authzid_and_trace_rules() {
        let c = Credentials::certificate().with_authzid("").unwrap();
        assert_eq!(c.authzid(), None);
        assert!(
            Credentials::anonymous()
                .with_trace(&"x".repeat(256))
                .is_err()
        );
        assert!(
            Credentials::anonymous()
                .with_trace(&"é".repeat(255))
                .is_ok()
        );
        assert!(Credentials::certificate().with_authzid("a\0b").is_err());
    }
}
