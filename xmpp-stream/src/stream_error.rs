//! Stream errors (RFC 6120 §4.9): the defined conditions, the optional `<text/>` and the
//! optional application-specific child.
//!
//! This module owns the condition vocabulary and its wire names, and the [`StreamError`]
//! value that the connection machine sends and reports. Conversion to and from the
//! `<stream:error/>` element lives here too.
//!
//! ```
//! use xmpp_stream::stream_error::{StreamCondition, StreamError};
//! let cond: StreamCondition = "xml-not-well-formed".parse().unwrap(); // RFC 3920 name accepted
//! assert_eq!(cond, StreamCondition::NotWellFormed);
//! assert_eq!(cond.as_str(), "not-well-formed"); // RFC 6120 name emitted
//! let err = StreamError::new(StreamCondition::PolicyViolation).with_text("en", "stanza too large");
//! assert_eq!(err.text(), Some("stanza too large"));
//! ```

use std::fmt;
use std::str::FromStr;

use crate::xml::{Element, ns};

/// The namespace of stream error conditions and of `<text/>`.
pub const NS_STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";

macro_rules! conditions {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal ),* $(,)?) => {
        /// A defined stream error condition (RFC 6120 §4.9.3, plus `invalid-id` from
        /// RFC 3920 / the 2007 draft, still used by dialback).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum StreamCondition {
            $( $(#[$doc])* $variant, )*
        }

        impl StreamCondition {
            /// Every condition, in RFC 6120 order (the legacy `invalid-id` after `invalid-from`).
            pub const ALL: &'static [StreamCondition] = &[ $( StreamCondition::$variant, )* ];

            /// The element name of the condition, as emitted (RFC 6120 spelling).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( StreamCondition::$variant => $name, )*
                }
            }
        }

        impl FromStr for StreamCondition {
            type Err = UnknownCondition;
            /// Parses a condition element name. The RFC 3920 name `xml-not-well-formed`
            /// is accepted as [`StreamCondition::NotWellFormed`].
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $name => Ok(StreamCondition::$variant), )*
                    "xml-not-well-formed" => Ok(StreamCondition::NotWellFormed),
                    _ => Err(UnknownCondition(s.chars().take(64).collect())),
                }
            }
        }
    };
}

conditions! {
    /// XML that cannot be processed (generic fallback for XML problems).
    BadFormat => "bad-format",
    /// Unsupported namespace prefix, or a missing prefix where one is required.
    BadNamespacePrefix => "bad-namespace-prefix",
    /// A new stream conflicts with an existing one (e.g. resource takeover).
    Conflict => "conflict",
    /// No traffic from the peer for a period set by local policy.
    ConnectionTimeout => "connection-timeout",
    /// The `to` host is no longer served here.
    HostGone => "host-gone",
    /// The `to` host is not served here.
    HostUnknown => "host-unknown",
    /// An s2s stanza lacks `to` or `from`, or one is empty.
    ImproperAddressing => "improper-addressing",
    /// Misconfiguration or other internal failure.
    InternalServerError => "internal-server-error",
    /// `from` does not match an authorised address.
    InvalidFrom => "invalid-from",
    /// Stream id or dialback id invalid (RFC 3920; dropped by RFC 6120).
    InvalidId => "invalid-id",
    /// Wrong streams namespace or unsupported content namespace.
    InvalidNamespace => "invalid-namespace",
    /// Schema-invalid XML sent to a validating entity.
    InvalidXml => "invalid-xml",
    /// Stanzas or negotiation steps before authentication/binding.
    NotAuthorized => "not-authorized",
    /// Not well-formed XML (RFC 3920 called it `xml-not-well-formed`).
    NotWellFormed => "not-well-formed",
    /// Local policy broken (stanza size limit, too many SASL retries, ...).
    PolicyViolation => "policy-violation",
    /// A remote entity needed for authentication cannot be reached.
    RemoteConnectionFailed => "remote-connection-failed",
    /// The stream must be reset (e.g. security-critical features changed).
    Reset => "reset",
    /// Not enough resources to serve the stream.
    ResourceConstraint => "resource-constraint",
    /// Comment, processing instruction, DTD or entity reference received.
    RestrictedXml => "restricted-xml",
    /// Redirect to another host; the element's text names it.
    SeeOtherHost => "see-other-host",
    /// The server is shutting down.
    SystemShutdown => "system-shutdown",
    /// None of the other conditions (should carry an application condition).
    UndefinedCondition => "undefined-condition",
    /// The stream is not in UTF-8.
    UnsupportedEncoding => "unsupported-encoding",
    /// A mandatory-to-negotiate feature is not supported by the initiator.
    UnsupportedFeature => "unsupported-feature",
    /// A first-level child that is not supported.
    UnsupportedStanzaType => "unsupported-stanza-type",
    /// The `version` is not supported.
    UnsupportedVersion => "unsupported-version",
}

impl fmt::Display for StreamCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a defined stream error condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stream error condition {0:?}")]
pub struct UnknownCondition(pub String);

/// An element that is not `<stream:error/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a <stream:error/> element")]
pub struct NotStreamError;

/// A stream error: a condition, optional human-readable text with its language, the
/// redirect target for `see-other-host`, and an optional application-specific child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    condition: StreamCondition,
    other_host: Option<String>,
    text: Option<String>,
    lang: Option<String>,
    app: Option<Box<Element>>,
}

impl StreamError {
    /// An error with only a condition.
    pub fn new(condition: StreamCondition) -> Self {
        StreamError {
            condition,
            other_host: None,
            text: None,
            lang: None,
            app: None,
        }
    }

    /// A `see-other-host` redirect to `host` (a domain or IP literal, optionally `:port`).
    pub fn see_other_host(host: impl Into<String>) -> Self {
        let mut e = StreamError::new(StreamCondition::SeeOtherHost);
        e.other_host = Some(host.into());
        e
    }

    /// Adds a `<text xml:lang='lang'>` (an empty `lang` omits the attribute).
    pub fn with_text(mut self, lang: impl Into<String>, text: impl Into<String>) -> Self {
        let lang = lang.into();
        self.lang = if lang.is_empty() { None } else { Some(lang) };
        self.text = Some(text.into());
        self
    }

    /// Adds an application-specific condition element (in its own namespace).
    pub fn with_app_condition(mut self, element: Element) -> Self {
        self.app = Some(Box::new(element));
        self
    }

    /// The application-specific condition element, if any.
    pub fn app_condition(&self) -> Option<&Element> {
        self.app.as_deref()
    }

    /// The `<stream:error/>` element.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new("error", ns::STREAM);
        let mut cond = Element::new(self.condition.as_str(), NS_STREAM_ERRORS);
        if let Some(host) = &self.other_host {
            cond.push_text(host.clone());
        }
        el.push_child(cond);
        if let Some(text) = &self.text {
            let mut t = Element::new("text", NS_STREAM_ERRORS);
            if let Some(lang) = &self.lang {
                t.set_lang(lang.clone());
            }
            t.push_text(text.clone());
            el.push_child(t);
        }
        if let Some(app) = &self.app {
            el.push_child((**app).clone());
        }
        el
    }

    /// Reads a received `<stream:error/>`. A missing or unknown condition is read as
    /// `undefined-condition` (the peer still meant to end the stream); the `<text/>` and
    /// the see-other-host target are trimmed of surrounding whitespace.
    pub fn from_element(el: &Element) -> Result<StreamError, NotStreamError> {
        if !el.is("error", ns::STREAM) {
            return Err(NotStreamError);
        }
        let mut err = StreamError::new(StreamCondition::UndefinedCondition);
        let mut have_condition = false;
        for child in el.children() {
            if child.ns() == NS_STREAM_ERRORS {
                if child.name() == "text" {
                    err.text = Some(child.text().trim().to_owned());
                    err.lang = child.lang().map(str::to_owned);
                } else if !have_condition {
                    if let Ok(c) = child.name().parse::<StreamCondition>() {
                        err.condition = c;
                        have_condition = true;
                        if c == StreamCondition::SeeOtherHost {
                            let host = child.text();
                            let host = host.trim();
                            if !host.is_empty() {
                                err.other_host = Some(host.to_owned());
                            }
                        }
                    }
                }
            } else if err.app.is_none() {
                err.app = Some(Box::new(child.clone()));
            }
        }
        Ok(err)
    }

    /// The defined condition.
    pub fn condition(&self) -> StreamCondition {
        self.condition
    }

    /// The redirect target of a `see-other-host` error, trimmed.
    pub fn other_host(&self) -> Option<&str> {
        self.other_host.as_deref()
    }

    /// The descriptive text, if any (diagnostic only: never act on it).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The `xml:lang` of the text, if given.
    pub fn text_lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

impl From<StreamCondition> for StreamError {
    fn from(c: StreamCondition) -> Self {
        StreamError::new(c)
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream error <{}/>", self.condition)?;
        if let Some(h) = &self.other_host {
            write!(f, " to {h}")?;
        }
        if let Some(t) = &self.text {
            write!(f, ": {t}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StreamError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_serr_5_every_rfc6120_condition_round_trips_by_name() {
        let rfc6120 = [
            "bad-format",
            "bad-namespace-prefix",
            "conflict",
            "connection-timeout",
            "host-gone",
            "host-unknown",
            "improper-addressing",
            "internal-server-error",
            "invalid-from",
            "invalid-namespace",
            "invalid-xml",
            "not-authorized",
            "not-well-formed",
            "policy-violation",
            "remote-connection-failed",
            "reset",
            "resource-constraint",
            "restricted-xml",
            "see-other-host",
            "system-shutdown",
            "undefined-condition",
            "unsupported-encoding",
            "unsupported-feature",
            "unsupported-stanza-type",
            "unsupported-version",
        ];
        assert_eq!(rfc6120.len(), 25);
        for name in rfc6120 {
            let c: StreamCondition = name.parse().expect(name);
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
        }
        // The enum holds exactly these plus the legacy invalid-id.
        assert_eq!(StreamCondition::ALL.len(), 26);
        assert!(StreamCondition::ALL.contains(&StreamCondition::InvalidId));
    }

    #[test]
    fn ucr_serr_5_legacy_name_parses_and_is_emitted_modern() {
        let c: StreamCondition = "xml-not-well-formed".parse().unwrap();
        assert_eq!(c, StreamCondition::NotWellFormed);
        assert_eq!(c.as_str(), "not-well-formed");
    }

    #[test]
    fn unknown_condition_is_an_error_with_the_name() {
        let e = "no-such-thing".parse::<StreamCondition>().unwrap_err();
        assert_eq!(e, UnknownCondition("no-such-thing".into()));
        assert!(e.to_string().contains("no-such-thing"));
    }

    #[test]
    fn text_and_redirect_accessors() {
        let e = StreamError::see_other_host("xmpp.example.com:9090").with_text("en", "moved");
        assert_eq!(e.condition(), StreamCondition::SeeOtherHost);
        assert_eq!(e.other_host(), Some("xmpp.example.com:9090"));
        assert_eq!(e.text(), Some("moved"));
        assert_eq!(e.text_lang(), Some("en"));
        assert_eq!(
            e.to_string(),
            "stream error <see-other-host/> to xmpp.example.com:9090: moved"
        );
        let e = StreamError::new(StreamCondition::Conflict).with_text("", "x");
        assert_eq!(e.text_lang(), None);
    }

    #[test]
    fn ucr_serr_5_element_round_trip_with_text_and_app_condition() {
        let app = Element::new("escape-your-data", "application-ns");
        let e = StreamError::new(StreamCondition::Conflict)
            .with_text("en", "Replaced by new connection")
            .with_app_condition(app.clone());
        let el = e.to_element();
        let mut out = Vec::new();
        crate::xml::Writer::for_stream(&crate::xml::StreamHeader::new(ns::CLIENT))
            .write_element(&el, &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<stream:error>\
             <conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Replaced by new connection</text>\
             <escape-your-data xmlns='application-ns'/></stream:error>"
        );
        assert_eq!(StreamError::from_element(&el).unwrap(), e);
        assert_eq!(StreamError::from_element(&app), Err(NotStreamError));
    }

    #[test]
    fn see_other_host_is_trimmed_and_unknown_condition_is_undefined() {
        let el = Element::builder("error", ns::STREAM)
            .child(
                Element::builder("see-other-host", NS_STREAM_ERRORS)
                    .text("\n  xmpp.example.com:9090\n"),
            )
            .build();
        let e = StreamError::from_element(&el).unwrap();
        assert_eq!(e, StreamError::see_other_host("xmpp.example.com:9090"));
        let el = Element::builder("error", ns::STREAM)
            .child(Element::new("made-up", NS_STREAM_ERRORS))
            .build();
        assert_eq!(
            StreamError::from_element(&el).unwrap().condition(),
            StreamCondition::UndefinedCondition
        );
    }
}
