//! Character classes and escaping shared by the reader and the writer.

use xmlparser::XmlCharExt;

/// Whether `c` is a `Char` of XML 1.0 (production [2]). `str` excludes surrogates already.
#[allow(dead_code)] // Used by the reader.
pub(crate) fn is_xml_char(c: char) -> bool {
    c.is_xml_char()
}

/// Whether `s` is an `NCName` (a name without a colon), the form of every local name and
/// prefix.
pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c != ':' && c.is_xml_name_start() => {}
        _ => return false,
    }
    chars.all(|c| c != ':' && c.is_xml_name())
}

/// Bytes that need a look in text content: markup characters, `\r` (kept through
/// line-end normalisation as `&#xD;`), control bytes XML forbids, and `0xEF` which starts
/// the forbidden U+FFFE and U+FFFF.
const fn text_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = !(i == 0x09 || i == 0x0A);
        i += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[0xEF] = true;
    t
}

/// As [`text_table`], plus both quotes, and tab and newline, which attribute-value
/// normalisation would otherwise turn into spaces.
const fn attr_table() -> [bool; 256] {
    let mut t = text_table();
    t[0x09] = true;
    t[0x0A] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t
}

static TEXT: [bool; 256] = text_table();
static ATTR: [bool; 256] = attr_table();

/// A character that XML 1.0 does not allow, found while writing.
pub(crate) struct ForbiddenChar(pub(crate) char);

fn escape(s: &str, out: &mut Vec<u8>, table: &[bool; 256]) -> Result<(), ForbiddenChar> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !table[b as usize] {
            i += 1;
            continue;
        }
        let replacement: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            0xEF => {
                // U+FFFE is EF BF BE, U+FFFF is EF BF BF; every other EF.. char is fine.
                if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                {
                    let c = if bytes[i + 2] == 0xBE {
                        '\u{FFFE}'
                    } else {
                        '\u{FFFF}'
                    };
                    return Err(ForbiddenChar(c));
                }
                i += 1;
                continue;
            }
            other => return Err(ForbiddenChar(char::from(other))),
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(replacement);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    Ok(())
}

/// Escapes character data: `&`, `<`, `>` and `\r` (so it survives line-end normalisation).
pub(crate) fn escape_text(s: &str, out: &mut Vec<u8>) -> Result<(), ForbiddenChar> {
    escape(s, out, &TEXT)
}

/// Escapes an attribute value: all five predefined entities, plus tab, newline and carriage
/// return as character references so that attribute-value normalisation keeps them.
pub(crate) fn escape_attr(s: &str, out: &mut Vec<u8>) -> Result<(), ForbiddenChar> {
    escape(s, out, &ATTR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut v = Vec::new();
        escape_text(s, &mut v).ok().unwrap();
        String::from_utf8(v).unwrap()
    }

    fn attr(s: &str) -> String {
        let mut v = Vec::new();
        escape_attr(s, &mut v).ok().unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn ucr_xml_2_text_escapes_markup_and_carriage_return() {
        assert_eq!(
            text("a<b>&c\"d'e\r\n\tf"),
            "a&lt;b&gt;&amp;c\"d'e&#xD;\n\tf"
        );
        assert_eq!(text("plain ünïcødé ￼"), "plain ünïcødé ￼");
    }

    #[test]
    fn ucr_xml_2_attributes_escape_all_five_and_whitespace() {
        assert_eq!(
            attr("a<b>&c\"d'e\r\n\tf"),
            "a&lt;b&gt;&amp;c&quot;d&apos;e&#xD;&#xA;&#x9;f"
        );
    }

    #[test]
    fn forbidden_characters_are_refused() {
        for bad in ["\u{0}", "a\u{1}b", "\u{1f}", "x\u{FFFE}", "\u{FFFF}y"] {
            let mut v = Vec::new();
            assert!(escape_text(bad, &mut v).is_err(), "{bad:?}");
            assert!(escape_attr(bad, &mut v).is_err(), "{bad:?}");
        }
        // Neighbours of the forbidden ones are fine.
        assert_eq!(text("\u{FFFD}\u{FFEF}\u{EFFF}"), "\u{FFFD}\u{FFEF}\u{EFFF}");
    }

    #[test]
    fn ncnames() {
        assert!(is_ncname("message"));
        assert!(is_ncname("x-1.y_z"));
        assert!(is_ncname("ünï"));
        assert!(!is_ncname(""));
        assert!(!is_ncname("a:b"));
        assert!(!is_ncname("1a"));
        assert!(!is_ncname("a b"));
        assert!(!is_ncname("-a"));
    }
}
