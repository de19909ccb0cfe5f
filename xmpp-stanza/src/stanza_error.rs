//! Stanza errors (RFC 6120 §8.3): [`ErrorType`], every defined [`Condition`] with its default
//! type, and [`StanzaError`] with `by`, texts per language and an application-specific child;
//! the stanza error answering a [`ParseError`] ([`ParseError::condition`],
//! [`ParseError::to_stanza_error`]).

use std::fmt;
use std::str::FromStr;

use xmpp_jid::Jid;
use xmpp_stream::xml::{Element, ns};

use crate::util::{check, opt_jid, req_attr};
use crate::{ParseError, StanzaNs, Texts};

/// The `type` of an `<error/>` (RFC 6120 §8.3.2): what the sender should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry (the error cannot be remedied).
    Cancel,
    /// Proceed (the condition was only a warning).
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting (the error is temporary).
    Wait,
}

impl ErrorType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Auth => "auth",
            ErrorType::Cancel => "cancel",
            ErrorType::Continue => "continue",
            ErrorType::Modify => "modify",
            ErrorType::Wait => "wait",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Ok(match s {
            "auth" => ErrorType::Auth,
            "cancel" => ErrorType::Cancel,
            "continue" => ErrorType::Continue,
            "modify" => ErrorType::Modify,
            "wait" => ErrorType::Wait,
            _ => {
                return Err(ParseError::BadAttribute {
                    element: "error",
                    attr: "type",
                    value: s.to_owned(),
                    reason: "not one of auth, cancel, continue, modify, wait",
                });
            }
        })
    }
}

macro_rules! conditions {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $ty:ident; )*) => {
        /// A defined stanza error condition (RFC 6120 §8.3.3), the element in
        /// `urn:ietf:params:xml:ns:xmpp-stanzas`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Condition {
            $( $(#[$doc])* $variant, )*
        }

        impl Condition {
            /// Every condition, in RFC order.
            pub const ALL: &'static [Condition] = &[$(Condition::$variant),*];

            /// The element name (`"bad-request"`, ...).
            pub fn as_str(self) -> &'static str {
                match self { $(Condition::$variant => $name,)* }
            }

            /// The error type RFC 6120 §8.3.3 pairs with the condition.
            pub fn default_type(self) -> ErrorType {
                match self { $(Condition::$variant => ErrorType::$ty,)* }
            }
        }

        impl FromStr for Condition {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($name => Ok(Condition::$variant),)*
                    _ => Err(ParseError::UnexpectedChild { element: "error", child: s.to_owned() }),
                }
            }
        }
    };
}

conditions! {
    /// `<bad-request/>`: the request is malformed (modify).
    BadRequest = "bad-request", Modify;
    /// `<conflict/>`: a resource or session with that name exists (cancel).
    Conflict = "conflict", Cancel;
    /// `<feature-not-implemented/>`: the recipient does not support the feature (cancel).
    FeatureNotImplemented = "feature-not-implemented", Cancel;
    /// `<forbidden/>`: the sender lacks the permission (auth).
    Forbidden = "forbidden", Auth;
    /// `<gone/>`: the recipient is no longer at this address; the text may give the new one (cancel).
    Gone = "gone", Cancel;
    /// `<internal-server-error/>` (cancel).
    InternalServerError = "internal-server-error", Cancel;
    /// `<item-not-found/>` (cancel).
    ItemNotFound = "item-not-found", Cancel;
    /// `<jid-malformed/>`: an address is invalid (modify).
    JidMalformed = "jid-malformed", Modify;
    /// `<not-acceptable/>`: the request breaks the recipient's criteria (modify).
    NotAcceptable = "not-acceptable", Modify;
    /// `<not-allowed/>`: nobody may perform the action (cancel).
    NotAllowed = "not-allowed", Cancel;
    /// `<not-authorized/>`: the sender must authenticate first (auth).
    NotAuthorized = "not-authorized", Auth;
    /// `<policy-violation/>` (modify).
    PolicyViolation = "policy-violation", Modify;
    /// `<recipient-unavailable/>`: temporarily unavailable (wait).
    RecipientUnavailable = "recipient-unavailable", Wait;
    /// `<redirect/>`: use the address in the text (modify).
    Redirect = "redirect", Modify;
    /// `<registration-required/>` (auth).
    RegistrationRequired = "registration-required", Auth;
    /// `<remote-server-not-found/>` (cancel).
    RemoteServerNotFound = "remote-server-not-found", Cancel;
    /// `<remote-server-timeout/>` (wait).
    RemoteServerTimeout = "remote-server-timeout", Wait;
    /// `<resource-constraint/>`: the server lacks resources (wait).
    ResourceConstraint = "resource-constraint", Wait;
    /// `<service-unavailable/>`: the recipient does not provide the service (cancel).
    ServiceUnavailable = "service-unavailable", Cancel;
    /// `<subscription-required/>` (auth).
    SubscriptionRequired = "subscription-required", Auth;
    /// `<undefined-condition/>`: see the application-specific child (modify).
    UndefinedCondition = "undefined-condition", Modify;
    /// `<unexpected-request/>`: the request came out of order (wait).
    UnexpectedRequest = "unexpected-request", Wait;
}

impl Condition {
    /// The attribute value of the [`default_type`](Self::default_type) (`"modify"`, ...).
    pub fn error_type(self) -> &'static str {
        self.default_type().as_str()
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `<error/>` child of a stanza of type `error` (RFC 6120 §8.3.2).
///
/// ```
/// use xmpp_stanza::{Condition, ErrorType, StanzaError};
/// let err = StanzaError::new(Condition::ItemNotFound).with_text(Some("en"), "no such room");
/// assert_eq!(err.error_type, ErrorType::Cancel);
/// let xml = xmpp_stream::xml::Element::from(err.clone()).to_xml().unwrap();
/// assert_eq!(
///     xml,
///     "<error xmlns='jabber:client' type='cancel'>\
///      <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
///      <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>no such room</text></error>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StanzaError {
    /// The `type` attribute.
    pub error_type: ErrorType,
    /// The defined condition.
    pub condition: Condition,
    /// Text inside the condition element (the new address for `gone` and `redirect`).
    pub condition_text: Option<String>,
    /// The `by` attribute: the entity that generated the error.
    pub by: Option<Jid>,
    /// The `<text/>` elements, per `xml:lang`.
    pub texts: Texts,
    /// The application-specific condition (a child in another namespace).
    pub app_condition: Option<Element>,
    /// The namespace of the `<error/>` element itself (the stanza's).
    pub ns: StanzaNs,
}

impl StanzaError {
    /// An error with `condition` and its default type, nothing else.
    pub fn new(condition: Condition) -> Self {
        StanzaError {
            error_type: condition.default_type(),
            condition,
            condition_text: None,
            by: None,
            texts: Texts::default(),
            app_condition: None,
            ns: StanzaNs::Client,
        }
    }

    /// Replaces the type.
    pub fn with_type(mut self, error_type: ErrorType) -> Self {
        self.error_type = error_type;
        self
    }

    /// Sets `by`.
    pub fn with_by(mut self, by: Jid) -> Self {
        self.by = Some(by);
        self
    }

    /// Adds (or replaces) the text for `lang`.
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<String>) -> Self {
        self.texts.set(lang, text);
        self
    }

    /// Sets the application-specific condition element.
    pub fn with_app_condition(mut self, app: Element) -> Self {
        self.app_condition = Some(app);
        self
    }

    /// Sets the text inside the condition element (`gone`/`redirect` address).
    pub fn with_condition_text(mut self, text: impl Into<String>) -> Self {
        self.condition_text = Some(text.into());
        self
    }
}

impl From<Condition> for StanzaError {
    fn from(c: Condition) -> Self {
        StanzaError::new(c)
    }
}

impl fmt::Display for StanzaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.condition, self.error_type)?;
        if let Some(t) = self.texts.first() {
            write!(f, ": {t}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StanzaError {}

impl TryFrom<&Element> for StanzaError {
    type Error = ParseError;

    fn try_from(e: &Element) -> Result<Self, ParseError> {
        let stanza_ns = StanzaNs::of(e).ok_or_else(|| ParseError::WrongElement {
            expected_name: "error",
            expected_ns: ns::CLIENT,
            name: e.name().to_owned(),
            ns: e.ns().to_owned(),
        })?;
        check(e, "error", stanza_ns.as_str())?;
        let error_type: ErrorType = req_attr(e, "error", "type")?.parse()?;
        let by = opt_jid(e, "error", "by")?;
        let mut condition = None;
        let mut condition_text = None;
        let mut texts = Texts::default();
        let mut app_condition = None;
        for child in e.children() {
            if child.ns() == ns::STANZAS {
                if child.name() == "text" {
                    texts.push_from(child, "text")?;
                } else {
                    if condition.is_some() {
                        return Err(ParseError::DuplicateChild {
                            element: "error",
                            child: "condition",
                            lang: None,
                        });
                    }
                    condition = Some(child.name().parse::<Condition>()?);
                    let t = child.text();
                    if !t.is_empty() {
                        condition_text = Some(t.into_owned());
                    }
                }
            } else if app_condition.is_none() {
                app_condition = Some(child.clone());
            } else {
                return Err(ParseError::DuplicateChild {
                    element: "error",
                    child: "application-specific condition",
                    lang: None,
                });
            }
        }
        texts.check_unique("error", "text")?;
        let condition = condition.ok_or(ParseError::MissingChild {
            element: "error",
            child: "defined condition",
        })?;
        Ok(StanzaError {
            error_type,
            condition,
            condition_text,
            by,
            texts,
            app_condition,
            ns: stanza_ns,
        })
    }
}

impl From<StanzaError> for Element {
    fn from(err: StanzaError) -> Element {
        let mut cond = Element::new(err.condition.as_str(), ns::STANZAS);
        if let Some(t) = err.condition_text {
            cond.push_text(t);
        }
        Element::builder("error", err.ns.as_str())
            .attr("type", err.error_type.as_str())
            .attr_opt("by", err.by.map(|j| j.to_string()))
            .child(cond)
            .children(err.texts.to_elements("text", ns::STANZAS))
            .child_opt(err.app_condition)
            .build()
    }
}

impl ParseError {
    /// The stanza error condition to answer this input with (RFC 6120 §8.3.3).
    ///
    /// An invalid address gives `<jid-malformed/>`, an element that is not what the handler
    /// implements gives `<feature-not-implemented/>`, everything else `<bad-request/>`.
    pub fn condition(&self) -> Condition {
        match self {
            ParseError::BadJid { .. } => Condition::JidMalformed,
            ParseError::WrongElement { .. } => Condition::FeatureNotImplemented,
            _ => Condition::BadRequest,
        }
    }

    /// The stanza error answering this input: [`condition`](Self::condition) with its default
    /// type and this error's message as `<text xml:lang='en'/>`.
    pub fn to_stanza_error(&self) -> StanzaError {
        StanzaError::new(self.condition()).with_text(Some("en"), self.to_string())
    }
}
