//! [`Mechanism`]: the names of the mechanisms this crate implements, and SASL name syntax.

use std::fmt;
use std::str::FromStr;

use crate::scram::ScramHash;

/// A SASL mechanism implemented by this crate (client and server side).
///
/// Mechanisms of other crates are not variants: they implement
/// [`ClientMechanism`](crate::ClientMechanism) / [`ServerMechanism`](crate::ServerMechanism)
/// and are registered with [`ServerSession::with_extension`](crate::ServerSession::with_extension).
/// GSSAPI (feature `gssapi`) is a variant for the client's choice, and its server side is such
/// an extension (`gssapi::GssapiServer`): it needs the deployment's keytab and principal
/// mapping, which a [`ServerPolicy`](crate::ServerPolicy) does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Mechanism {
    /// EXTERNAL (RFC 4422 Appendix A), used with TLS client certificates per XEP-0178.
    External,
    /// GSSAPI with Kerberos V5 (RFC 4752). Feature `gssapi`; the client side is built in, the
    /// server side is the extension [`GssapiServer`](crate::gssapi::GssapiServer).
    #[cfg(feature = "gssapi")]
    Gssapi,
    /// SCRAM-SHA-512-PLUS (channel binding).
    ScramSha512Plus,
    /// SCRAM-SHA-256-PLUS (RFC 7677, channel binding).
    ScramSha256Plus,
    /// SCRAM-SHA-1-PLUS (RFC 5802, channel binding).
    ScramSha1Plus,
    /// SCRAM-SHA-512.
    ScramSha512,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// PLAIN (RFC 4616). Sends the password: only over TLS.
    Plain,
    /// DIGEST-MD5 (RFC 2831, historic since RFC 6331). Feature `legacy-digest-md5`.
    #[cfg(feature = "legacy-digest-md5")]
    DigestMd5,
    /// ANONYMOUS (RFC 4505). Off unless a configuration enables it.
    Anonymous,
}

impl Mechanism {
    /// Every mechanism compiled in, strongest first.
    pub const ALL: &'static [Mechanism] = &[
        Mechanism::External,
        #[cfg(feature = "gssapi")]
        Mechanism::Gssapi,
        Mechanism::ScramSha512Plus,
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha512,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1,
        Mechanism::Plain,
        #[cfg(feature = "legacy-digest-md5")]
        Mechanism::DigestMd5,
        Mechanism::Anonymous,
    ];

    /// The registered name, e.g. `"SCRAM-SHA-256-PLUS"`.
    pub const fn name(self) -> &'static str {
        match self {
            Mechanism::External => "EXTERNAL",
            #[cfg(feature = "gssapi")]
            Mechanism::Gssapi => "GSSAPI",
            Mechanism::ScramSha512Plus => "SCRAM-SHA-512-PLUS",
            Mechanism::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Mechanism::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha1 => "SCRAM-SHA-1",
            Mechanism::Plain => "PLAIN",
            #[cfg(feature = "legacy-digest-md5")]
            Mechanism::DigestMd5 => "DIGEST-MD5",
            Mechanism::Anonymous => "ANONYMOUS",
        }
    }

    /// For a SCRAM mechanism: its hash, and whether it is the `-PLUS` (channel binding) variant.
    pub const fn scram(self) -> Option<(ScramHash, bool)> {
        match self {
            Mechanism::ScramSha512Plus => Some((ScramHash::Sha512, true)),
            Mechanism::ScramSha256Plus => Some((ScramHash::Sha256, true)),
            Mechanism::ScramSha1Plus => Some((ScramHash::Sha1, true)),
            Mechanism::ScramSha512 => Some((ScramHash::Sha512, false)),
            Mechanism::ScramSha256 => Some((ScramHash::Sha256, false)),
            Mechanism::ScramSha1 => Some((ScramHash::Sha1, false)),
            _ => None,
        }
    }

    /// The SCRAM mechanism for a hash, with or without channel binding.
    pub const fn for_scram(hash: ScramHash, plus: bool) -> Mechanism {
        match (hash, plus) {
            (ScramHash::Sha1, false) => Mechanism::ScramSha1,
            (ScramHash::Sha1, true) => Mechanism::ScramSha1Plus,
            (ScramHash::Sha256, false) => Mechanism::ScramSha256,
            (ScramHash::Sha256, true) => Mechanism::ScramSha256Plus,
            (ScramHash::Sha512, false) => Mechanism::ScramSha512,
            (ScramHash::Sha512, true) => Mechanism::ScramSha512Plus,
        }
    }

    /// Whether this is a `-PLUS` mechanism (needs channel binding data).
    pub const fn is_plus(self) -> bool {
        matches!(self.scram(), Some((_, true)))
    }

    /// Whether the mechanism reveals the password to anyone who can read the stream (PLAIN):
    /// such a mechanism is used and offered only over TLS unless explicitly allowed.
    pub const fn reveals_password(self) -> bool {
        matches!(self, Mechanism::Plain)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to [`Mechanism::from_str`] is not a mechanism this crate implements (with
/// the features compiled in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SASL mechanism `{name}`")]
pub struct UnknownMechanism {
    /// The name (cut to 64 bytes).
    pub name: String,
}

impl FromStr for Mechanism {
    type Err = UnknownMechanism;

    /// Parses a registered name. SASL names are case-sensitive upper case (RFC 4422 §3.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mechanism::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMechanism {
                name: crate::text::truncate(s, 64),
            })
    }
}

/// Whether `name` is a syntactically valid SASL mechanism name (RFC 4422 §3.1): 1 to 20
/// characters from `A-Z`, `0-9`, `-` and `_`.
pub fn is_valid_mechanism_name(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_are_valid() {
        for &m in Mechanism::ALL {
            assert_eq!(m.name().parse::<Mechanism>(), Ok(m));
            assert!(is_valid_mechanism_name(m.name()), "{m}");
        }
        assert!("scram-sha-1".parse::<Mechanism>().is_err());
        assert!("CRAM-MD5".parse::<Mechanism>().is_err());
        assert_eq!(
            "GSSAPI".parse::<Mechanism>().is_ok(),
            cfg!(feature = "gssapi")
        );
    }

    #[test]
    fn scram_metadata() {
        for &m in Mechanism::ALL {
            if let Some((h, plus)) = m.scram() {
                assert_eq!(Mechanism::for_scram(h, plus), m);
                assert_eq!(m.is_plus(), plus);
                assert!(m.name().starts_with("SCRAM-"));
            } else {
                assert!(!m.is_plus());
            }
        }
        assert!(Mechanism::Plain.reveals_password());
        assert!(!Mechanism::ScramSha1.reveals_password());
    }

    #[test]
    fn mechanism_name_syntax() {
        assert!(is_valid_mechanism_name("GSSAPI"));
        assert!(is_valid_mechanism_name("X_FOO-1"));
        assert!(!is_valid_mechanism_name(""));
        assert!(!is_valid_mechanism_name("lower"));
        assert!(!is_valid_mechanism_name("ABCDEFGHIJKLMNOPQRSTU"));
    }
}
