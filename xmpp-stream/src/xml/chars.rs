//! Character classes and escaping shared by the reader and the writer.

use xmlparser::XmlCharExt;

/// Whether `c` is a `Char` of XML 1.0 (production [2]). `str` excludes surrogates already.
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

/// What went wrong while decoding references in text or an attribute value.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// A reference to an entity other than the five predefined ones (restricted XML).
    Entity(String),
    /// A malformed reference, or a character reference to a character XML forbids.
    Malformed(String),
}

/// Decodes character data: the five predefined entities and character references, and
/// line-end normalisation (`\r\n` and lone `\r` become `\n`). `attr` also applies
/// attribute-value normalisation (literal tab, newline and carriage return become spaces).
///
/// Returns `None` when `raw` needs no change, so that the caller can keep a slice.
pub(crate) fn decode(raw: &str, attr: bool) -> Result<Option<String>, DecodeError> {
    let bytes = raw.as_bytes();
    let Some(first) = next_special(bytes, attr) else {
        return Ok(None);
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'&' => {
                let rest = &raw[i + 1..];
                let Some(end) = rest.bytes().take(64).position(|b| b == b';') else {
                    let shown: String = rest.chars().take(16).collect();
                    return Err(DecodeError::Malformed(format!(
                        "'&' not followed by a reference (\"&{shown}\")"
                    )));
                };
                let name = &rest[..end];
                out.push(reference(name)?);
                i += end + 2;
            }
            b'\r' => {
                out.push(if attr { ' ' } else { '\n' });
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' | b'\t' if attr => {
                out.push(' ');
                i += 1;
            }
            _ => {
                // Copy up to the next byte of interest in one go.
                let next = next_special(&bytes[i..], attr).map_or(bytes.len(), |n| i + n);
                out.push_str(&raw[i..next]);
                i = next;
            }
        }
    }
    Ok(Some(out))
}

/// The position of the next byte `decode` must act on.
fn next_special(bytes: &[u8], attr: bool) -> Option<usize> {
    if attr {
        // Attribute values are short: one pass beats several memchr calls.
        bytes
            .iter()
            .position(|&b| matches!(b, b'&' | b'\r' | b'\n' | b'\t'))
    } else {
        memchr::memchr2(b'&', b'\r', bytes)
    }
}

/// The character a reference body (between `&` and `;`) stands for.
fn reference(name: &str) -> Result<char, DecodeError> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = if let Some(hex) = name.strip_prefix("#x") {
                (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
            } else if let Some(dec) = name.strip_prefix('#') {
                (!dec.is_empty() && dec.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| dec.parse::<u32>().ok())
                    .flatten()
            } else if is_name(name) {
                return Err(DecodeError::Entity(name.to_owned()));
            } else {
                return Err(DecodeError::Malformed(format!(
                    "malformed reference \"&{name};\""
                )));
            };
            match number.and_then(char::from_u32) {
                Some(c) if is_xml_char(c) => c,
                _ => {
                    return Err(DecodeError::Malformed(format!(
                        "character reference \"&{name};\" is not an XML character"
                    )));
                }
            }
        }
    };
    Ok(c)
}

/// Whether `s` is an XML `Name` (colons allowed).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_xml_name_start() => chars.all(|c| c.is_xml_name()),
        _ => false,
    }
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

    fn dec(raw: &str, attr: bool) -> String {
        match decode(raw, attr) {
            Ok(Some(s)) => s,
            Ok(None) => raw.to_owned(),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn ucr_xml_2_predefined_entities_and_character_references_are_decoded() {
        assert_eq!(dec("a &lt;&gt;&amp;&quot;&apos; b", false), "a <>&\"' b");
        assert_eq!(dec("&#65;&#x42;&#x1F600;&#10;", false), "AB😀\n");
        assert!(matches!(decode("plain", false), Ok(None)));
        assert!(matches!(decode("tab\there", false), Ok(None)));
    }

    #[test]
    fn line_ends_and_attribute_whitespace_are_normalised() {
        assert_eq!(dec("a\r\nb\rc\nd", false), "a\nb\nc\nd");
        assert_eq!(dec("a\r\nb\rc\nd\te", true), "a b c d e");
        // Character references survive normalisation.
        assert_eq!(dec("&#xD;&#xA;&#x9;", true), "\r\n\t");
    }

    #[test]
    fn ucr_xml_2_other_entities_are_restricted() {
        for (raw, name) in [
            ("&nbsp;", "nbsp"),
            ("x &foo:bar; y", "foo:bar"),
            ("&xxe;", "xxe"),
        ] {
            match decode(raw, false) {
                Err(DecodeError::Entity(n)) => assert_eq!(n, name),
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_references_are_not_well_formed() {
        for raw in [
            "&",
            "a & b",
            "&;",
            "&#;",
            "&#x;",
            "&#xZZ;",
            "&#0;",
            "&#x1;",
            "&#xFFFE;",
            "&#xD800;",
            "&#99999999999;",
            "&1abc;",
            "&#-1;",
            "&#x+1;",
        ] {
            assert!(
                matches!(decode(raw, false), Err(DecodeError::Malformed(_))),
                "{raw}"
            );
        }
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
