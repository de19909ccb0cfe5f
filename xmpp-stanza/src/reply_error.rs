//! [`ReplyError`]: why a reply (result or error) to a stanza cannot be built.

/// Why a reply cannot be built (RFC 6120 §8.2.3, §8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ReplyError {
    /// The stanza is an error: an error is never answered.
    #[error("a stanza of type 'error' is never answered")]
    ToError,
    /// The iq is a result: a result is never answered.
    #[error("an iq of type 'result' is never answered")]
    ToResult,
    /// The element is not a stanza.
    #[error("the element is not a message, presence or iq")]
    NotAStanza,
}
