//! XEP-0030 service discovery: [`DiscoInfo`] (identities, features, extended forms) and
//! [`DiscoItems`].

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use super::forms::DataForm;
use crate::util::{check, req_attr, req_jid};
use crate::{ParseError, Payload};

/// `http://jabber.org/protocol/disco#info`.
pub const NS_INFO: &str = "http://jabber.org/protocol/disco#info";
/// `http://jabber.org/protocol/disco#items`.
pub const NS_ITEMS: &str = "http://jabber.org/protocol/disco#items";

/// An `<identity/>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// `category` (`client`, `server`, `conference`, ...).
    pub category: String,
    /// `type` (`pc`, `im`, `text`, ...).
    pub kind: String,
    /// `xml:lang` of the name.
    pub lang: Option<String>,
    /// `name`.
    pub name: Option<String>,
}

impl Identity {
    /// An identity without name.
    pub fn new(category: impl Into<String>, kind: impl Into<String>) -> Self {
        Identity {
            category: category.into(),
            kind: kind.into(),
            lang: None,
            name: None,
        }
    }
}

/// `<query xmlns='http://jabber.org/protocol/disco#info'/>`.
///
/// ```
/// use xmpp_stanza::xep::disco::{DiscoInfo, Identity};
/// use xmpp_stream::xml::Element;
/// let mut info = DiscoInfo::default();
/// info.identities.push(Identity::new("conference", "text"));
/// info.features.push("http://jabber.org/protocol/muc".into());
/// assert!(info.has_feature("http://jabber.org/protocol/muc"));
/// let e = Element::from(info.clone());
/// assert_eq!(DiscoInfo::try_from(&e).unwrap(), info);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DiscoInfo {
    /// `node`.
    pub node: Option<String>,
    /// The identities (at least one in a result).
    pub identities: Vec<Identity>,
    /// The `var` of each `<feature/>`.
    pub features: Vec<String>,
    /// XEP-0128 extended information forms.
    pub extensions: Vec<DataForm>,
}

impl DiscoInfo {
    /// Whether `var` is among the features.
    pub fn has_feature(&self, var: &str) -> bool {
        self.features.iter().any(|f| f == var)
    }
}

impl Payload for DiscoInfo {
    const NAME: &'static str = "query";
    const NS: &'static str = NS_INFO;
}

impl TryFrom<&Element> for DiscoInfo {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let mut info = DiscoInfo {
            node: e.attr("node").map(str::to_owned),
            ..DiscoInfo::default()
        };
        for c in e.children() {
            if c.is("identity", NS_INFO) {
                info.identities.push(Identity {
                    category: req_attr(c, "identity", "category")?.to_owned(),
                    kind: req_attr(c, "identity", "type")?.to_owned(),
                    lang: c.lang().map(str::to_owned),
                    name: c.attr("name").map(str::to_owned),
                });
            } else if c.is("feature", NS_INFO) {
                info.features
                    .push(req_attr(c, "feature", "var")?.to_owned());
            } else if DataForm::matches(c) {
                info.extensions.push(DataForm::try_from(c)?);
            } else {
                return Err(ParseError::UnexpectedChild {
                    element: "query",
                    child: c.name().to_owned(),
                });
            }
        }
        Ok(info)
    }
}

impl From<DiscoInfo> for Element {
    fn from(info: DiscoInfo) -> Element {
        Element::builder("query", NS_INFO)
            .attr_opt("node", info.node)
            .children(info.identities.into_iter().map(|i| {
                let mut b = Element::builder("identity", NS_INFO)
                    .attr("category", i.category)
                    .attr("type", i.kind)
                    .attr_opt("name", i.name);
                if let Some(l) = i.lang {
                    b = b.lang(l);
                }
                b
            }))
            .children(
                info.features
                    .into_iter()
                    .map(|f| Element::builder("feature", NS_INFO).attr("var", f)),
            )
            .children(info.extensions)
            .build()
    }
}

/// An `<item/>` of a disco#items result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiscoItem {
    /// `jid`.
    pub jid: Jid,
    /// `node`.
    pub node: Option<String>,
    /// `name`.
    pub name: Option<String>,
}

/// `<query xmlns='http://jabber.org/protocol/disco#items'/>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DiscoItems {
    /// `node`.
    pub node: Option<String>,
    /// The items.
    pub items: Vec<DiscoItem>,
}

impl Payload for DiscoItems {
    const NAME: &'static str = "query";
    const NS: &'static str = NS_ITEMS;
}

impl TryFrom<&Element> for DiscoItems {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let items = e
            .children()
            .map(|c| {
                check(c, "item", NS_ITEMS)?;
                Ok(DiscoItem {
                    jid: req_jid(c, "item", "jid")?,
                    node: c.attr("node").map(str::to_owned),
                    name: c.attr("name").map(str::to_owned),
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(DiscoItems {
            node: e.attr("node").map(str::to_owned),
            items,
        })
    }
}

impl From<DiscoItems> for Element {
    fn from(d: DiscoItems) -> Element {
        Element::builder("query", NS_ITEMS)
            .attr_opt("node", d.node)
            .children(d.items.into_iter().map(|i| {
                Element::builder("item", NS_ITEMS)
                    .attr("jid", i.jid.into_inner())
                    .attr_opt("node", i.node)
                    .attr_opt("name", i.name)
            }))
            .build()
    }
}
