//! Stream features (RFC 6120 §4.3): what a receiving entity offers after each header, and
//! how an initiating entity reads it.
//!
//! This module owns [`Features`], the typed view of `<stream:features/>` (STARTTLS, SASL
//! mechanisms and the XEP-0440 channel-binding types, resource binding, the legacy session
//! feature, and unknown features kept as elements), its parsing and building, and the rule that decides when negotiation is
//! complete (UCR-STREAM-6..8: a feature is mandatory by definition or by `<required/>`).
//!
//! ```
//! use xmpp_stream::features::Features;
//! let f = Features { starttls: Some(true), ..Features::default() };
//! assert!(!f.negotiation_complete());
//! let back = Features::from_element(&f.to_element()).unwrap();
//! assert_eq!(back, f);
//! assert!(Features::default().negotiation_complete());
//! ```

use crate::xml::{Element, ns};

/// The typed content of `<stream:features/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Features {
    /// `<starttls/>` offered; `Some(true)` when it carries `<required/>`.
    pub starttls: Option<bool>,
    /// SASL mechanisms in the receiver's order of preference (empty: SASL not offered).
    pub mechanisms: Vec<String>,
    /// XEP-0440 `<sasl-channel-binding/>`: the channel-binding types the receiver supports for
    /// SCRAM -PLUS, in its order (`None`: not advertised). Read both as a stream feature (the
    /// current XEP) and as a child of `<mechanisms/>` (its versions before 0.4, still
    /// deployed); written as a stream feature.
    pub channel_bindings: Option<Vec<String>>,
    /// `<bind/>` offered (mandatory by definition, RFC 6120 §7.3.1).
    pub bind: bool,
    /// RFC 3921 `<session/>` offered; `Some(true)` when marked `<optional/>`.
    pub session: Option<bool>,
    /// Every other child, untouched (unknown features are ignored, but kept for the
    /// application; one carrying `<required/>` is treated as mandatory).
    pub other: Vec<Element>,
}

/// `<stream:features/>` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeaturesError {
    /// The element is not `<features/>` in the streams namespace.
    #[error("expected <stream:features/>, got <{0}/>")]
    NotFeatures(String),
    /// A `<mechanism/>` is empty or not a valid mechanism name.
    #[error("invalid SASL mechanism name {0:?}")]
    BadMechanism(String),
}

/// Most mechanisms kept from one `<mechanisms/>` (the rest are ignored).
pub const MAX_MECHANISMS: usize = 64;

/// Most channel-binding types kept from one `<sasl-channel-binding/>` (the rest are ignored).
pub const MAX_CHANNEL_BINDINGS: usize = 16;

/// Namespace of the legacy RFC 3921 session feature.
pub const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";

impl Features {
    /// Reads a `<stream:features/>` element.
    pub fn from_element(el: &Element) -> Result<Features, FeaturesError> {
        if !el.is("features", ns::STREAM) {
            return Err(FeaturesError::NotFeatures(
                el.name().chars().take(64).collect(),
            ));
        }
        let mut f = Features::default();
        for child in el.children() {
            if child.is("starttls", ns::TLS) {
                f.starttls = Some(child.has_child("required", ns::TLS));
            } else if child.is("mechanisms", ns::SASL) {
                for m in child.children_named("mechanism", ns::SASL) {
                    let name = m.text();
                    let name = name.trim();
                    if !is_mechanism_name(name) {
                        return Err(FeaturesError::BadMechanism(name.chars().take(64).collect()));
                    }
                    // Bounded: a hostile list cannot make the duplicate check quadratic.
                    if f.mechanisms.len() < MAX_MECHANISMS
                        && !f.mechanisms.iter().any(|x| x == name)
                    {
                        f.mechanisms.push(name.to_owned());
                    }
                }
                for cb in child.children_named("sasl-channel-binding", ns::SASL_CB) {
                    f.read_channel_bindings(cb);
                }
            } else if child.is("sasl-channel-binding", ns::SASL_CB) {
                f.read_channel_bindings(child);
            } else if child.is("bind", ns::BIND) {
                f.bind = true;
            } else if child.is("session", NS_SESSION) {
                f.session = Some(child.has_child("optional", NS_SESSION));
            } else {
                f.other.push(child.clone());
            }
        }
        Ok(f)
    }

    /// Adds the types of one `<sasl-channel-binding/>`. Entries without a plausible type name
    /// (RFC 5056 names: 1 to 64 of `a-z 0-9 -`) are skipped, not fatal: the element is advisory.
    fn read_channel_bindings(&mut self, el: &Element) {
        let types = self.channel_bindings.get_or_insert_with(Vec::new);
        for cb in el.children_named("channel-binding", ns::SASL_CB) {
            let Some(name) = cb.attr("type") else {
                continue;
            };
            let plausible = (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if plausible && types.len() < MAX_CHANNEL_BINDINGS && !types.iter().any(|t| t == name) {
                types.push(name.to_owned());
            }
        }
    }

    /// The advertised channel-binding types this crate can compute, in the receiver's order;
    /// `None` when nothing was advertised.
    pub fn known_channel_bindings(&self) -> Option<Vec<xmpp_sasl::ChannelBindingType>> {
        self.channel_bindings
            .as_ref()
            .map(|types| types.iter().filter_map(|t| t.parse().ok()).collect())
    }

    /// Builds the `<stream:features/>` element (mechanisms and bind carry `<required/>`).
    pub fn to_element(&self) -> Element {
        let mut el = Element::new("features", ns::STREAM);
        if let Some(required) = self.starttls {
            let mut tls = Element::new("starttls", ns::TLS);
            if required {
                tls.push_child(Element::new("required", ns::TLS));
            }
            el.push_child(tls);
        }
        if !self.mechanisms.is_empty() {
            let mut m = Element::new("mechanisms", ns::SASL);
            for name in &self.mechanisms {
                m.push_child(
                    Element::builder("mechanism", ns::SASL)
                        .text(name.clone())
                        .build(),
                );
            }
            m.push_child(Element::new("required", ns::SASL));
            el.push_child(m);
        }
        if let Some(types) = &self.channel_bindings {
            let mut cb = Element::new("sasl-channel-binding", ns::SASL_CB);
            for t in types {
                cb.push_child(
                    Element::builder("channel-binding", ns::SASL_CB)
                        .attr("type", t.clone())
                        .build(),
                );
            }
            el.push_child(cb);
        }
        if self.bind {
            el.push_child(
                Element::builder("bind", ns::BIND)
                    .child(Element::new("required", ns::BIND))
                    .build(),
            );
        }
        if let Some(optional) = self.session {
            let mut s = Element::new("session", NS_SESSION);
            if optional {
                s.push_child(Element::new("optional", NS_SESSION));
            }
            el.push_child(s);
        }
        for o in &self.other {
            el.push_child(o.clone());
        }
        el
    }

    /// Whether nothing mandatory is left (UCR-STREAM-7/8): no required STARTTLS, no SASL,
    /// no bind, no non-optional session, no unknown feature with `<required/>`.
    pub fn negotiation_complete(&self) -> bool {
        self.starttls != Some(true)
            && self.mechanisms.is_empty()
            && !self.bind
            && self.session != Some(false)
            && !self
                .other
                .iter()
                .any(|o| o.children().any(|c| c.name() == "required"))
    }

    /// Whether the element is empty (no feature at all).
    pub fn is_empty(&self) -> bool {
        self.starttls.is_none()
            && self.mechanisms.is_empty()
            && self.channel_bindings.is_none()
            && !self.bind
            && self.session.is_none()
            && self.other.is_empty()
    }
}

/// RFC 4422 §3.1 mechanism names: 1..=20 of `A-Z 0-9 - _`.
pub fn is_mechanism_name(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_stream_5_parse_empty_one_and_many() {
        let empty = Element::new("features", ns::STREAM);
        let f = Features::from_element(&empty).unwrap();
        assert!(f.is_empty());
        assert!(f.negotiation_complete());

        let many = Element::builder("features", ns::STREAM)
            .child(
                Element::builder("mechanisms", ns::SASL)
                    .child(Element::builder("mechanism", ns::SASL).text("SCRAM-SHA-1"))
                    .child(Element::builder("mechanism", ns::SASL).text(" PLAIN "))
                    .child(Element::new("required", ns::SASL)),
            )
            .child(Element::new("ver", "urn:xmpp:features:rosterver"))
            .build();
        let f = Features::from_element(&many).unwrap();
        assert_eq!(f.mechanisms, vec!["SCRAM-SHA-1", "PLAIN"]);
        assert_eq!(f.other.len(), 1);
        assert_eq!(f.other[0].name(), "ver");
        assert!(!f.negotiation_complete());
    }

    #[test]
    fn ucr_stream_6_required_and_implicitly_mandatory_features() {
        let tls_optional = Features {
            starttls: Some(false),
            ..Features::default()
        };
        assert!(tls_optional.negotiation_complete(), "UCR-STREAM-8");
        let tls_required = Features {
            starttls: Some(true),
            ..Features::default()
        };
        assert!(!tls_required.negotiation_complete());
        let bind = Features {
            bind: true,
            ..Features::default()
        };
        assert!(
            !bind.negotiation_complete(),
            "bind is mandatory by definition"
        );
        let session_optional = Features {
            session: Some(true),
            ..Features::default()
        };
        assert!(session_optional.negotiation_complete());
        let unknown_required = Element::builder("features", ns::STREAM)
            .child(
                Element::builder("x", "urn:example").child(Element::new("required", "urn:example")),
            )
            .build();
        assert!(
            !Features::from_element(&unknown_required)
                .unwrap()
                .negotiation_complete()
        );
    }

    #[test]
    fn build_and_parse_round_trip() {
        let f = Features {
            starttls: None,
            mechanisms: vec!["EXTERNAL".into(), "SCRAM-SHA-256".into()],
            channel_bindings: Some(vec!["tls-exporter".into(), "tls-server-end-point".into()]),
            bind: true,
            session: Some(true),
            other: vec![],
        };
        assert_eq!(Features::from_element(&f.to_element()).unwrap(), f);
    }

    /// XEP-0440 as Prosody 0.12 sends it (inside `<mechanisms/>`, from the XEP's versions
    /// before 0.4) and as the current XEP has it (a stream feature); junk entries are skipped.
    #[test]
    fn channel_binding_types_are_read_in_both_places() {
        let cb = |types: &[&str]| {
            let mut el = Element::new("sasl-channel-binding", ns::SASL_CB);
            for t in types {
                el.push_child(
                    Element::builder("channel-binding", ns::SASL_CB)
                        .attr("type", t.to_string())
                        .build(),
                );
            }
            el
        };
        let inside = Element::builder("features", ns::STREAM)
            .child(
                Element::builder("mechanisms", ns::SASL)
                    .child(Element::builder("mechanism", ns::SASL).text("SCRAM-SHA-1-PLUS"))
                    .child(cb(&["tls-unique", "tls-exporter"])),
            )
            .build();
        let f = Features::from_element(&inside).unwrap();
        assert_eq!(
            f.channel_bindings,
            Some(vec!["tls-unique".to_owned(), "tls-exporter".to_owned()])
        );
        assert_eq!(
            f.known_channel_bindings(),
            Some(vec![xmpp_sasl::ChannelBindingType::TlsExporter])
        );
        let top = Element::builder("features", ns::STREAM)
            .child(cb(&[
                "tls-server-end-point",
                "",
                "TLS-EXPORTER",
                "tls-unique",
            ]))
            .build();
        let f = Features::from_element(&top).unwrap();
        assert_eq!(
            f.channel_bindings,
            Some(vec![
                "tls-server-end-point".to_owned(),
                "tls-unique".to_owned()
            ])
        );
        // Only unknown types: advertised, but nothing we can compute.
        let f = Features::from_element(
            &Element::builder("features", ns::STREAM)
                .child(cb(&["tls-unique"]))
                .build(),
        )
        .unwrap();
        assert_eq!(f.known_channel_bindings(), Some(vec![]));
        assert_eq!(Features::default().known_channel_bindings(), None);
        // Bounded.
        let many: Vec<String> = (0..100).map(|i| format!("x-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let f = Features::from_element(
            &Element::builder("features", ns::STREAM)
                .child(cb(&many))
                .build(),
        )
        .unwrap();
        assert_eq!(
            f.channel_bindings.map(|t| t.len()),
            Some(MAX_CHANNEL_BINDINGS)
        );
    }

    #[test]
    fn bad_mechanism_names_and_wrong_element() {
        let bad = Element::builder("features", ns::STREAM)
            .child(
                Element::builder("mechanisms", ns::SASL)
                    .child(Element::builder("mechanism", ns::SASL).text("plain")),
            )
            .build();
        assert_eq!(
            Features::from_element(&bad),
            Err(FeaturesError::BadMechanism("plain".into()))
        );
        assert!(matches!(
            Features::from_element(&Element::new("features", "jabber:client")),
            Err(FeaturesError::NotFeatures(_))
        ));
        assert!(is_mechanism_name("SCRAM-SHA-1-PLUS"));
        assert!(!is_mechanism_name(""));
        assert!(!is_mechanism_name("ABCDEFGHIJKLMNOPQRSTU"));
    }
}
