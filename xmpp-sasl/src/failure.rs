//! [`Failure`]: the outcome of a failed step, on either side, as an RFC 6120 §6.5 condition
//! plus the precise [`Cause`] (for logs and tests; never sent to the peer).

use crate::condition::SaslCondition;
use crate::mechanism::Mechanism;
use crate::wire::WireError;

/// Why an exchange failed: the [`SaslCondition`] to report, optional human-readable text to send
/// in `<text/>`, and the precise [`Cause`].
///
/// On the server side the stream layer sends `<failure><condition/>[<text/>]</failure>`. The
/// cause stays local: it may say "unknown user", which must never reach the peer (RFC 6120
/// §6.5.10). On the client side a `Failure` means "abort": the stream layer sends `<abort/>`
/// (or closes) and reports the failure to the application.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SASL {condition}: {cause}")]
pub struct Failure {
    condition: SaslCondition,
    text: Option<String>,
    cause: Cause,
}

impl Failure {
    /// A failure with this condition and cause, and no text.
    pub fn new(condition: SaslCondition, cause: Cause) -> Self {
        Failure {
            condition,
            text: None,
            cause,
        }
    }

    /// Adds the optional `<text/>` to send with the condition (RFC 6120 §6.4.5).
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The RFC 6120 §6.5 condition.
    pub fn condition(&self) -> SaslCondition {
        self.condition
    }

    /// The text to send in `<text/>`, if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// What exactly went wrong. Local information: do not send it to the peer.
    pub fn cause(&self) -> &Cause {
        &self.cause
    }

    pub(crate) fn malformed(what: &'static str) -> Self {
        Failure::new(SaslCondition::MalformedRequest, Cause::Malformed(what))
    }

    pub(crate) fn not_authorized(cause: Cause) -> Self {
        Failure::new(SaslCondition::NotAuthorized, cause)
    }
}

/// The precise reason behind a [`Failure`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The base64 payload of `<auth>`/`<response>` did not decode.
    #[error("bad base64 payload: {0}")]
    Encoding(#[from] WireError),
    /// A mechanism message did not follow the mechanism's syntax.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A mechanism message was longer than the configured limit.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    MessageTooLong {
        /// Length received.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// A message arrived when the exchange did not expect one (after its end, or out of order).
    #[error("unexpected message at this point of the exchange")]
    UnexpectedMessage,
    /// `<auth/>` named no mechanism.
    #[error("no mechanism named")]
    MissingMechanism,
    /// `<auth/>` named a mechanism this side does not implement.
    #[error("unknown mechanism `{0}`")]
    UnknownMechanism(String),
    /// The mechanism is implemented but not enabled or not offered on this stream.
    #[error("mechanism {0} is not offered")]
    MechanismNotOffered(String),
    /// The mechanism needs TLS and the stream is not protected.
    #[error("mechanism {0} needs a TLS-protected stream")]
    EncryptionRequired(Mechanism),
    /// The user is unknown (reported as `not-authorized`, never distinguished).
    #[error("unknown user")]
    UnknownUser,
    /// The password or proof did not match.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The username or password failed SASLprep (RFC 4013).
    #[error("string preparation (SASLprep) failed")]
    Saslprep,
    /// The authenticated identity may not act as the requested authorization identity.
    #[error("authorization identity refused")]
    AuthzidRefused,
    /// EXTERNAL was used but the transport proved no identity (no acceptable client certificate).
    #[error("no identity established by the transport for EXTERNAL")]
    NoExternalIdentity,
    /// The account is disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// The credentials have expired.
    #[error("credentials expired")]
    CredentialsExpired,
    /// The credential store could not answer now.
    #[error("credential store unavailable: {0}")]
    Temporary(String),
    /// The channel binding data sent by the client does not match this connection.
    #[error("channel binding data does not match")]
    ChannelBindingMismatch,
    /// The client said (flag `y`) that the server does not support channel binding, but it
    /// does: the mechanism list was probably stripped by an attacker.
    #[error("channel binding downgrade detected")]
    ChannelBindingDowngrade,
    /// The requested channel binding type is not available on this connection.
    #[error("channel binding type `{0}` not supported")]
    ChannelBindingUnsupported(String),
    /// A `-PLUS` mechanism was used without channel binding, or channel binding was asked for
    /// with a mechanism without `-PLUS`.
    #[error("channel binding flag does not match the mechanism")]
    ChannelBindingFlag,
    /// The nonce in a message is not the one of this exchange (replay or tampering).
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The server asked for fewer PBKDF2 iterations than the client accepts.
    #[error("iteration count {iterations} below the minimum {minimum}")]
    IterationCountTooLow {
        /// Count the server sent.
        iterations: u32,
        /// Policy minimum.
        minimum: u32,
    },
    /// The server asked for more PBKDF2 iterations than the client accepts.
    #[error("iteration count {iterations} above the maximum {maximum}")]
    IterationCountTooHigh {
        /// Count the server sent.
        iterations: u32,
        /// Policy maximum.
        maximum: u32,
    },
    /// The server signature did not verify: the server does not know the credentials.
    #[error("server signature mismatch")]
    ServerSignatureMismatch,
    /// The server reported success without proving itself (no server-final message).
    #[error("success without server verification")]
    MissingServerVerification,
    /// The server sent a SCRAM `e=` error.
    #[error("server error `{0}`")]
    ServerError(String),
    /// A mandatory SCRAM extension (`m=`) was sent; none is supported.
    #[error("unsupported mandatory extension")]
    MandatoryExtension,
    /// The initiating entity aborted the exchange.
    #[error("aborted by the initiating entity")]
    Aborted,
    /// GSSAPI (feature `gssapi`): the GSS-API library refused a token or a call, or the
    /// RFC 4752 exchange went wrong (security layers, principal mapping).
    #[cfg(feature = "gssapi")]
    #[error("GSSAPI: {0}")]
    Gssapi(crate::gssapi::GssapiError),
    /// A failure reported by an extension mechanism (see [`crate::ServerMechanism`]).
    #[error("{0}")]
    Extension(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_sasl_29_failure_carries_condition_text_and_cause() {
        let f = Failure::not_authorized(Cause::UnknownUser).with_text("try again");
        assert_eq!(f.condition(), SaslCondition::NotAuthorized);
        assert_eq!(f.text(), Some("try again"));
        assert_eq!(f.cause(), &Cause::UnknownUser);
        assert_eq!(f.to_string(), "SASL not-authorized: unknown user");
    }
}
