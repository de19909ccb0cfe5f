//! Interning of the names and short values that make up most of XMPP traffic.
//!
//! The reader hands out names and values as slices of the receive buffer; each slice costs
//! a reference-count increment when made and a decrement when dropped. Common element and
//! attribute names, prefixes and short attribute values are instead returned as `'static`
//! strings, which cost neither and do not keep the receive buffer alive.

use super::shared_str::SharedStr;

/// String equality without a call into the C library's `memcmp`: names are short, and the
/// call costs more than the comparison (it showed up as 8-11% of reading a roster).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 32 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The entry of `table` (all of `s`'s length) equal to `s`; the first byte rules out most.
fn find(table: &[&'static str], s: &str) -> Option<&'static str> {
    let first = *s.as_bytes().first()?;
    table
        .iter()
        .copied()
        .find(|k| k.as_bytes()[0] == first && same(k, s))
}

/// Element and attribute local names, prefixes, grouped by length (looked up by length
/// first, so a miss costs a handful of comparisons at most).
fn known_name(s: &str) -> Option<&'static str> {
    let table: &[&'static str] = match s.len() {
        1 => &["c", "x", "a", "r"],
        2 => &["to", "id", "iq", "by", "sm"],
        3 => &["jid", "ver", "var", "ask", "xml", "uri", "ext", "rel"],
        4 => &[
            "type", "from", "body", "item", "name", "show", "lang", "node", "hash", "bind", "nick",
            "code", "href", "link", "auth",
        ],
        5 => &[
            "query", "group", "delay", "stamp", "error", "items", "entry", "title", "event",
            "photo", "label",
        ],
        6 => &[
            "thread", "status", "active", "stream", "paused", "author", "enable",
        ],
        7 => &[
            "message", "content", "updated", "feature", "request", "enabled", "success", "proceed",
            "subject",
        ],
        8 => &[
            "presence", "priority", "identity", "category", "inactive", "received", "resource",
            "starttls", "markable", "approved",
        ],
        9 => &[
            "origin-id",
            "stanza-id",
            "composing",
            "published",
            "displayed",
            "reference",
            "challenge",
        ],
        12 => &["subscription"],
        _ => return None,
    };
    find(table, s)
}

/// Short attribute values that recur in almost every stanza.
fn known_value(s: &str) -> Option<&'static str> {
    let table: &[&'static str] = match s.len() {
        1 => &["0", "1"],
        2 => &["to", "en", "xa"],
        3 => &["get", "set", "dnd"],
        4 => &["chat", "both", "from", "none", "away", "text", "true"],
        5 => &["error", "sha-1", "false", "probe"],
        6 => &["result", "normal", "remove"],
        8 => &["headline"],
        9 => &["groupchat", "subscribe"],
        10 => &["subscribed"],
        11 => &["unavailable", "unsubscribe"],
        12 => &["unsubscribed"],
        _ => return None,
    };
    find(table, s)
}

/// `s` (a sub-slice of `unit`) as a shared string: static if it is a common name, else a
/// slice of `unit`.
pub(crate) fn name(unit: &SharedStr, s: &str) -> SharedStr {
    match known_name(s) {
        Some(k) => SharedStr::from_static(k),
        None => unit.slice_ref(s),
    }
}

/// `s` (a sub-slice of `unit`, needing no decoding) as a shared string: static if it is a
/// common short value, else a slice of `unit`.
pub(crate) fn value(unit: &SharedStr, s: &str) -> SharedStr {
    match known_value(s) {
        Some(k) => SharedStr::from_static(k),
        None => unit.slice_ref(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_static_and_equal() {
        let unit = SharedStr::copy_from("message subscription sha-1 juliet");
        let text = unit.as_str();
        for (s, interned) in [
            (&text[..7], true),
            (&text[8..20], true),
            (&text[27..], false),
        ] {
            let n = name(&unit, s);
            assert_eq!(n, s);
            // A static string does not point into the unit.
            let inside = n.as_ptr() >= text.as_ptr() && n.as_ptr() < text[text.len()..].as_ptr();
            assert_eq!(inside, !interned, "{s}");
        }
        let v = value(&unit, &text[21..26]);
        assert_eq!(v, "sha-1");
        assert_ne!(v.as_ptr(), text[21..].as_ptr());
        assert_eq!(value(&unit, &text[27..]).as_ptr(), text[27..].as_ptr());
    }

    #[test]
    fn same_is_string_equality() {
        let long = "x".repeat(40);
        for (a, b) in [
            ("", ""),
            ("a", ""),
            ("item", "item"),
            ("item", "itex"),
            ("ab", "abc"),
        ] {
            assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
        }
        assert!(same(&long, &long.clone()));
        assert!(!same(&long, &format!("{}y", &long[1..])));
    }

    #[test]
    fn tables_are_in_the_right_length_group() {
        for s in [
            "c", "to", "jid", "type", "query", "thread", "message", "presence",
        ] {
            assert_eq!(known_name(s), Some(s));
        }
        for s in ["chat", "result", "groupchat", "unsubscribed"] {
            assert_eq!(known_value(s), Some(s));
        }
        assert_eq!(known_name("mess"), None);
        assert_eq!(known_value("resul"), None);
    }
}
