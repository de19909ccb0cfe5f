//! [`Iq`] (RFC 6120 §8.2.3): request/response discipline, replies, and the [`IdGenerator`].

use base64::Engine;
use rand_core::{CryptoRng, RngCore};
use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::common::{Common, start};
use crate::{Condition, ParseError, Payload, ReplyError, StanzaError, StanzaNs};

/// What an iq carries, by type; the type system enforces RFC 6120 §8.2.3's child rules.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // matched by value everywhere; a box would cost an allocation per error
pub enum IqPayload {
    /// `get`: exactly one child.
    Get(Element),
    /// `set`: exactly one child.
    Set(Element),
    /// `result`: zero or one child.
    Result(Option<Element>),
    /// `error`: the `<error/>`, and the request's payload if the responder included it.
    Error {
        /// The error.
        error: StanzaError,
        /// The original request payload, if returned.
        original: Option<Element>,
    },
}

impl IqPayload {
    /// The `type` attribute value.
    pub fn type_str(&self) -> &'static str {
        match self {
            IqPayload::Get(_) => "get",
            IqPayload::Set(_) => "set",
            IqPayload::Result(_) => "result",
            IqPayload::Error { .. } => "error",
        }
    }

    /// Whether this is a get or set (a request that must be answered).
    pub fn is_request(&self) -> bool {
        matches!(self, IqPayload::Get(_) | IqPayload::Set(_))
    }

    /// The child element: the request's, the result's, or the original in an error.
    pub fn element(&self) -> Option<&Element> {
        match self {
            IqPayload::Get(e) | IqPayload::Set(e) => Some(e),
            IqPayload::Result(e) => e.as_ref(),
            IqPayload::Error { original, .. } => original.as_ref(),
        }
    }
}

/// An `<iq/>` stanza.
///
/// Parsing enforces RFC 6120 §8.2.3: an `id` and a known `type` (else
/// [`ParseError::MissingAttribute`] / [`ParseError::UnknownType`], both `<bad-request/>`),
/// exactly one child in a get or set, at most one in a result.
///
/// ```
/// use xmpp_stanza::{Iq, IqPayload, xep::ping::Ping};
/// use xmpp_stream::xml::Element;
/// let e: Element = "<iq xmlns='jabber:client' from='juliet@capulet.lit/balcony' \
///                   to='capulet.lit' id='c2s1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
///     .parse().unwrap();
/// let iq = Iq::try_from(&e).unwrap();
/// assert_eq!(iq.payload::<Ping>(), Some(Ok(Ping)));
/// let pong = iq.result_reply(None).unwrap();
/// assert_eq!(pong.id, "c2s1");
/// assert_eq!(pong.to.as_ref().map(|j| j.as_str()), Some("juliet@capulet.lit/balcony"));
/// assert!(matches!(pong.payload_kind, IqPayload::Result(None)));
/// // A result is never answered.
/// assert!(pong.result_reply(None).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Iq {
    /// The stanza namespace.
    pub ns: StanzaNs,
    /// `to`.
    pub to: Option<Jid>,
    /// `from`.
    pub from: Option<Jid>,
    /// `id` (required on every iq).
    pub id: String,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// The type and its child.
    pub payload_kind: IqPayload,
}

impl Iq {
    /// A `get` request.
    pub fn get(to: Option<Jid>, id: impl Into<String>, payload: impl Into<Element>) -> Self {
        Iq::with(to, id, IqPayload::Get(payload.into()))
    }

    /// A `set` request.
    pub fn set(to: Option<Jid>, id: impl Into<String>, payload: impl Into<Element>) -> Self {
        Iq::with(to, id, IqPayload::Set(payload.into()))
    }

    /// A `result`.
    pub fn result(to: Option<Jid>, id: impl Into<String>, payload: Option<Element>) -> Self {
        Iq::with(to, id, IqPayload::Result(payload))
    }

    fn with(to: Option<Jid>, id: impl Into<String>, payload_kind: IqPayload) -> Self {
        Iq {
            ns: StanzaNs::Client,
            to,
            from: None,
            id: id.into(),
            lang: None,
            payload_kind,
        }
    }

    /// Builder: sets `from`.
    pub fn with_from(mut self, from: Jid) -> Self {
        self.from = Some(from);
        self
    }

    /// The child parsed as `P`, if the child is a `P`.
    pub fn payload<P: Payload>(&self) -> Option<Result<P, ParseError>> {
        crate::payload::find(self.payload_kind.element().into_iter())
    }

    /// The `result` answering this request: `id` kept, `to`/`from` swapped.
    ///
    /// # Errors
    /// [`ReplyError::ToResult`] / [`ReplyError::ToError`] if this iq is not a get or set
    /// (a result or error is never answered, RFC 6120 §8.2.3).
    pub fn result_reply(&self, payload: Option<Element>) -> Result<Iq, ReplyError> {
        self.reply(IqPayload::Result(payload))
    }

    /// The `error` answering this request, with the request's payload included.
    ///
    /// # Errors
    /// As [`result_reply`](Self::result_reply).
    pub fn error_reply(&self, error: StanzaError) -> Result<Iq, ReplyError> {
        let original = self.payload_kind.element().cloned();
        self.reply(IqPayload::Error {
            error: StanzaError {
                ns: self.ns,
                ..error
            },
            original,
        })
    }

    /// The reply to a request nobody handles: `<service-unavailable/>` (RFC 6120 §8.4).
    ///
    /// # Errors
    /// As [`result_reply`](Self::result_reply).
    pub fn unhandled_reply(&self) -> Result<Iq, ReplyError> {
        self.error_reply(StanzaError::new(Condition::ServiceUnavailable))
    }

    fn reply(&self, payload_kind: IqPayload) -> Result<Iq, ReplyError> {
        match self.payload_kind {
            IqPayload::Result(_) => Err(ReplyError::ToResult),
            IqPayload::Error { .. } => Err(ReplyError::ToError),
            _ => Ok(Iq {
                ns: self.ns,
                to: self.from.clone(),
                from: self.to.clone(),
                id: self.id.clone(),
                lang: None,
                payload_kind,
            }),
        }
    }
}

impl TryFrom<&Element> for Iq {
    type Error = ParseError;

    fn try_from(e: &Element) -> Result<Self, ParseError> {
        let c = Common::read(e, "iq")?;
        let id = c.id.ok_or(ParseError::MissingAttribute {
            element: "iq",
            attr: "id",
        })?;
        let ty = e.attr("type").ok_or(ParseError::MissingAttribute {
            element: "iq",
            attr: "type",
        })?;
        let mut children = e.children();
        let payload_kind = match ty {
            "get" | "set" => {
                let (first, second) = (children.next(), children.next());
                match (first, second) {
                    (Some(p), None) => {
                        if ty == "get" {
                            IqPayload::Get(p.clone())
                        } else {
                            IqPayload::Set(p.clone())
                        }
                    }
                    _ => {
                        return Err(ParseError::IqPayloadCount {
                            kind: if ty == "get" { "get" } else { "set" },
                            expected: "exactly one",
                            found: e.children().count(),
                        });
                    }
                }
            }
            "result" => match (children.next(), children.next()) {
                (first, None) => IqPayload::Result(first.cloned()),
                _ => {
                    return Err(ParseError::IqPayloadCount {
                        kind: "result",
                        expected: "at most one",
                        found: e.children().count(),
                    });
                }
            },
            "error" => {
                let sns = c.ns.as_str();
                let mut error = None;
                let mut original = None;
                for child in e.children() {
                    if child.is("error", sns) && error.is_none() {
                        error = Some(StanzaError::try_from(child)?);
                    } else if original.is_none() {
                        original = Some(child.clone());
                    } else {
                        return Err(ParseError::IqPayloadCount {
                            kind: "error",
                            expected: "an <error/> and at most one other",
                            found: e.children().count(),
                        });
                    }
                }
                IqPayload::Error {
                    error: error.ok_or(ParseError::MissingChild {
                        element: "iq",
                        child: "error",
                    })?,
                    original,
                }
            }
            other => {
                return Err(ParseError::UnknownType {
                    stanza: "iq",
                    value: other.to_owned(),
                });
            }
        };
        Ok(Iq {
            ns: c.ns,
            to: c.to,
            from: c.from,
            id,
            lang: c.lang,
            payload_kind,
        })
    }
}

impl From<Iq> for Element {
    fn from(iq: Iq) -> Element {
        let mut e = start(
            "iq",
            iq.ns,
            iq.to,
            iq.from,
            Some(iq.id),
            iq.lang,
            Some(iq.payload_kind.type_str()),
        );
        match iq.payload_kind {
            IqPayload::Get(p) | IqPayload::Set(p) | IqPayload::Result(Some(p)) => e.push_child(p),
            IqPayload::Result(None) => {}
            IqPayload::Error { error, original } => {
                if let Some(o) = original {
                    e.push_child(o);
                }
                e.push_child(StanzaError { ns: iq.ns, ..error }.into());
            }
        }
        e
    }
}

/// Stanza ids that are unique per stream (a counter) and unpredictable (64 random bits from
/// the caller's generator per id), as RFC 6120 §8.1.3 and UCR-STANZA-14/15 ask.
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
/// let mut ids = xmpp_stanza::IdGenerator::new();
/// let a = ids.next_id(&mut rng);
/// let b = ids.next_id(&mut rng);
/// assert_ne!(a, b);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IdGenerator {
    counter: u64,
}

impl IdGenerator {
    /// A generator whose counter starts at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id: 11 characters of base64url randomness, `-`, the counter in hex. The
    /// generator is rand_core 0.6's (re-exported as [`crate::rand_core`]); with another
    /// `rand` version, use [`next_id_from`](Self::next_id_from).
    pub fn next_id<R: RngCore + CryptoRng>(&mut self, rng: &mut R) -> String {
        let mut bytes = [0u8; 8];
        rng.fill_bytes(&mut bytes);
        self.next_id_from(u64::from_le_bytes(bytes))
    }

    /// The next id from 64 random bits the caller drew with any generator (for example
    /// `rand::random()` of whatever `rand` version the application uses).
    ///
    /// ```
    /// let mut ids = xmpp_stanza::IdGenerator::new();
    /// let id = ids.next_id_from(0x0123_4567_89ab_cdef);
    /// assert!(id.ends_with("-1"));
    /// assert_ne!(ids.next_id_from(0x0123_4567_89ab_cdef), id);
    /// ```
    pub fn next_id_from(&mut self, random: u64) -> String {
        let bytes = random.to_le_bytes();
        let mut id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.counter = self.counter.wrapping_add(1);
        id.push('-');
        id.push_str(&format!("{:x}", self.counter));
        id
    }
}
