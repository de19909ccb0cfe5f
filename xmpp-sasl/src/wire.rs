//! The base64 text of the SASL elements (RFC 6120 §6.4.2), shared by the stream layer and
//! this crate.
//!
//! Rules implemented here:
//! - RFC 4648 §4 alphabet with padding; pad bits must be zero; characters outside the alphabet
//!   are rejected, not skipped; `=` anywhere but at the end is rejected (`=AAA`, `BBBB=CCC`).
//! - XML whitespace (space, tab, CR, LF) around the payload is trimmed; whitespace inside it is
//!   rejected (the draft's wrapped examples must be joined before they are fed in).
//! - **Empty versus absent** for `<auth/>` and `<success/>`: no text means "no data", a single
//!   `=` means "data of zero length" ([`decode_auth`], [`encode_auth`]).
//! - `<challenge/>` and `<response/>` have no "absent" case: empty content is zero-length data
//!   ([`decode`], [`encode`]). A lone `=` is accepted there as zero-length data too, since
//!   some peers send it.
//!
//! The output of a decode is never longer than its input, so the stream layer's element size
//! limit bounds the allocation. A [`WireError`] maps to `<incorrect-encoding/>`
//! ([`WireError::condition`]).
//!
//! ```
//! use xmpp_sasl::wire;
//! assert_eq!(wire::decode_auth("").unwrap(), None);
//! assert_eq!(wire::decode_auth("=").unwrap(), Some(vec![]));
//! assert_eq!(wire::decode_auth(" AGZvbwBiYXI= \n").unwrap(), Some(b"\0foo\0bar".to_vec()));
//! assert!(wire::decode("BBBB=CCC").is_err());
//! assert_eq!(wire::encode_auth(Some(b"")), "=");
//! assert_eq!(wire::encode(b""), "");
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::condition::SaslCondition;

/// What was wrong with a base64 payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Whitespace inside the payload (only leading and trailing whitespace is trimmed).
    #[error("whitespace inside the base64 payload at byte {offset}")]
    InteriorWhitespace {
        /// Byte offset in the trimmed payload.
        offset: usize,
    },
    /// A character outside the base64 alphabet, misplaced padding, non-zero pad bits or a bad
    /// length.
    #[error("invalid base64: {reason}")]
    InvalidBase64 {
        /// What the decoder found.
        reason: String,
    },
}

impl WireError {
    /// The SASL condition for a payload that does not decode: `incorrect-encoding`.
    pub fn condition(&self) -> SaslCondition {
        SaslCondition::IncorrectEncoding
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn strict_decode(text: &str) -> Result<Vec<u8>, WireError> {
    if let Some(offset) = text.find(is_xml_space) {
        return Err(WireError::InteriorWhitespace { offset });
    }
    STANDARD.decode(text).map_err(|e| WireError::InvalidBase64 {
        reason: e.to_string(),
    })
}

/// Decodes the text of `<auth/>` or `<success/>`: `Ok(None)` for no data, `Ok(Some(vec![]))`
/// for `=`, the decoded bytes otherwise.
pub fn decode_auth(text: &str) -> Result<Option<Vec<u8>>, WireError> {
    let t = text.trim_matches(is_xml_space);
    match t {
        "" => Ok(None),
        "=" => Ok(Some(Vec::new())),
        _ => strict_decode(t).map(Some),
    }
}

/// Encodes the text of `<auth/>` or `<success/>`: `None` gives empty content, an empty slice
/// gives `=`.
pub fn encode_auth(data: Option<&[u8]>) -> String {
    match data {
        None => String::new(),
        Some([]) => "=".to_owned(),
        Some(d) => STANDARD.encode(d),
    }
}

/// Decodes the text of `<challenge/>` or `<response/>`: empty content (or a lone `=`) is
/// zero-length data.
pub fn decode(text: &str) -> Result<Vec<u8>, WireError> {
    let t = text.trim_matches(is_xml_space);
    match t {
        "" | "=" => Ok(Vec::new()),
        _ => strict_decode(t),
    }
}

/// Encodes the text of `<challenge/>` or `<response/>`: zero-length data is empty content.
pub fn encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_versus_absent_for_auth_and_success() {
        assert_eq!(decode_auth("").unwrap(), None);
        assert_eq!(decode_auth("  \n").unwrap(), None);
        assert_eq!(decode_auth("=").unwrap(), Some(vec![]));
        assert_eq!(encode_auth(None), "");
        assert_eq!(encode_auth(Some(&[])), "=");
        assert_eq!(encode_auth(Some(b"a")), "YQ==");
    }

    /// UCR-SASL-19: the XEP-0178 `=` initial response decodes to an empty response.
    #[test]
    fn ucr_sasl_19_equals_sign_is_an_empty_initial_response() {
        assert_eq!(decode_auth("=").unwrap(), Some(Vec::new()));
    }

    #[test]
    fn challenge_and_response_have_no_absent_case() {
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert_eq!(decode("=").unwrap(), Vec::<u8>::new());
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn rejects_misplaced_padding_and_foreign_characters() {
        for bad in [
            "=AAA",
            "BBBB=CCC",
            "YQ=",
            "YQ",
            "YR==",
            "Y Q==",
            "YQ==\nYQ==",
            "*AAA",
            "YQ===",
        ] {
            let err = decode(bad).expect_err(bad);
            assert_eq!(err.condition(), SaslCondition::IncorrectEncoding);
            assert!(decode_auth(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trims_surrounding_xml_whitespace() {
        assert_eq!(decode("\r\n\tYWJj \n").unwrap(), b"abc");
    }

    #[test]
    fn interior_whitespace_is_reported_with_its_offset() {
        assert_eq!(
            decode("YWJj YWJj"),
            Err(WireError::InteriorWhitespace { offset: 4 })
        );
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode(&encode(&data)).unwrap(), data.clone());
            prop_assert_eq!(decode_auth(&encode_auth(Some(&data))).unwrap(), Some(data));
        }

        /// Decoding is strict: the only text that decodes is the canonical encoding of what it
        /// decodes to (around XML whitespace), and everything else is `incorrect-encoding`.
        #[test]
        fn only_canonical_text_decodes(
            text in prop_oneof![
                "\\PC{0,64}",
                "[ \t\r\n]{0,2}[A-Za-z0-9+/=]{0,24}[ \t\r\n]{0,2}",
                proptest::collection::vec(any::<u8>(), 0..32)
                    .prop_map(|d| format!(" {}\n", encode(&d))),
            ],
        ) {
            let trimmed = text.trim_matches(is_xml_space);
            match decode(&text) {
                Ok(data) => {
                    prop_assert!(
                        trimmed == encode(&data) || (trimmed == "=" && data.is_empty()),
                        "{:?} decoded to {:?}", text, data
                    );
                    prop_assert!(data.len() <= text.len());
                }
                Err(e) => prop_assert_eq!(e.condition(), SaslCondition::IncorrectEncoding),
            }
            match decode_auth(&text) {
                Ok(None) => prop_assert!(trimmed.is_empty()),
                Ok(Some(data)) => {
                    prop_assert_eq!(encode_auth(Some(&data)), trimmed);
                    prop_assert_eq!(decode(&text).unwrap(), data);
                }
                Err(e) => {
                    prop_assert_eq!(e.condition(), SaslCondition::IncorrectEncoding);
                    prop_assert!(decode(&text).is_err());
                }
            }
        }
    }
}
