//! The stanza error conditions (RFC 6120 §8.3.3) a `<failed/>` carries.

use std::fmt;
use std::str::FromStr;

macro_rules! conditions {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal ),* $(,)?) => {
        /// A stanza error condition (RFC 6120 §8.3.3), the child of `<failed/>` in the
        /// `urn:ietf:params:xml:ns:xmpp-stanzas` namespace.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FailedCondition {
            $( $(#[$doc])* $variant, )*
        }

        impl FailedCondition {
            /// Every condition, in RFC 6120 order.
            pub const ALL: &'static [FailedCondition] = &[ $( FailedCondition::$variant, )* ];

            /// The element name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( FailedCondition::$variant => $name, )*
                }
            }
        }

        impl FromStr for FailedCondition {
            type Err = UnknownFailedCondition;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $name => Ok(FailedCondition::$variant), )*
                    _ => Err(UnknownFailedCondition),
                }
            }
        }
    };
}

conditions! {
    /// `<bad-request/>`.
    BadRequest => "bad-request",
    /// `<conflict/>`.
    Conflict => "conflict",
    /// `<feature-not-implemented/>`.
    FeatureNotImplemented => "feature-not-implemented",
    /// `<forbidden/>`.
    Forbidden => "forbidden",
    /// `<gone/>`.
    Gone => "gone",
    /// `<internal-server-error/>`.
    InternalServerError => "internal-server-error",
    /// `<item-not-found/>`: the session to resume is unknown or expired (XEP-0198 §5).
    ItemNotFound => "item-not-found",
    /// `<jid-malformed/>`.
    JidMalformed => "jid-malformed",
    /// `<not-acceptable/>`.
    NotAcceptable => "not-acceptable",
    /// `<not-allowed/>`.
    NotAllowed => "not-allowed",
    /// `<not-authorized/>`.
    NotAuthorized => "not-authorized",
    /// `<policy-violation/>`.
    PolicyViolation => "policy-violation",
    /// `<recipient-unavailable/>`.
    RecipientUnavailable => "recipient-unavailable",
    /// `<redirect/>`.
    Redirect => "redirect",
    /// `<registration-required/>`.
    RegistrationRequired => "registration-required",
    /// `<remote-server-not-found/>`.
    RemoteServerNotFound => "remote-server-not-found",
    /// `<remote-server-timeout/>`.
    RemoteServerTimeout => "remote-server-timeout",
    /// `<resource-constraint/>`.
    ResourceConstraint => "resource-constraint",
    /// `<service-unavailable/>`.
    ServiceUnavailable => "service-unavailable",
    /// `<subscription-required/>`.
    SubscriptionRequired => "subscription-required",
    /// `<undefined-condition/>`; also how an unknown condition is read.
    UndefinedCondition => "undefined-condition",
    /// `<unexpected-request/>`: `<enable/>` before bind or twice, `<resume/>` out of place
    /// (XEP-0198 §3).
    UnexpectedRequest => "unexpected-request",
}

impl fmt::Display for FailedCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a stanza error condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("unknown stanza error condition")]
pub struct UnknownFailedCondition;
