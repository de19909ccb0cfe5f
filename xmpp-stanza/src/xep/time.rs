//! XEP-0202 entity time: [`EntityTime`].

use xmpp_stream::xml::Element;

use crate::xep::datetime::{DateTime, Tz};
use crate::{ParseError, Payload};

/// `urn:xmpp:time`.
pub const NS: &str = "urn:xmpp:time";

/// `<time xmlns='urn:xmpp:time'>`: empty in the get; `<tzo/>` and `<utc/>` in the result.
///
/// ```
/// use xmpp_stanza::xep::datetime::{DateTime, Tz};
/// use xmpp_stanza::xep::time::EntityTime;
/// use xmpp_stream::xml::Element;
///
/// let now = EntityTime::result(Tz::Offset(-360), DateTime::from_unix(1_166_550_515).unwrap());
/// let e = Element::from(now.clone());
/// assert_eq!(e.child("tzo", "urn:xmpp:time").unwrap().text(), "-06:00");
/// assert_eq!(e.child("utc", "urn:xmpp:time").unwrap().text(), "2006-12-19T17:48:35Z");
/// assert_eq!(EntityTime::try_from(&e).unwrap(), now);
/// assert_eq!(EntityTime::try_from(&Element::new("time", "urn:xmpp:time")).unwrap(), EntityTime::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EntityTime {
    /// The entity's offset from UTC (`None` in a request).
    pub tzo: Option<Tz>,
    /// The time in UTC (`None` in a request).
    pub utc: Option<DateTime>,
}

impl EntityTime {
    /// A result: the offset and the UTC time.
    pub fn result(tzo: Tz, utc: DateTime) -> EntityTime {
        EntityTime {
            tzo: Some(tzo),
            utc: Some(utc),
        }
    }
}

impl Payload for EntityTime {
    const NAME: &'static str = "time";
    const NS: &'static str = NS;
}

fn parse_tzo(value: &str) -> Result<Tz, ParseError> {
    let bad = || ParseError::BadText {
        element: "tzo",
        value: value.to_owned(),
        reason: "expected Z or ±hh:mm within ±14:00",
    };
    if value == "Z" {
        return Ok(Tz::Utc);
    }
    let (sign, rest) = match value.as_bytes().first() {
        Some(b'+') => (1, &value[1..]),
        Some(b'-') => (-1, &value[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i16, i16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let minutes = h * 60 + m;
    if m >= 60 || minutes > 14 * 60 {
        return Err(bad());
    }
    Ok(Tz::Offset(sign * minutes))
}

impl TryFrom<&Element> for EntityTime {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let mut t = EntityTime::default();
        for c in e.children() {
            crate::util::no_children(c, "time field")?;
            let text = c.text();
            match (c.ns() == NS, c.name()) {
                (true, "tzo") if t.tzo.is_none() => t.tzo = Some(parse_tzo(text.trim())?),
                (true, "utc") if t.utc.is_none() => t.utc = Some(text.trim().parse()?),
                (true, "tzo" | "utc") => {
                    return Err(ParseError::DuplicateChild {
                        element: "time",
                        child: "tzo or utc",
                        lang: None,
                    });
                }
                _ => {
                    return Err(ParseError::UnexpectedChild {
                        element: "time",
                        child: c.name().to_owned(),
                    });
                }
            }
        }
        if t.tzo.is_some() != t.utc.is_some() {
            return Err(ParseError::MissingChild {
                element: "time",
                child: "tzo and utc together",
            });
        }
        Ok(t)
    }
}

impl From<EntityTime> for Element {
    fn from(t: EntityTime) -> Element {
        let field =
            |n: &'static str, v: Option<String>| v.map(|v| Element::builder(n, NS).text(v).build());
        // XEP-0202 writes a zero offset as "Z" or "+00:00"; both parse.
        Element::builder("time", NS)
            .child_opt(field("tzo", t.tzo.map(|z| z.to_string())))
            .child_opt(field("utc", t.utc.map(|u| u.to_string())))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<EntityTime, ParseError> {
        EntityTime::try_from(&xml.parse::<Element>().unwrap())
    }

    #[test]
    fn the_published_example_parses() {
        let t = parse(
            "<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>",
        )
        .unwrap();
        assert_eq!(t.tzo, Some(Tz::Offset(-360)));
        assert_eq!(t.utc.unwrap().unix_timestamp(), 1_166_551_115);
    }

    #[test]
    fn bad_offsets_duplicates_and_halves_are_errors() {
        for bad in ["+6:00", "06:00", "+15:00", "+01:60", "-0a:00", ""] {
            let xml = format!(
                "<time xmlns='urn:xmpp:time'><tzo>{bad}</tzo><utc>2006-12-19T17:58:35Z</utc></time>"
            );
            assert!(
                matches!(parse(&xml), Err(ParseError::BadText { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse(
                "<time xmlns='urn:xmpp:time'><tzo>Z</tzo><tzo>Z</tzo><utc>2006-12-19T17:58:35Z</utc></time>"
            ),
            Err(ParseError::DuplicateChild { .. })
        ));
        assert!(matches!(
            parse("<time xmlns='urn:xmpp:time'><tzo>Z</tzo></time>"),
            Err(ParseError::MissingChild { .. })
        ));
        assert!(matches!(
            parse("<time xmlns='urn:xmpp:time'><x/></time>"),
            Err(ParseError::UnexpectedChild { .. })
        ));
    }
}
