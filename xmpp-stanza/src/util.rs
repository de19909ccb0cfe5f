//! Small shared helpers for reading elements (crate-private).

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::ParseError;

/// Checks that `e` is `<name xmlns=ns>`.
pub(crate) fn check(e: &Element, name: &'static str, ns: &'static str) -> Result<(), ParseError> {
    if e.is(name, ns) {
        Ok(())
    } else {
        Err(ParseError::WrongElement {
            expected_name: name,
            expected_ns: ns,
            name: e.name().to_owned(),
            ns: e.ns().to_owned(),
        })
    }
}

/// A required attribute.
pub(crate) fn req_attr<'a>(
    e: &'a Element,
    element: &'static str,
    attr: &'static str,
) -> Result<&'a str, ParseError> {
    e.attr(attr)
        .ok_or(ParseError::MissingAttribute { element, attr })
}

/// An optional attribute holding a JID.
pub(crate) fn opt_jid(
    e: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<Option<Jid>, ParseError> {
    match e.attr(attr) {
        None => Ok(None),
        Some(v) => Jid::new(v).map(Some).map_err(|source| ParseError::BadJid {
            element,
            attr,
            source,
        }),
    }
}

/// A required attribute holding a JID.
pub(crate) fn req_jid(
    e: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<Jid, ParseError> {
    opt_jid(e, element, attr)?.ok_or(ParseError::MissingAttribute { element, attr })
}

/// A boolean attribute (XML Schema: `true`, `false`, `1`, `0`).
pub(crate) fn parse_bool(
    value: &str,
    element: &'static str,
    attr: &'static str,
) -> Result<bool, ParseError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ParseError::BadAttribute {
            element,
            attr,
            value: value.to_owned(),
            reason: "not a boolean (true, false, 1, 0)",
        }),
    }
}

/// Refuses any child element (for elements whose content is text only).
pub(crate) fn no_children(e: &Element, element: &'static str) -> Result<(), ParseError> {
    match e.children().next() {
        None => Ok(()),
        Some(c) => Err(ParseError::UnexpectedChild {
            element,
            child: c.name().to_owned(),
        }),
    }
}
