//! XEP-0258 security labels in the server core: the deployment's [`LabelConfig`] (a label
//! catalog and a [`LabelPolicy`]), the decision a policy returns ([`LabelDecision`]), a
//! ready-made per-account policy ([`ClearancePolicy`], [`Clearance`]) and the no-check
//! [`PassThrough`].
//!
//! This module owns what the server does with labels; the wire format is
//! `xmpp_stanza::xep::seclabel`. The server core asks the policy at two points:
//!
//! - **sending**: a message a local client sends, whatever its destination, is checked with
//!   [`LabelPolicy::may_send`] (may this user apply this label, or send unlabelled?);
//! - **delivery**: a message routed to a local account, from a client or a component, is checked
//!   with [`LabelPolicy::may_deliver`] once, with the account's bare JID, *before* the server
//!   picks a resource or offline storage. Every resource of the account and the offline store
//!   therefore see the same decision; a refused message is never stored.
//!
//! A refused message goes back to its sender as an error (RFC 6120 §8.3; XEP-0258 leaves the
//! condition to the server, these are RFC 6120's definitions):
//!
//! | why | condition (type) |
//! | --- | --- |
//! | the sender or the recipient is not cleared for the label ([`LabelDecision::NotCleared`]) | `forbidden` (auth): the entity lacks the permission, like any authorization failure |
//! | the label is not one the policy defines ([`LabelDecision::UnknownLabel`]) | `not-acceptable` (modify): the server understands the stanza but it does not meet the policy's criteria; relabelling from the catalog fixes it |
//! | the `<securitylabel/>` is malformed, or there are two | `bad-request` (modify) |
//!
//! An error message that is refused is dropped, since an error is never answered with an error
//! (RFC 6120 §8.3.1). Presence and IQ stanzas are not checked: XEP-0258 labels messages. With no
//! policy configured (the default) labels pass through unread and unchecked, as any unknown
//! extension does.
//!
//! The catalog request (`<catalog xmlns='urn:xmpp:sec-label:catalog:2' to='RECIPIENT'/>` in an
//! IQ get to a hosted domain) is answered with the configured catalog, keeping only the items the
//! policy lets the requester send to that recipient: what a client offers its user is what the
//! server will deliver. Disco#info of the domain lists `urn:xmpp:sec-label:0` when a catalog or a
//! policy is configured, and `urn:xmpp:sec-label:catalog:2` when a catalog is.
//!
//! ```
//! use std::sync::Arc;
//! use xmpp_server::Config;
//! use xmpp_server::labels::{Catalog, CatalogItem, Clearance, ClearancePolicy, Label, LabelConfig, SecurityLabel};
//! use xmpp_stanza::xep::seclabel::DisplayMarking;
//!
//! let secret = SecurityLabel::new(Label::ess(vec![0x31, 0x06, 0x02, 0x01, 0x04, 0x06, 0x01, 0x29]))
//!     .with_marking(DisplayMarking::new("SECRET").with_colors("black", "red"));
//! let mut catalog = Catalog::default();
//! catalog.name = Some("Example policy".into());
//! catalog.items.push(CatalogItem::unlabelled("Unclassified").as_default());
//! catalog.items.push(CatalogItem::labelled("Classified|SECRET", secret));
//!
//! // Everyone may exchange unlabelled messages; only juliet is cleared for SECRET.
//! let policy = ClearancePolicy::new(Clearance::unlabelled_only())
//!     .defined_by(&catalog)
//!     .with_account(
//!         "juliet@example.com".parse()?,
//!         Clearance::unlabelled_only().with_selectors(&catalog, ["Classified|SECRET"])?,
//!     );
//! let mut config = Config::new(["example.com"]);
//! config.labels = LabelConfig::new(Arc::new(policy)).with_catalog(catalog);
//! assert!(config.labels.is_enabled());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use xmpp_im::jid::{BareJid, Jid};
use xmpp_stanza::xep::seclabel::{self, message_label};
use xmpp_stanza::{Condition, Iq, Message};
use xmpp_stream::xml::Element;

use crate::server_iq::Addressee;

pub use xmpp_stanza::xep::seclabel::{Catalog, CatalogItem, Label, SecurityLabel};

/// The disco feature of security labels: `urn:xmpp:sec-label:0`.
pub const FEATURE_LABELS: &str = seclabel::NS;
/// The disco feature of the label catalog: `urn:xmpp:sec-label:catalog:2`.
pub const FEATURE_CATALOG: &str = seclabel::catalog::NS;

/// What a [`LabelPolicy`] decides about one message (or one catalog item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LabelDecision {
    /// The message may go on.
    Allow,
    /// The entity is not cleared for this label (or, for an unlabelled message, for unlabelled
    /// traffic): refused with `forbidden`.
    NotCleared,
    /// The label is not one the security policy defines: refused with `not-acceptable`.
    UnknownLabel,
}

impl LabelDecision {
    /// The stanza error condition a refusal is answered with; `None` for [`Allow`](Self::Allow).
    pub fn condition(self) -> Option<Condition> {
        match self {
            LabelDecision::Allow => None,
            LabelDecision::NotCleared => Some(Condition::Forbidden),
            LabelDecision::UnknownLabel => Some(Condition::NotAcceptable),
        }
    }
}

/// The deployment's security policy for labelled messages, consulted by the server core (see
/// the [module docs](self) for when, and what a refusal becomes).
///
/// Both methods are synchronous and must not block: the core is sans-IO and calls them while
/// routing. A policy backed by a directory loads clearances ahead of time (and may swap them
/// behind interior mutability). `label` is `None` for an unlabelled message. The label is the
/// sender's claim: a policy should judge [`SecurityLabel::label`] and not trust
/// [`SecurityLabel::equivalents`] (a sender could add a low "equivalent" to a high label) unless
/// it can verify the equivalence itself.
pub trait LabelPolicy: Send + Sync {
    /// Whether `sender` (a local client's full JID) may send a message carrying `label`.
    fn may_send(&self, label: Option<&SecurityLabel>, sender: &Jid) -> LabelDecision;

    /// Whether a message carrying `label` from `from` (a client's full JID, or a component's
    /// address) may be delivered to the account `to`: the account as a whole, since clearances
    /// belong to accounts and the decision covers every resource and offline storage alike.
    fn may_deliver(&self, label: Option<&SecurityLabel>, from: &Jid, to: &BareJid)
    -> LabelDecision;
}

/// The policy that checks nothing: every label, and no label, is allowed. Configuring it
/// advertises label support without enforcing anything (the server then passes labels on,
/// checking only that they are well-formed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PassThrough;

impl LabelPolicy for PassThrough {
    fn may_send(&self, _: Option<&SecurityLabel>, _: &Jid) -> LabelDecision {
        LabelDecision::Allow
    }

    fn may_deliver(&self, _: Option<&SecurityLabel>, _: &Jid, _: &BareJid) -> LabelDecision {
        LabelDecision::Allow
    }
}

/// The label setup of a server: the catalog it answers with and the policy it enforces. The
/// default has neither: labels pass through unchecked and nothing is advertised.
#[derive(Clone, Default)]
pub struct LabelConfig {
    /// The catalog answered to catalog requests (`None`: requests get `service-unavailable`).
    /// Its `to` is replaced by the requested recipient and `size` by the number of items
    /// answered.
    pub catalog: Option<Catalog>,
    /// The policy consulted when messages are sent and delivered (`None`: no check).
    pub policy: Option<Arc<dyn LabelPolicy>>,
}

impl fmt::Debug for LabelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabelConfig")
            .field("catalog", &self.catalog)
            .field("policy", &self.policy.as_ref().map(|_| "dyn LabelPolicy"))
            .finish()
    }
}

impl LabelConfig {
    /// Enforcing `policy`, without catalog.
    pub fn new(policy: Arc<dyn LabelPolicy>) -> Self {
        LabelConfig {
            catalog: None,
            policy: Some(policy),
        }
    }

    /// With this catalog.
    pub fn with_catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Whether the server supports labels (a catalog or a policy is configured).
    pub fn is_enabled(&self) -> bool {
        self.catalog.is_some() || self.policy.is_some()
    }

    /// The disco#info features the server domain advertises for labels.
    pub fn features(&self) -> Vec<&'static str> {
        let mut features = Vec::new();
        if self.is_enabled() {
            features.push(FEATURE_LABELS);
        }
        if self.catalog.is_some() {
            features.push(FEATURE_CATALOG);
        }
        features
    }

    /// The refusal for `m` sent by the local client `sender`, if any.
    pub(crate) fn check_send(&self, m: &Message, sender: &Jid) -> Result<(), Condition> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        let label = message_label(m).map_err(|e| e.condition())?;
        refusal(policy.may_send(label.as_ref(), sender))
    }

    /// The refusal for `m` (already addressed and stamped) to a local account, if any.
    pub(crate) fn check_delivery(&self, m: &Message) -> Result<(), Condition> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        // The router stamps `from` and fills `to` before a message reaches an account.
        let (Some(from), Some(to)) = (&m.from, &m.to) else {
            return Ok(());
        };
        let label = message_label(m).map_err(|e| e.condition())?;
        refusal(policy.may_deliver(label.as_ref(), from, &to.to_bare()))
    }

    /// The answer to a catalog request in `iq` (a get): the catalog payload, or the condition.
    pub(crate) fn answer_catalog(
        &self,
        iq: &Iq,
        request: &Catalog,
        to: Addressee,
    ) -> Result<Option<Element>, Condition> {
        let Some(catalog) = &self.catalog else {
            return Err(Condition::ServiceUnavailable);
        };
        if to == Addressee::Account {
            // The catalog is the server's; an account does not answer for it.
            return Err(Condition::ServiceUnavailable);
        }
        let recipient = match (&request.to, &iq.to) {
            (Some(r), _) | (None, Some(r)) => r.clone(),
            (None, None) => return Err(Condition::BadRequest),
        };
        let mut answer = catalog.clone();
        answer.to = Some(recipient.clone());
        // Paging state (an XEP-0059 <set/>) describes one answer, not the configured catalog.
        answer.extensions.clear();
        let items = std::mem::take(&mut answer.items);
        answer.items = match (&self.policy, &iq.from) {
            (None, _) => items,
            (Some(policy), Some(requester)) => {
                let recipient = recipient.to_bare();
                (items.into_iter())
                    .filter(|item| {
                        let label = item.label.as_ref();
                        policy.may_send(label, requester) == LabelDecision::Allow
                            && policy.may_deliver(label, requester, &recipient)
                                == LabelDecision::Allow
                    })
                    .collect()
            }
            // Every request reaching the server is stamped; without a requester nothing can
            // be judged.
            (Some(_), None) => return Err(Condition::BadRequest),
        };
        answer.size = Some(u32::try_from(answer.items.len()).unwrap_or(u32::MAX));
        Ok(Some(answer.into()))
    }
}

fn refusal(decision: LabelDecision) -> Result<(), Condition> {
    decision.condition().map_or(Ok(()), Err)
}

/// A catalog selector that names no item (see [`Clearance::with_selectors`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the catalog has no item with selector {0:?}")]
pub struct UnknownSelector(pub String);

/// What one account may send and receive under a [`ClearancePolicy`]: a set of labels, and
/// whether unlabelled messages are allowed.
///
/// Labels are matched on [`SecurityLabel::label`] (ESS labels by their DER value, other
/// formats as XML), never on the display marking: a marking is presentation, two labels can
/// share one, and the sender writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clearance {
    labels: Vec<Label>,
    unlabelled: bool,
}

impl Clearance {
    /// Nothing at all, not even unlabelled messages.
    pub fn none() -> Self {
        Clearance::default()
    }

    /// Unlabelled messages only.
    pub fn unlabelled_only() -> Self {
        Clearance {
            labels: Vec::new(),
            unlabelled: true,
        }
    }

    /// Whether unlabelled messages are allowed.
    pub fn allow_unlabelled(mut self, allowed: bool) -> Self {
        self.unlabelled = allowed;
        self
    }

    /// Plus this label.
    pub fn with_label(mut self, label: Label) -> Self {
        if !self.labels.contains(&label) {
            self.labels.push(label);
        }
        self
    }

    /// Plus the labels of these catalog items (an item without label allows unlabelled
    /// messages).
    ///
    /// # Errors
    /// [`UnknownSelector`] for a selector no item of `catalog` has.
    pub fn with_selectors<'a>(
        mut self,
        catalog: &Catalog,
        selectors: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, UnknownSelector> {
        for selector in selectors {
            let item = catalog
                .item(selector)
                .ok_or_else(|| UnknownSelector(selector.to_owned()))?;
            match &item.label {
                Some(l) => self = self.with_label(l.label.clone()),
                None => self.unlabelled = true,
            }
        }
        Ok(self)
    }

    /// Whether a message with `label` (`None`: unlabelled) is within this clearance.
    pub fn covers(&self, label: Option<&SecurityLabel>) -> bool {
        match label {
            None => self.unlabelled,
            Some(l) => self.labels.contains(&l.label),
        }
    }
}

/// A ready-made [`LabelPolicy`]: one [`Clearance`] per account, the same for sending and
/// receiving, and a default for everyone else.
///
/// A message is allowed when the sender's clearance covers its label (when sending) and the
/// recipient account's clearance does (on delivery). Once [`defined_by`](Self::defined_by) a
/// catalog, a label outside it is refused as unknown (`not-acceptable`) rather than as not
/// cleared (`forbidden`).
#[derive(Debug, Clone, Default)]
pub struct ClearancePolicy {
    accounts: HashMap<BareJid, Clearance>,
    default: Clearance,
    defined: Option<Vec<Label>>,
}

impl ClearancePolicy {
    /// Every account gets `default` until given its own clearance.
    pub fn new(default: Clearance) -> Self {
        ClearancePolicy {
            accounts: HashMap::new(),
            default,
            defined: None,
        }
    }

    /// The policy's labels are those of `catalog`.
    pub fn defined_by(mut self, catalog: &Catalog) -> Self {
        let labels = catalog
            .items
            .iter()
            .filter_map(|i| i.label.as_ref().map(|l| l.label.clone()))
            .collect();
        self.defined = Some(labels);
        self
    }

    /// `account` gets `clearance` (replacing an earlier one).
    pub fn with_account(mut self, account: BareJid, clearance: Clearance) -> Self {
        self.accounts.insert(account, clearance);
        self
    }

    /// The clearance of `account`.
    pub fn clearance(&self, account: &BareJid) -> &Clearance {
        self.accounts.get(account).unwrap_or(&self.default)
    }

    fn decide(&self, label: Option<&SecurityLabel>, account: &BareJid) -> LabelDecision {
        if let (Some(l), Some(defined)) = (label, &self.defined) {
            if !defined.contains(&l.label) {
                return LabelDecision::UnknownLabel;
            }
        }
        if self.clearance(account).covers(label) {
            LabelDecision::Allow
        } else {
            LabelDecision::NotCleared
        }
    }
}

impl LabelPolicy for ClearancePolicy {
    fn may_send(&self, label: Option<&SecurityLabel>, sender: &Jid) -> LabelDecision {
        self.decide(label, &sender.to_bare())
    }

    fn may_deliver(
        &self,
        label: Option<&SecurityLabel>,
        _from: &Jid,
        to: &BareJid,
    ) -> LabelDecision {
        self.decide(label, to)
    }
}
