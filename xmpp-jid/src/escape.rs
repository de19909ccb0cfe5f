//! XEP-0106 JID escaping of node parts: the characters Nodeprep refuses (space `"` `&` `'` `/`
//! `:` `<` `>` `@`) travel as `\20` `\22` `\26` `\27` `\2f` `\3a` `\3c` `\3e` `\40`, and a
//! backslash that would otherwise start one of those sequences (or `\5c`) travels as `\5c`.
//!
//! Escaping happens where a human or a foreign system hands over an unescaped name; unescaping
//! only for display or gatewaying. Comparison and routing always use the escaped, prepared
//! node. Sequences that are not one of the ten (`\2plus`, `foo\bar`, `\41`) are left alone in
//! both directions (XEP-0106 §4.3).
//!
//! ```
//! use xmpp_jid::escape::{escape_node, unescape_node};
//! let node = escape_node("d'artagnan")?;
//! assert_eq!(node.as_str(), r"d\27artagnan");
//! assert_eq!(unescape_node(&node), "d'artagnan");
//! # Ok::<(), xmpp_jid::JidError>(())
//! ```

use std::borrow::Cow;

use crate::error::JidError;
use crate::limits::MAX_INPUT_LEN;
use crate::parts::NodePart;
use crate::prep::{self, Profile};

/// The ten escape sequences (without the backslash) and the characters they stand for.
const ESCAPES: [(&str, char); 10] = [
    ("20", ' '),
    ("22", '"'),
    ("26", '&'),
    ("27", '\''),
    ("2f", '/'),
    ("3a", ':'),
    ("3c", '<'),
    ("3e", '>'),
    ("40", '@'),
    ("5c", '\\'),
];

/// The character that `rest` (the text after a backslash) starts escaping, if any. Case is
/// significant: `\2F` is not an escape.
fn escaped_char(rest: &str) -> Option<char> {
    let code = rest.get(..2)?;
    ESCAPES.iter().find(|(e, _)| *e == code).map(|&(_, c)| c)
}

/// Escapes a node given in unescaped (display) form and prepares the result with Nodeprep.
///
/// The input is first mapped as Nodeprep maps (case folding, NFKC), so that look-alikes reduce
/// to the characters XEP-0106 escapes (a no-break space becomes `\20`, a fullwidth `＠`
/// becomes `\40`); then each of the nine disallowed characters is escaped, and each backslash
/// that begins one of the ten escape sequences becomes `\5c`. A node may not begin or end with
/// a space ([`JidError::EscapeEdgeSpace`]); everything else Nodeprep refuses stays an error.
pub fn escape_node(unescaped: &str) -> Result<NodePart<'static>, JidError> {
    if unescaped.len() > MAX_INPUT_LEN {
        return Err(JidError::InputTooLong {
            len: unescaped.len(),
            max: MAX_INPUT_LEN,
        });
    }
    let mut mapped = String::with_capacity(unescaped.len());
    prep::map_into(Profile::Nodeprep, unescaped, &mut mapped)?;
    if mapped.starts_with(' ') || mapped.ends_with(' ') {
        return Err(JidError::EscapeEdgeSpace);
    }
    let mut out = String::with_capacity(mapped.len() + 8);
    for (i, c) in mapped.char_indices() {
        match c {
            ' ' | '"' | '&' | '\'' | '/' | ':' | '<' | '>' | '@' => {
                out.push('\\');
                out.push_str(ESCAPES.iter().find(|e| e.1 == c).map_or("", |e| e.0));
            }
            '\\' if escaped_char(&mapped[i + 1..]).is_some() => out.push_str(r"\5c"),
            c => out.push(c),
        }
    }
    NodePart::new(&out).map(NodePart::into_owned)
}

/// Turns the ten XEP-0106 escape sequences of a node back into the characters they stand for,
/// left to right (so `\5c27` gives `\27`, not `'`). Anything else is kept as it is.
pub fn unescape_node(escaped: &str) -> Cow<'_, str> {
    if !escaped.contains('\\') {
        return Cow::Borrowed(escaped);
    }
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        match escaped_char(&rest[i + 1..]) {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

// Here rather than in `parts`, so that the parts do not depend on escaping.
impl NodePart<'_> {
    /// The node with XEP-0106 escapes (`\20`, `\40`, ...) turned back into the characters they
    /// stand for, for display or gatewaying. See [`crate::escape`].
    pub fn unescape(&self) -> Cow<'_, str> {
        unescape_node(self.as_str())
    }
}
