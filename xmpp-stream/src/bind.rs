//! Resource binding (RFC 6120 §7) and the legacy session step (RFC 3921 §3): the IQs on
//! the wire and the server application's decision about a bind request.
//!
//! This module owns the `<iq><bind/></iq>` request and result elements, their parsing, the
//! bind error answers, and [`BindDecision`]: how the server application answers a
//! `Event::BindRequest`, including the three conflict
//! policies of RFC 6120 §7.7.2.2 (override with a generated resource, take over by closing
//! the old session with `<conflict/>`, or refuse the newcomer with a `<conflict/>` stanza
//! error).
//!
//! ```
//! use xmpp_stream::bind::{bind_request, parse_bind_request};
//! let iq = bind_request("jabber:client", "b1", Some("balcony"));
//! assert_eq!(parse_bind_request(&iq), Some(Ok(Some("balcony".to_owned()))));
//! ```

use crate::features::NS_SESSION;
use crate::xml::{Element, ns};

/// Why a bind request is refused (answered with an IQ error, the stream stays open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindError {
    /// `<conflict/>` (`cancel`): the requested resource is in use and the server refuses
    /// the newcomer (policy 3); the client may retry with another resource.
    Conflict,
    /// `<not-allowed/>` (`cancel`): the client may not bind a resource.
    NotAllowed,
    /// `<bad-request/>` (`modify`): the resource cannot be processed.
    BadRequest,
    /// `<resource-constraint/>` (`wait`): too many resources bound for the account.
    ResourceConstraint,
}

impl BindError {
    /// The stanza error condition name.
    pub fn condition(self) -> &'static str {
        match self {
            BindError::Conflict => "conflict",
            BindError::NotAllowed => "not-allowed",
            BindError::BadRequest => "bad-request",
            BindError::ResourceConstraint => "resource-constraint",
        }
    }

    /// The stanza error type.
    pub fn error_type(self) -> &'static str {
        match self {
            BindError::Conflict | BindError::NotAllowed => "cancel",
            BindError::BadRequest => "modify",
            BindError::ResourceConstraint => "wait",
        }
    }

    fn from_condition(name: &str) -> Option<BindError> {
        Some(match name {
            "conflict" => BindError::Conflict,
            "not-allowed" => BindError::NotAllowed,
            "bad-request" => BindError::BadRequest,
            "resource-constraint" => BindError::ResourceConstraint,
            _ => return None,
        })
    }
}

/// The server application's answer to a bind request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BindDecision {
    /// Bind this resource (the requested one, a fixed-up one, or a generated one: the
    /// client adopts whatever the result carries). For the take-over policy, close the old
    /// session with `Connection::close_with_error`
    /// and `<conflict/>` first.
    Accept(String),
    /// Refuse with an IQ error; the stream stays open.
    Refuse(BindError),
}

/// A bind request IQ (`<iq type='set'><bind><resource/>?</bind></iq>`) in `content_ns`.
pub fn bind_request(content_ns: &str, id: &str, resource: Option<&str>) -> Element {
    let mut bind = Element::new("bind", ns::BIND);
    if let Some(r) = resource {
        bind.push_child(
            Element::builder("resource", ns::BIND)
                .text(r.to_owned())
                .build(),
        );
    }
    Element::builder("iq", content_ns.to_owned())
        .attr("id", id.to_owned())
        .attr("type", "set")
        .child(bind)
        .build()
}

/// If `iq` is a bind request, the requested resource (`None`: server-generated), or
/// `Err(())` for a malformed one (empty `<resource/>`, several resources).
#[allow(clippy::result_unit_err)]
pub fn parse_bind_request(iq: &Element) -> Option<Result<Option<String>, ()>> {
    if iq.name() != "iq" || iq.attr("type") != Some("set") {
        return None;
    }
    let bind = iq.child("bind", ns::BIND)?;
    let mut resources = bind.children_named("resource", ns::BIND);
    let first = resources.next();
    if resources.next().is_some() {
        return Some(Err(()));
    }
    Some(match first {
        None => Ok(None),
        Some(r) => {
            let text = r.text();
            let text = text.trim();
            if text.is_empty() {
                Err(())
            } else {
                Ok(Some(text.to_owned()))
            }
        }
    })
}

/// The bind result carrying the full JID.
pub fn bind_result(content_ns: &str, id: &str, jid: &str) -> Element {
    Element::builder("iq", content_ns.to_owned())
        .attr("id", id.to_owned())
        .attr("type", "result")
        .child(
            Element::builder("bind", ns::BIND)
                .child(
                    Element::builder("jid", ns::BIND)
                        .text(jid.to_owned())
                        .build(),
                )
                .build(),
        )
        .build()
}

/// An IQ error answering request `id` with a stanza error condition.
pub fn iq_error(content_ns: &str, id: &str, condition: &str, error_type: &str) -> Element {
    Element::builder("iq", content_ns.to_owned())
        .attr("id", id.to_owned())
        .attr("type", "error")
        .child(
            Element::builder("error", content_ns.to_owned())
                .attr("type", error_type.to_owned())
                .child(Element::new(condition.to_owned(), ns::STANZAS))
                .build(),
        )
        .build()
}

/// The bind error answer.
pub fn bind_error(content_ns: &str, id: &str, error: BindError) -> Element {
    iq_error(content_ns, id, error.condition(), error.error_type())
}

/// The outcome of a bind exchange as the client reads the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOutcome {
    /// The JID the server assigned (trimmed; the client must adopt it).
    Bound(String),
    /// A bind error; `None` when the condition is not one of [`BindError`].
    Refused(Option<BindError>),
    /// A result without a usable `<jid/>`.
    Malformed,
}

/// Reads the answer to a bind request (`iq` with a matching id, type result or error).
pub fn parse_bind_answer(iq: &Element) -> BindOutcome {
    match iq.attr("type") {
        Some("result") => {
            let Some(jid) = iq
                .child("bind", ns::BIND)
                .and_then(|b| b.child("jid", ns::BIND))
            else {
                return BindOutcome::Malformed;
            };
            let text = jid.text();
            let text = text.trim();
            if text.is_empty() {
                BindOutcome::Malformed
            } else {
                BindOutcome::Bound(text.to_owned())
            }
        }
        Some("error") => {
            let cond = iq.children().find(|c| c.name() == "error").and_then(|e| {
                e.children()
                    .find(|c| c.ns() == ns::STANZAS && c.name() != "text")
                    .and_then(|c| BindError::from_condition(c.name()))
            });
            BindOutcome::Refused(cond)
        }
        _ => BindOutcome::Malformed,
    }
}

/// The legacy session request (`<iq type='set'><session/></iq>`).
pub fn session_request(content_ns: &str, id: &str) -> Element {
    Element::builder("iq", content_ns.to_owned())
        .attr("id", id.to_owned())
        .attr("type", "set")
        .child(Element::new("session", NS_SESSION))
        .build()
}

/// Whether `iq` is a legacy session request.
pub fn is_session_request(iq: &Element) -> bool {
    iq.name() == "iq" && iq.attr("type") == Some("set") && iq.has_child("session", NS_SESSION)
}

/// An empty IQ result for request `id`.
pub fn iq_result(content_ns: &str, id: &str) -> Element {
    Element::builder("iq", content_ns.to_owned())
        .attr("id", id.to_owned())
        .attr("type", "result")
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_bind_8_server_generated_request_has_empty_bind() {
        let iq = bind_request(ns::CLIENT, "bind_1", None);
        assert_eq!(
            iq.to_xml().unwrap(),
            "<iq xmlns='jabber:client' id='bind_1' type='set'>\
             <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
        );
        assert_eq!(parse_bind_request(&iq), Some(Ok(None)));
    }

    #[test]
    fn malformed_bind_requests() {
        let iq = |bind: Element, ty: &str| {
            Element::builder("iq", ns::CLIENT)
                .attr("type", ty.to_owned())
                .attr("id", "x")
                .child(bind)
                .build()
        };
        let res = |t: &str| {
            Element::builder("resource", ns::BIND)
                .text(t.to_owned())
                .build()
        };
        let two = iq(
            Element::builder("bind", ns::BIND)
                .child(res("a"))
                .child(res("b"))
                .build(),
            "set",
        );
        assert_eq!(parse_bind_request(&two), Some(Err(())));
        let empty = iq(
            Element::builder("bind", ns::BIND).child(res(" ")).build(),
            "set",
        );
        assert_eq!(parse_bind_request(&empty), Some(Err(())));
        let get = iq(Element::new("bind", ns::BIND), "get");
        assert_eq!(parse_bind_request(&get), None);
    }

    #[test]
    fn ucr_bind_9_result_jid_is_trimmed() {
        // The draft's example wraps the JID in newlines (vector 03).
        let iq = bind_result(
            ns::CLIENT,
            "bind_1",
            "\njuliet@example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb\n",
        );
        assert_eq!(
            parse_bind_answer(&iq),
            BindOutcome::Bound("juliet@example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb".into())
        );
        let r = bind_result(ns::CLIENT, "b", "a@b/c");
        assert_eq!(parse_bind_answer(&r), BindOutcome::Bound("a@b/c".into()));
    }

    #[test]
    fn bind_errors_round_trip() {
        for e in [
            BindError::Conflict,
            BindError::NotAllowed,
            BindError::BadRequest,
            BindError::ResourceConstraint,
        ] {
            let iq = bind_error(ns::CLIENT, "b", e);
            assert_eq!(parse_bind_answer(&iq), BindOutcome::Refused(Some(e)));
        }
        // Vector 04: the conflict stanza error.
        assert_eq!(
            bind_error(ns::CLIENT, "bind_2", BindError::Conflict)
                .to_xml()
                .unwrap(),
            "<iq xmlns='jabber:client' id='bind_2' type='error'><error type='cancel'>\
             <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        );
    }

    #[test]
    fn session_request_is_recognised() {
        let iq = session_request(ns::CLIENT, "s1");
        assert!(is_session_request(&iq));
        assert!(!is_session_request(&iq_result(ns::CLIENT, "s1")));
    }
}
