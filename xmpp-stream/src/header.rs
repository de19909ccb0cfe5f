//! Stream headers (RFC 6120 §4.7): the attributes of `<stream:stream>`, version
//! negotiation, and the rules for initial and response headers of every stream kind.
//!
//! This module owns [`Version`] (numeric `major.minor`, never a decimal), [`StreamKind`]
//! (c2s, s2s, component: the content namespace and the role rules that differ between
//! them), and [`StreamHeaderInfo`], the attribute set of one header with the checks a
//! receiving or initiating side applies to the header it receives.
//!
//! ```
//! use xmpp_stream::header::Version;
//! let v: Version = "1.10".parse().unwrap();
//! assert!(v > "1.9".parse().unwrap()); // not a decimal
//! assert_eq!("01.002".parse::<Version>().unwrap().to_string(), "1.2");
//! ```

use std::fmt;
use std::str::FromStr;

use crate::stream_error::{StreamCondition, StreamError};

/// The streams namespace (`stream:` prefix).
pub const NS_STREAMS: &str = "http://etherx.jabber.org/streams";
/// Content namespace of client-to-server streams.
pub const NS_CLIENT: &str = "jabber:client";
/// Content namespace of server-to-server streams.
pub const NS_SERVER: &str = "jabber:server";
/// Content namespace of XEP-0114 component streams.
pub const NS_COMPONENT: &str = "jabber:component:accept";

/// An XMPP stream version: two independent integers compared field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major version: a change means incompatible formats.
    pub major: u32,
    /// Minor version: new capabilities, ignored by the lower side.
    pub minor: u32,
}

impl Version {
    /// XMPP 1.0, the version this library speaks.
    pub const V1_0: Version = Version { major: 1, minor: 0 };
    /// The version assumed when a header has no `version` (pre-XMPP Jabber streams).
    pub const V0_9: Version = Version { major: 0, minor: 9 };

    /// The version to answer with: the lower of the two (RFC 6120 §4.7.5).
    pub fn negotiate(self, ours: Version) -> Version {
        self.min(ours)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A `version` attribute that is not `<digits>.<digits>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream version {0:?}")]
pub struct InvalidVersion(pub String);

impl FromStr for Version {
    type Err = InvalidVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidVersion(s.chars().take(32).collect());
        let (major, minor) = s.split_once('.').ok_or_else(bad)?;
        let num = |part: &str| -> Result<u32, InvalidVersion> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Leading zeros are ignored; absurdly long numbers saturate (they only ever
            // compare as "higher than ours").
            let trimmed = part.trim_start_matches('0');
            if trimmed.len() > 9 {
                return Ok(u32::MAX);
            }
            Ok(trimmed.parse::<u32>().unwrap_or(0))
        };
        Ok(Version {
            major: num(major)?,
            minor: num(minor)?,
        })
    }
}

/// The kind of stream, which decides the content namespace and the role rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Client-to-server (`jabber:client`).
    Client,
    /// Server-to-server (`jabber:server`).
    Server,
    /// External component (XEP-0114, `jabber:component:accept`).
    Component,
}

impl StreamKind {
    /// The content (default) namespace of the stream.
    pub fn content_ns(self) -> &'static str {
        match self {
            StreamKind::Client => NS_CLIENT,
            StreamKind::Server => NS_SERVER,
            StreamKind::Component => NS_COMPONENT,
        }
    }

    /// The kind whose content namespace is `ns`.
    pub fn from_content_ns(ns: &str) -> Option<StreamKind> {
        match ns {
            NS_CLIENT => Some(StreamKind::Client),
            NS_SERVER => Some(StreamKind::Server),
            NS_COMPONENT => Some(StreamKind::Component),
            _ => None,
        }
    }

    /// Whether stanzas must carry `to` and `from` (s2s and component streams).
    pub fn stanzas_need_addresses(self) -> bool {
        !matches!(self, StreamKind::Client)
    }

    /// Whether the stream negotiates features (STARTTLS, SASL, bind); component streams
    /// use the XEP-0114 handshake instead.
    pub fn negotiates_features(self) -> bool {
        !matches!(self, StreamKind::Component)
    }

    /// Whether resource binding follows SASL (c2s only).
    pub fn binds_resource(self) -> bool {
        matches!(self, StreamKind::Client)
    }
}

/// Which end of the stream a machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The side that opened the TCP connection and sends the initial header.
    Initiator,
    /// The side that accepted it and sends the response header.
    Receiver,
}

/// The attributes of one `<stream:stream>` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct StreamHeaderInfo {
    /// `from`.
    pub from: Option<String>,
    /// `to`.
    pub to: Option<String>,
    /// `id` (response headers only; ignored on initial headers).
    pub id: Option<String>,
    /// `version`; `None` means the pre-1.0 protocol ("0.9").
    pub version: Option<Version>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// The default (content) namespace declared on the header.
    pub content_ns: String,
}

impl StreamHeaderInfo {
    /// Reads the attributes of a received header. A `version` that is not
    /// `<digits>.<digits>` is read as 0.0 (refused like a pre-1.0 peer).
    pub fn from_xml(h: &crate::xml::StreamHeader) -> StreamHeaderInfo {
        StreamHeaderInfo {
            from: h.from().map(str::to_owned),
            to: h.to().map(str::to_owned),
            id: h.id().map(str::to_owned),
            version: h
                .version()
                .map(|v| v.parse().unwrap_or(Version { major: 0, minor: 0 })),
            lang: h.lang().map(str::to_owned),
            content_ns: h.content_ns().unwrap_or_default().to_owned(),
        }
    }

    /// The version the header announces, `0.9` when absent.
    pub fn effective_version(&self) -> Version {
        self.version.unwrap_or(Version::V0_9)
    }
}

/// Checks that `lang` is a plausible language tag (RFC 5646 shape: ASCII letters, digits
/// and hyphens, 1..=35 characters, starting with a letter).
pub fn is_valid_lang(lang: &str) -> bool {
    !lang.is_empty()
        && lang.len() <= 35
        && lang.as_bytes()[0].is_ascii_alphabetic()
        && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The checks a receiver applies to an initial header of a stream of `kind`, beyond the
/// namespace and prefix checks the XML layer does. Returns the version to answer with
/// (`None`: answer without a version, legacy peer accepted).
pub fn check_initial_header(
    header: &StreamHeaderInfo,
    kind: StreamKind,
    legacy_allowed: bool,
) -> Result<Option<Version>, StreamError> {
    if header.content_ns != kind.content_ns() {
        return Err(StreamError::new(StreamCondition::InvalidNamespace));
    }
    if let Some(lang) = &header.lang {
        if !is_valid_lang(lang) {
            return Err(
                StreamError::new(StreamCondition::BadFormat).with_text("en", "invalid xml:lang")
            );
        }
    }
    match header.version {
        // Component streams (XEP-0114) carry no version at all.
        None if kind == StreamKind::Component => Ok(None),
        None if legacy_allowed => Ok(None),
        None => Err(StreamError::new(StreamCondition::UnsupportedVersion).with_text("en", "1.0")),
        Some(v) if v.major < 1 && !legacy_allowed => {
            Err(StreamError::new(StreamCondition::UnsupportedVersion).with_text("en", "1.0"))
        }
        Some(v) if v.major < 1 => Ok(None),
        // RFC 6120 §4.7.5: a higher version is answered with ours (the lower); it is the
        // initiator's call whether it can live with it.
        Some(v) => Ok(Some(v.negotiate(Version::V1_0))),
    }
}

/// The checks an initiator applies to the response header of a stream of `kind`.
pub fn check_response_header(
    header: &StreamHeaderInfo,
    kind: StreamKind,
) -> Result<(), StreamError> {
    if header.content_ns != kind.content_ns() {
        return Err(StreamError::new(StreamCondition::InvalidNamespace));
    }
    match header.id.as_deref() {
        Some(id) if !id.is_empty() => {}
        _ => {
            return Err(StreamError::new(StreamCondition::InvalidXml)
                .with_text("en", "response header without id"));
        }
    }
    if kind.negotiates_features() {
        match header.version {
            Some(v) if v.major == 1 => {}
            _ => {
                return Err(
                    StreamError::new(StreamCondition::UnsupportedVersion).with_text("en", "1.0")
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn version_compares_numerically_field_by_field() {
        assert!(v("2.4") < v("2.13"));
        assert!(v("2.13") < v("12.3"));
        assert!(v("1.10") > v("1.9"));
        assert_eq!(v("6.01"), Version { major: 6, minor: 1 });
        assert_eq!(v("6.01").to_string(), "6.1");
        assert_eq!(v("99999999999999999999.0").major, u32::MAX);
    }

    #[test]
    fn version_rejects_non_numeric_forms() {
        for s in [
            "", "1", "1.", ".0", "1.0.0", "a.b", "1.0 ", "+1.0", "1.-0", "١.٠",
        ] {
            assert!(s.parse::<Version>().is_err(), "{s:?}");
        }
    }

    #[test]
    fn ucr_attr_5_negotiate_answers_with_the_lower() {
        assert_eq!(v("1.1").negotiate(Version::V1_0), Version::V1_0);
        assert_eq!(v("1.0").negotiate(v("1.1")), Version::V1_0);
        assert_eq!(v("1.13").negotiate(v("1.9")), v("1.9"));
    }

    fn header(version: Option<&str>, ns: &str) -> StreamHeaderInfo {
        StreamHeaderInfo {
            to: Some("example.com".into()),
            version: version.map(v),
            content_ns: ns.into(),
            ..StreamHeaderInfo::default()
        }
    }

    #[test]
    fn initial_header_version_rules() {
        let k = StreamKind::Client;
        assert_eq!(
            check_initial_header(&header(Some("1.0"), NS_CLIENT), k, false),
            Ok(Some(Version::V1_0))
        );
        assert_eq!(
            check_initial_header(&header(Some("1.5"), NS_CLIENT), k, false),
            Ok(Some(Version::V1_0))
        );
        assert_eq!(
            check_initial_header(&header(Some("11.0"), NS_CLIENT), k, false),
            Ok(Some(Version::V1_0))
        );
        for bad in [None, Some("0.9"), Some("0.0")] {
            let e = check_initial_header(&header(bad, NS_CLIENT), k, false).unwrap_err();
            assert_eq!(
                e.condition(),
                StreamCondition::UnsupportedVersion,
                "{bad:?}"
            );
        }
        // Legacy support: a missing version is answered without a version.
        assert_eq!(
            check_initial_header(&header(None, NS_CLIENT), k, true),
            Ok(None)
        );
        // Component streams have no version.
        assert_eq!(
            check_initial_header(&header(None, NS_COMPONENT), StreamKind::Component, false),
            Ok(None)
        );
    }

    #[test]
    fn ucr_ns_8_initial_header_with_wrong_content_namespace() {
        let e = check_initial_header(
            &header(Some("1.0"), "jabber:iq:foo"),
            StreamKind::Client,
            false,
        )
        .unwrap_err();
        assert_eq!(e.condition(), StreamCondition::InvalidNamespace);
        let e = check_initial_header(&header(Some("1.0"), NS_SERVER), StreamKind::Client, false)
            .unwrap_err();
        assert_eq!(e.condition(), StreamCondition::InvalidNamespace);
    }

    #[test]
    fn response_header_needs_id_and_version_1() {
        let mut h = header(Some("1.0"), NS_CLIENT);
        assert!(check_response_header(&h, StreamKind::Client).is_err());
        h.id = Some("abc".into());
        assert_eq!(check_response_header(&h, StreamKind::Client), Ok(()));
        h.version = None;
        assert_eq!(
            check_response_header(&h, StreamKind::Client)
                .unwrap_err()
                .condition(),
            StreamCondition::UnsupportedVersion
        );
    }

    #[test]
    fn lang_tags() {
        assert!(is_valid_lang("en"));
        assert!(is_valid_lang("de-CH-1996"));
        assert!(!is_valid_lang(""));
        assert!(!is_valid_lang("1en"));
        assert!(!is_valid_lang("en us"));
    }

    #[test]
    fn kinds_and_namespaces() {
        for k in [
            StreamKind::Client,
            StreamKind::Server,
            StreamKind::Component,
        ] {
            assert_eq!(StreamKind::from_content_ns(k.content_ns()), Some(k));
        }
        assert_eq!(StreamKind::from_content_ns("jabber:iq:roster"), None);
        assert!(StreamKind::Client.binds_resource());
        assert!(!StreamKind::Server.binds_resource());
        assert!(!StreamKind::Component.negotiates_features());
        assert!(StreamKind::Server.stanzas_need_addresses());
    }
}
