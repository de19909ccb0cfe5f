//! The SASL failure conditions of RFC 6120 §6.5, the children of `<failure/>`.

use std::fmt;
use std::str::FromStr;

/// One of the eleven SASL failure conditions of RFC 6120 §6.5.
///
/// The stream layer writes it as the child element of `<failure/>` (namespace
/// `urn:ietf:params:xml:ns:xmpp-sasl`) and parses a received one with [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SaslCondition {
    /// The initiating entity aborted the exchange (`<abort/>`), RFC 6120 §6.5.1.
    Aborted,
    /// The account has been disabled (temporarily or not), §6.5.2.
    AccountDisabled,
    /// The credentials presented have expired, §6.5.3.
    CredentialsExpired,
    /// The mechanism needs a confidential stream (TLS) first, §6.5.4.
    EncryptionRequired,
    /// The base64 data could not be decoded, §6.5.5.
    IncorrectEncoding,
    /// The authorization identity is malformed or not allowed, §6.5.6.
    InvalidAuthzid,
    /// No mechanism was named, or it is not supported or not offered, §6.5.7.
    InvalidMechanism,
    /// The request is malformed (bad mechanism message, initial response where none is allowed), §6.5.8.
    MalformedRequest,
    /// The mechanism is weaker than the receiver's policy allows, §6.5.9.
    MechanismTooWeak,
    /// The credentials are wrong, or the user is unknown (never distinguished), §6.5.10.
    NotAuthorized,
    /// A transient problem on the receiving side; try again later, §6.5.11.
    TemporaryAuthFailure,
}

impl SaslCondition {
    /// All eleven conditions, in the order of RFC 6120 §6.5.
    pub const ALL: [SaslCondition; 11] = [
        SaslCondition::Aborted,
        SaslCondition::AccountDisabled,
        SaslCondition::CredentialsExpired,
        SaslCondition::EncryptionRequired,
        SaslCondition::IncorrectEncoding,
        SaslCondition::InvalidAuthzid,
        SaslCondition::InvalidMechanism,
        SaslCondition::MalformedRequest,
        SaslCondition::MechanismTooWeak,
        SaslCondition::NotAuthorized,
        SaslCondition::TemporaryAuthFailure,
    ];

    /// The element name of the condition, e.g. `"not-authorized"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SaslCondition::Aborted => "aborted",
            SaslCondition::AccountDisabled => "account-disabled",
            SaslCondition::CredentialsExpired => "credentials-expired",
            SaslCondition::EncryptionRequired => "encryption-required",
            SaslCondition::IncorrectEncoding => "incorrect-encoding",
            SaslCondition::InvalidAuthzid => "invalid-authzid",
            SaslCondition::InvalidMechanism => "invalid-mechanism",
            SaslCondition::MalformedRequest => "malformed-request",
            SaslCondition::MechanismTooWeak => "mechanism-too-weak",
            SaslCondition::NotAuthorized => "not-authorized",
            SaslCondition::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }
}

impl fmt::Display for SaslCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given to [`SaslCondition::from_str`] is not one of RFC 6120 §6.5.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SASL failure condition `{name}`")]
pub struct UnknownCondition {
    /// The name that was not recognised (cut to 64 bytes).
    pub name: String,
}

impl FromStr for SaslCondition {
    type Err = UnknownCondition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SaslCondition::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCondition {
                name: crate::text::truncate(s, 64),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UCR-SASL-29: the eleven RFC 6120 §6.5 conditions, each with its element name.
    #[test]
    fn ucr_sasl_29_all_conditions_round_trip_through_their_names() {
        assert_eq!(SaslCondition::ALL.len(), 11);
        let names: Vec<&str> = SaslCondition::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "aborted",
                "account-disabled",
                "credentials-expired",
                "encryption-required",
                "incorrect-encoding",
                "invalid-authzid",
                "invalid-mechanism",
                "malformed-request",
                "mechanism-too-weak",
                "not-authorized",
                "temporary-auth-failure"
            ]
        );
        for c in SaslCondition::ALL {
            assert_eq!(c.to_string().parse::<SaslCondition>(), Ok(c));
        }
        assert!("xml-not-well-formed".parse::<SaslCondition>().is_err());
    }
}
