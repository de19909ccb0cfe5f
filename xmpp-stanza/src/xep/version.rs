//! XEP-0092 software version: [`Version`].

use xmpp_stream::xml::Element;

use crate::{ParseError, Payload};

/// `jabber:iq:version`.
pub const NS: &str = "jabber:iq:version";

/// `<query xmlns='jabber:iq:version'>`: empty in the get, name/version/os in the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Version {
    /// `<name/>` (required in a result).
    pub name: Option<String>,
    /// `<version/>` (required in a result).
    pub version: Option<String>,
    /// `<os/>`.
    pub os: Option<String>,
}

impl Version {
    /// Whether this is a valid result (name and version present).
    pub fn is_complete(&self) -> bool {
        self.name.is_some() && self.version.is_some()
    }
}

impl Payload for Version {
    const NAME: &'static str = "query";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for Version {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let mut v = Version::default();
        for c in e.children() {
            let slot = match (c.ns() == NS, c.name()) {
                (true, "name") => &mut v.name,
                (true, "version") => &mut v.version,
                (true, "os") => &mut v.os,
                _ => {
                    return Err(ParseError::UnexpectedChild {
                        element: "query",
                        child: c.name().to_owned(),
                    });
                }
            };
            if slot.is_some() {
                return Err(ParseError::DuplicateChild {
                    element: "query",
                    child: "name, version or os",
                    lang: None,
                });
            }
            crate::util::no_children(c, "version field")?;
            *slot = Some(c.text().into_owned());
        }
        Ok(v)
    }
}

impl From<Version> for Element {
    fn from(v: Version) -> Element {
        let field =
            |n: &'static str, t: Option<String>| t.map(|t| Element::builder(n, NS).text(t).build());
        Element::builder("query", NS)
            .child_opt(field("name", v.name))
            .child_opt(field("version", v.version))
            .child_opt(field("os", v.os))
            .build()
    }
}
