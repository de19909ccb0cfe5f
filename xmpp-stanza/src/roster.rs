//! The RFC 6121 roster payload: `<query xmlns='jabber:iq:roster'>` ([`RosterQuery`]) and its
//! `<item/>`s ([`RosterItem`]).

use std::fmt;
use std::str::FromStr;

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::util::{check, parse_bool, req_jid};
use crate::{ParseError, Payload};

/// `jabber:iq:roster`.
pub const NS: &str = "jabber:iq:roster";

/// The `subscription` attribute of an item (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subscription {
    /// `none` (the default when absent).
    #[default]
    None,
    /// `to`: the user receives the contact's presence.
    To,
    /// `from`: the contact receives the user's presence.
    From,
    /// `both`.
    Both,
    /// `remove`: in a roster set, delete the item.
    Remove,
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
            Subscription::Remove => "remove",
        }
    }
}

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Subscription {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Ok(match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            "remove" => Subscription::Remove,
            _ => {
                return Err(ParseError::BadAttribute {
                    element: "item",
                    attr: "subscription",
                    value: s.to_owned(),
                    reason: "not one of none, to, from, both, remove",
                });
            }
        })
    }
}

/// A roster `<item/>` (RFC 6121 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RosterItem {
    /// The contact (a bare JID in a valid roster; kept as received so the server can refuse
    /// a full JID with the right error).
    pub jid: Jid,
    /// The handle.
    pub name: Option<String>,
    /// The subscription state (`None` when the attribute is absent).
    pub subscription: Option<Subscription>,
    /// `ask='subscribe'`: an outbound subscription request is pending.
    pub ask: bool,
    /// `approved='true'`: a pre-approval.
    pub approved: bool,
    /// The `<group/>`s, in order.
    pub groups: Vec<String>,
}

impl RosterItem {
    /// An item for `jid` with nothing else set.
    pub fn new(jid: Jid) -> Self {
        RosterItem {
            jid,
            name: None,
            subscription: None,
            ask: false,
            approved: false,
            groups: Vec::new(),
        }
    }
}

impl TryFrom<&Element> for RosterItem {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        check(e, "item", NS)?;
        let jid = req_jid(e, "item", "jid")?;
        let subscription = e.attr("subscription").map(str::parse).transpose()?;
        let ask = match e.attr("ask") {
            None => false,
            Some("subscribe") => true,
            Some(v) => {
                return Err(ParseError::BadAttribute {
                    element: "item",
                    attr: "ask",
                    value: v.to_owned(),
                    reason: "the only defined value is 'subscribe'",
                });
            }
        };
        let approved = match e.attr("approved") {
            None => false,
            Some(v) => parse_bool(v, "item", "approved")?,
        };
        let mut groups = Vec::new();
        for child in e.children() {
            if child.is("group", NS) {
                crate::util::no_children(child, "group")?;
                groups.push(child.text().into_owned());
            } else {
                return Err(ParseError::UnexpectedChild {
                    element: "item",
                    child: child.name().to_owned(),
                });
            }
        }
        Ok(RosterItem {
            jid,
            name: e.attr("name").map(str::to_owned),
            subscription,
            ask,
            approved,
            groups,
        })
    }
}

impl From<RosterItem> for Element {
    fn from(i: RosterItem) -> Element {
        Element::builder("item", NS)
            .attr("jid", i.jid.into_inner())
            .attr_opt("name", i.name)
            .attr_opt("subscription", i.subscription.map(Subscription::as_str))
            .attr_opt("ask", i.ask.then_some("subscribe"))
            .attr_opt("approved", i.approved.then_some("true"))
            .children(
                i.groups
                    .into_iter()
                    .map(|g| Element::builder("group", NS).text(g)),
            )
            .build()
    }
}

/// `<query xmlns='jabber:iq:roster'/>`: a roster get (no items), result, set or push.
///
/// ```
/// use xmpp_stanza::roster::{RosterQuery, Subscription};
/// use xmpp_stream::xml::Element;
/// let e: Element = "<query xmlns='jabber:iq:roster' ver='ver7'>\
///                   <item jid='nurse@example.com' name='Nurse' subscription='both'>\
///                   <group>Servants</group></item></query>".parse().unwrap();
/// let q = RosterQuery::try_from(&e).unwrap();
/// assert_eq!(q.ver.as_deref(), Some("ver7"));
/// assert_eq!(q.items[0].subscription, Some(Subscription::Both));
/// assert_eq!(q.items[0].groups, ["Servants"]);
/// assert_eq!(Element::from(q), e);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RosterQuery {
    /// The `ver` attribute (roster versioning, RFC 6121 §2.6).
    pub ver: Option<String>,
    /// The items.
    pub items: Vec<RosterItem>,
}

impl Payload for RosterQuery {
    const NAME: &'static str = "query";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for RosterQuery {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let items = e
            .children()
            .map(RosterItem::try_from)
            .collect::<Result<_, _>>()?;
        Ok(RosterQuery {
            ver: e.attr("ver").map(str::to_owned),
            items,
        })
    }
}

impl From<RosterQuery> for Element {
    fn from(q: RosterQuery) -> Element {
        Element::builder("query", NS)
            .attr_opt("ver", q.ver)
            .children(q.items)
            .build()
    }
}
