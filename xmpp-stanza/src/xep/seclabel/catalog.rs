//! XEP-0258 label catalogs (version 2, `urn:xmpp:sec-label:catalog:2`): the [`Catalog`] a
//! client asks its server for (the labels it may apply to stanzas for one recipient) and its
//! [`CatalogItem`]s.
//!
//! The request and the answer are the same element: the request carries the recipient in `to`
//! and nothing else ([`Catalog::request`]); the answer echoes `to` and lists the items.
//!
//! ```
//! use xmpp_stanza::xep::seclabel::{Catalog, CatalogItem, DisplayMarking, Label, SecurityLabel};
//! use xmpp_stream::xml::Element;
//!
//! let request = Catalog::request("example.com".parse()?);
//! assert_eq!(
//!     Element::from(request).to_xml()?,
//!     "<catalog xmlns='urn:xmpp:sec-label:catalog:2' to='example.com'/>"
//! );
//!
//! let mut answer = Catalog::request("example.com".parse()?);
//! answer.name = Some("Default".into());
//! answer.items.push(CatalogItem::unlabelled("Unclassified|None"));
//! answer.items.push(
//!     CatalogItem::labelled(
//!         "Classified|SECRET",
//!         SecurityLabel::new(Label::ess(vec![0x31, 0x06, 0x02, 0x01, 0x04, 0x06, 0x01, 0x29]))
//!             .with_marking(DisplayMarking::new("SECRET").with_colors("black", "red")),
//!     )
//!     .as_default(),
//! );
//! let e = Element::from(answer.clone());
//! let read = Catalog::try_from(&e)?;
//! assert_eq!(read, answer);
//! assert_eq!(read.default_item().and_then(|i| i.selector.as_deref()), Some("Classified|SECRET"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Strictness
//! Attributes are typed (`to` and `from` JIDs, `size` a number, `restrict` and `default`
//! booleans); at most one item is the default; an item holds at most one `<securitylabel/>` and
//! nothing else. Children of other namespaces in `<catalog/>` (an XEP-0059 `<set/>`) are kept in
//! [`Catalog::extensions`] and written back after the items; an unknown child of the catalog's
//! own namespace is an error.

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use super::{SecurityLabel, no_text};
use crate::util::{opt_jid, parse_bool};
use crate::{ParseError, Payload};

/// `urn:xmpp:sec-label:catalog:2`, the catalog namespace and its disco feature.
pub const NS: &str = "urn:xmpp:sec-label:catalog:2";

/// `<item selector='..' default='..'>` of a catalog: one choice offered to the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CatalogItem {
    /// `selector`: where the choice sits in a selection menu, levels separated by `|`
    /// (`Classified|SECRET`).
    pub selector: Option<String>,
    /// `default='true'`: the label a client applies unless the user picks another.
    pub default: bool,
    /// The label; `None` is the choice to send without a label.
    pub label: Option<SecurityLabel>,
}

impl CatalogItem {
    /// A choice applying `label`.
    pub fn labelled(selector: impl Into<String>, label: SecurityLabel) -> Self {
        CatalogItem {
            selector: Some(selector.into()),
            default: false,
            label: Some(label),
        }
    }

    /// The choice to send without a label.
    pub fn unlabelled(selector: impl Into<String>) -> Self {
        CatalogItem {
            selector: Some(selector.into()),
            default: false,
            label: None,
        }
    }

    /// Marked as the default choice.
    pub fn as_default(mut self) -> Self {
        self.default = true;
        self
    }
}

/// `<catalog xmlns='urn:xmpp:sec-label:catalog:2'>`: a catalog request, or the catalog itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Catalog {
    /// `to`: the recipient the labels are for.
    pub to: Option<Jid>,
    /// `from`: the entity the catalog describes, when not the one answering.
    pub from: Option<Jid>,
    /// `name`: the catalog's (or the security policy's) name.
    pub name: Option<String>,
    /// `desc`: a description for users.
    pub desc: Option<String>,
    /// `id`: the catalog's identifier, for caching.
    pub id: Option<String>,
    /// `size`: how many items the whole catalog has (with XEP-0059 paging, more than listed).
    pub size: Option<u32>,
    /// `restrict='true'`: a client applies only labels of this catalog (no label of its own).
    pub restrict: bool,
    /// The items, in menu order.
    pub items: Vec<CatalogItem>,
    /// Children of other namespaces (an XEP-0059 `<set/>`), written after the items.
    pub extensions: Vec<Element>,
}

impl Catalog {
    /// The request for the catalog of labels for stanzas to `to`.
    pub fn request(to: Jid) -> Catalog {
        Catalog {
            to: Some(to),
            ..Catalog::default()
        }
    }

    /// The item marked as default, if any.
    pub fn default_item(&self) -> Option<&CatalogItem> {
        self.items.iter().find(|i| i.default)
    }

    /// The item with this selector.
    pub fn item(&self, selector: &str) -> Option<&CatalogItem> {
        self.items
            .iter()
            .find(|i| i.selector.as_deref() == Some(selector))
    }
}

impl Payload for Catalog {
    const NAME: &'static str = "catalog";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for CatalogItem {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        crate::util::check(e, "item", NS)?;
        no_text(e, "item")?;
        let mut label = None;
        for c in e.children() {
            if !SecurityLabel::matches(c) {
                return Err(ParseError::UnexpectedChild {
                    element: "item",
                    child: c.name().to_owned(),
                });
            }
            if label.is_some() {
                return Err(ParseError::DuplicateChild {
                    element: "item",
                    child: "securitylabel",
                    lang: None,
                });
            }
            label = Some(SecurityLabel::try_from(c)?);
        }
        Ok(CatalogItem {
            selector: e.attr("selector").map(str::to_owned),
            default: match e.attr("default") {
                Some(v) => parse_bool(v, "item", "default")?,
                None => false,
            },
            label,
        })
    }
}

impl From<CatalogItem> for Element {
    fn from(i: CatalogItem) -> Element {
        Element::builder("item", NS)
            .attr_opt("selector", i.selector)
            .attr_opt("default", i.default.then_some("true"))
            .child_opt(i.label)
            .build()
    }
}

impl TryFrom<&Element> for Catalog {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        no_text(e, "catalog")?;
        let size = match e.attr("size") {
            None => None,
            Some(v) => Some(v.parse::<u32>().map_err(|_| ParseError::BadAttribute {
                element: "catalog",
                attr: "size",
                value: v.to_owned(),
                reason: "not a non-negative integer",
            })?),
        };
        let restrict = match e.attr("restrict") {
            Some(v) => parse_bool(v, "catalog", "restrict")?,
            None => false,
        };
        let mut catalog = Catalog {
            to: opt_jid(e, "catalog", "to")?,
            from: opt_jid(e, "catalog", "from")?,
            name: e.attr("name").map(str::to_owned),
            desc: e.attr("desc").map(str::to_owned),
            id: e.attr("id").map(str::to_owned),
            size,
            restrict,
            ..Catalog::default()
        };
        for c in e.children() {
            if c.ns() != NS {
                catalog.extensions.push(c.clone());
                continue;
            }
            let item = CatalogItem::try_from(c).map_err(|err| match err {
                ParseError::WrongElement { name, .. } => ParseError::UnexpectedChild {
                    element: "catalog",
                    child: name,
                },
                other => other,
            })?;
            if item.default && catalog.default_item().is_some() {
                return Err(ParseError::BadAttribute {
                    element: "item",
                    attr: "default",
                    value: "true".to_owned(),
                    reason: "only one catalog item may be the default",
                });
            }
            catalog.items.push(item);
        }
        Ok(catalog)
    }
}

impl From<Catalog> for Element {
    fn from(c: Catalog) -> Element {
        Element::builder("catalog", NS)
            .attr_opt("to", c.to.map(Jid::into_inner))
            .attr_opt("from", c.from.map(Jid::into_inner))
            .attr_opt("name", c.name)
            .attr_opt("desc", c.desc)
            .attr_opt("id", c.id)
            .attr_opt("size", c.size.map(|s| s.to_string()))
            .attr_opt("restrict", c.restrict.then_some("true"))
            .children(c.items)
            .children(c.extensions)
            .build()
    }
}
