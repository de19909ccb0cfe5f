//! The fast tokenizer of a complete first-level element: start tags, attributes, end tags
//! and character data as byte ranges of the unit, in one pass over its bytes.
//!
//! It owns the common syntax only: ASCII names (`[A-Za-z_][A-Za-z0-9._-]*`, with at most one
//! `prefix:`), attribute values in either quote, whitespace around `=`, self-closing tags,
//! and character data that `xmlparser` accepts as it is (see `plain_char_data`). Whatever
//! else it meets (non-ASCII names, CDATA, comments, processing instructions, anything
//! malformed) ends it with [`Bail`], and the caller reads the unit again with `xmlparser`,
//! which then gives the exact outcome and error. So on every input where it yields tokens,
//! they are the tokens `xmlparser` yields (the differential tests below check this), and it
//! never has to produce an error message of its own.

use std::ops::Range;

/// The tokenizer met syntax it does not handle (or that is malformed): read the unit with
/// the complete tokenizer instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// A byte range of the unit, in 32 bits to keep tokens small (units longer than 4 GiB are
/// left to `xmlparser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// `start..end`; both at most the unit's length, which fits in `u32`.
    #[inline]
    fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The range, to index the unit with.
    #[inline]
    pub(crate) fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One token: byte ranges into the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `<prefix:local` (prefix empty if none).
    Start { prefix: Span, local: Span },
    /// `prefix:local='value'` inside a start tag (the value without its quotes, undecoded);
    /// `plain` if the value needs no decoding (no `&`, tab, line feed or carriage return).
    Attr {
        prefix: Span,
        local: Span,
        value: Span,
        plain: bool,
    },
    /// `>` ending a start tag.
    Open,
    /// `/>` ending a start tag.
    Empty,
    /// `</prefix:local>`.
    Close { prefix: Span, local: Span },
    /// Character data up to the next `<` (undecoded; XML characters only, no `]]>`).
    Text(Span),
}

/// Byte classes. `NAME`: may continue a name; `START`: may start one; `SPACE`: XML
/// whitespace; `VALUE`: ends or complicates an attribute value (quotes, `<`, C0 controls
/// other than whitespace, and `0xEF`, the first byte of U+FFFE and U+FFFF); `DECODE`: makes
/// a value need decoding (`&`, and the whitespace that attribute-value normalisation turns
/// into spaces).
const NAME: u8 = 1;
const START: u8 = 2;
const SPACE: u8 = 4;
const VALUE: u8 = 8;
const DECODE: u8 = 16;

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_alphabetic() || b == b'_' {
            c |= NAME | START;
        }
        if b.is_ascii_digit() || b == b'-' || b == b'.' {
            c |= NAME;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            c |= SPACE;
        }
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            c |= VALUE;
        }
        if matches!(b, b'\'' | b'"' | b'<' | 0xEF) {
            c |= VALUE;
        }
        if matches!(b, b'&' | b'\t' | b'\n' | b'\r') {
            c |= DECODE;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

#[inline]
fn is(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// The tokenizer over the bytes of one unit (or of the receive buffer, where the unit
/// starts). An iterator of `Result<Tok, Bail>`; after a `Bail` the caller stops. It works
/// on bytes: its checks are exact for UTF-8, and the unit is checked as UTF-8 before any
/// token is used.
#[derive(Debug, Clone)]
pub(crate) struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Inside a start tag, after its name or an attribute.
    in_tag: bool,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        // Spans are 32-bit: a longer unit yields no token at all.
        let bytes = if u32::try_from(bytes.len()).is_ok() {
            bytes
        } else {
            &[]
        };
        Tokens {
            bytes,
            pos: 0,
            in_tag: false,
        }
    }

    /// Where the next token starts (the end of the last one).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The byte at `i`, or `Bail` at the end of the unit.
    #[inline]
    fn at(&self, i: usize) -> Result<u8, Bail> {
        self.bytes.get(i).copied().ok_or(Bail)
    }

    /// An ASCII NCName at `i`; returns its end.
    #[inline]
    fn ncname(&self, i: usize) -> Result<usize, Bail> {
        if !is(self.at(i)?, START) {
            return Err(Bail);
        }
        let rest = &self.bytes[i + 1..];
        let len = rest.iter().position(|&b| !is(b, NAME)).ok_or(Bail)?;
        Ok(i + 1 + len)
    }

    /// A qualified name at `i`: (prefix, local, end). The byte after it is checked to end
    /// a name for `xmlparser` too (ASCII, not a name byte, not a second colon).
    #[inline]
    fn qname(&self, i: usize) -> Result<(Span, Span, usize), Bail> {
        let end = self.ncname(i)?;
        let (prefix, local, end) = if self.bytes[end] == b':' {
            let local_end = self.ncname(end + 1)?;
            (Span::new(i, end), Span::new(end + 1, local_end), local_end)
        } else {
            (Span::new(i, i), Span::new(i, end), end)
        };
        let next = self.bytes[end];
        if next == b':' || next >= 0x80 {
            return Err(Bail);
        }
        Ok((prefix, local, end))
    }

    /// Whitespace from `i`; returns its end.
    #[inline]
    fn spaces(&self, mut i: usize) -> usize {
        while i < self.bytes.len() && is(self.bytes[i], SPACE) {
            i += 1;
        }
        i
    }

    /// Inside a start tag: the next attribute or the tag's end.
    fn in_tag(&mut self) -> Result<Tok, Bail> {
        let i = self.spaces(self.pos);
        let had_space = i > self.pos;
        match self.at(i)? {
            b'>' => {
                self.pos = i + 1;
                self.in_tag = false;
                return Ok(Tok::Open);
            }
            b'/' => {
                if self.at(i + 1)? != b'>' {
                    return Err(Bail);
                }
                self.pos = i + 2;
                self.in_tag = false;
                return Ok(Tok::Empty);
            }
            _ if !had_space => return Err(Bail),
            _ => {}
        }
        let (prefix, local, end) = self.qname(i)?;
        let mut j = self.spaces(end);
        if self.at(j)? != b'=' {
            return Err(Bail);
        }
        j = self.spaces(j + 1);
        let quote = self.at(j)?;
        if quote != b'\'' && quote != b'"' {
            return Err(Bail);
        }
        let start = j + 1;
        let mut k = start;
        let mut plain = true;
        loop {
            let rest = self.bytes.get(k..).ok_or(Bail)?;
            let n = rest
                .iter()
                .position(|&b| is(b, VALUE | DECODE))
                .ok_or(Bail)?;
            k += n;
            match self.bytes[k] {
                b if b == quote => break,
                b'\'' | b'"' => k += 1,
                b'&' | b'\t' | b'\n' | b'\r' => {
                    plain = false;
                    k += 1;
                }
                0xEF if !matches!(self.bytes.get(k + 1..k + 3), Some([0xBF, 0xBE | 0xBF])) => {
                    k += 1;
                }
                _ => return Err(Bail),
            }
        }
        self.pos = k + 1;
        Ok(Tok::Attr {
            prefix,
            local,
            value: Span::new(start, k),
            plain,
        })
    }

    /// At a `<` outside a tag.
    fn markup(&mut self) -> Result<Tok, Bail> {
        let i = self.pos;
        match self.at(i + 1)? {
            b'/' => {
                let (prefix, local, end) = self.qname(i + 2)?;
                let j = self.spaces(end);
                if self.at(j)? != b'>' {
                    return Err(Bail);
                }
                self.pos = j + 1;
                Ok(Tok::Close { prefix, local })
            }
            b'!' | b'?' => Err(Bail),
            _ => {
                let (prefix, local, end) = self.qname(i + 1)?;
                self.pos = end;
                self.in_tag = true;
                Ok(Tok::Start { prefix, local })
            }
        }
    }

    /// Character data from `pos` to the next `<`.
    fn text(&mut self) -> Result<Tok, Bail> {
        let start = self.pos;
        let end =
            memchr::memchr(b'<', &self.bytes[start..]).map_or(self.bytes.len(), |n| start + n);
        if !plain_char_data(&self.bytes[start..end]) {
            return Err(Bail);
        }
        self.pos = end;
        Ok(Tok::Text(Span::new(start, end)))
    }
}

impl Iterator for Tokens<'_> {
    type Item = Result<Tok, Bail>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.in_tag {
            return Some(self.in_tag());
        }
        let &b = self.bytes.get(self.pos)?;
        Some(if b == b'<' {
            self.markup()
        } else {
            self.text()
        })
    }
}

/// Whether `raw` (character data up to the next `<`) is text exactly as `xmlparser`
/// accepts it: every character is an XML `Char` (no C0 control but tab, line feed and
/// carriage return; no U+FFFE or U+FFFF) and `]]>` does not occur. Exact for UTF-8 (where
/// `EF BF BE` and `EF BF BF` can only be U+FFFE and U+FFFF). Most text has none of the
/// bytes that could start a problem, which is checked 32 bytes at a time.
pub(crate) fn plain_char_data(raw: &[u8]) -> bool {
    let suspicious =
        |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == b']' || b == 0xEF;
    let mut blocks = raw.chunks_exact(32);
    let mut any = false;
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            any = true;
            break;
        }
    }
    if !any && !blocks.remainder().iter().any(|&b| suspicious(b)) {
        return true;
    }
    // The exact rule, for the rare text that needs it.
    memchr::memmem::find(raw, b"]]>").is_none()
        && raw.iter().enumerate().all(|(i, &b)| match b {
            0xEF => !matches!(raw.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
            _ => b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use xmlparser::{ElementEnd, StrSpan, Token, Tokenizer};

    /// `xmlparser`'s token as a [`Tok`], `None` for tokens the fast tokenizer never yields
    /// (comments, CDATA, ...).
    fn from_xmlparser(token: Token<'_>) -> Option<Tok> {
        let r = |s: StrSpan<'_>| Span::new(s.range().start, s.range().end);
        Some(match token {
            Token::ElementStart { prefix, local, .. } => Tok::Start {
                prefix: r(prefix),
                local: r(local),
            },
            Token::Attribute {
                prefix,
                local,
                value,
                ..
            } => Tok::Attr {
                prefix: r(prefix),
                local: r(local),
                plain: !value.as_str().contains(['&', '\t', '\n', '\r']),
                value: r(value),
            },
            Token::ElementEnd {
                end: ElementEnd::Open,
                ..
            } => Tok::Open,
            Token::ElementEnd {
                end: ElementEnd::Empty,
                ..
            } => Tok::Empty,
            Token::ElementEnd {
                end: ElementEnd::Close(prefix, local),
                ..
            } => Tok::Close {
                prefix: r(prefix),
                local: r(local),
            },
            Token::Text { text } => Tok::Text(r(text)),
            _ => return None,
        })
    }

    /// An empty prefix is `0..0` in `xmlparser` and empty at the name in ours: only its
    /// emptiness counts.
    fn normal(tok: Tok) -> Tok {
        let n = |r: Span| if r.start == r.end { Span::new(0, 0) } else { r };
        match tok {
            Tok::Start { prefix, local } => Tok::Start {
                prefix: n(prefix),
                local,
            },
            Tok::Attr {
                prefix,
                local,
                value,
                plain,
            } => Tok::Attr {
                prefix: n(prefix),
                local,
                value,
                plain,
            },
            Tok::Close { prefix, local } => Tok::Close {
                prefix: n(prefix),
                local,
            },
            other => other,
        }
    }

    /// Runs both tokenizers over `input`: every token the fast one yields must be the
    /// token `xmlparser` yields at that point, and if the fast one reaches the end without
    /// bailing, `xmlparser` must accept the whole input too. Returns whether the fast
    /// tokenizer got to the end.
    fn agrees(input: &str) -> bool {
        let mut reference = Tokenizer::from_fragment(input, 0..input.len());
        for fast in Tokens::new(input.as_bytes()) {
            let Ok(fast) = fast else {
                return false;
            };
            let theirs = reference.next();
            let theirs = match theirs {
                Some(Ok(t)) => from_xmlparser(t),
                other => panic!("{input:?}: fast gave {fast:?}, xmlparser {other:?}"),
            };
            assert_eq!(Some(normal(fast)), theirs.map(normal), "{input:?}");
        }
        assert!(
            reference.next().is_none(),
            "{input:?}: fast tokenizer ended, xmlparser did not"
        );
        true
    }

    #[test]
    fn tokens_stay_small() {
        // The reader keeps every token of a unit: 3 spans and a flag for the largest.
        assert!(
            std::mem::size_of::<Tok>() <= 28,
            "{}",
            std::mem::size_of::<Tok>()
        );
    }

    #[test]
    fn common_syntax_is_tokenized_like_xmlparser() {
        for input in [
            "<message to='a@b' type=\"chat\"><body>Hi &amp; bye</body></message>",
            "<a/>",
            "<a />",
            "<a\n\tb = 'x'\r\n/>",
            "<p:a xmlns:p='urn:x' p:b='&#x41;&lt;'></p:a >",
            "<a b='\"' c=\"'\"/>",
            "<a b='caf\u{e9} \u{FFFD}\u{EFFF}'>\u{1F600}</a>",
            "<a>x>y</a>",
            "<a>\n  <b/>\n</a>",
            "<_x-1.y A_B='' ></_x-1.y>",
        ] {
            assert!(agrees(input), "fast tokenizer bailed on {input:?}");
        }
    }

    #[test]
    fn unusual_or_malformed_syntax_is_left_to_xmlparser() {
        for input in [
            "<\u{fc}/>",
            "<a\u{b7}b/>",
            "<a b\u{e9}='1'/>",
            "<:a/>",
            "<a:/>",
            "<a:b:c/>",
            "<1a/>",
            "<-a/>",
            "<a b='1'c='2'/>",
            "<a b=1/>",
            "<a b='1\"/>",
            "<a b='<'/>",
            "<a b='\u{1}'/>",
            "<a b='\u{FFFE}'/>",
            "<a b='\u{FFFF}'/>",
            "<a b/>",
            "<a / >",
            "<a><![CDATA[x]]></a>",
            "<a><!-- c --></a>",
            "<a><?pi x?></a>",
            "<a>]]></a>",
            "<a>\u{1}</a>",
            "< a/>",
            "</ a>",
            "<a></a b>",
            "<a",
            "<a b='1'",
            "<",
        ] {
            assert!(!agrees(input), "fast tokenizer accepted {input:?}");
        }
    }

    /// A piece of tag syntax: a start tag, an end tag or text, often malformed.
    pub(crate) fn piece() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            Just("a"),
            Just("item"),
            Just("p:a"),
            Just("xmlns"),
            Just("xmlns:p"),
            Just("_n-1.2"),
            Just("\u{fc}"),
            Just("a\u{b7}"),
            Just(":a"),
            Just("a:"),
            Just("a:b:c"),
            Just("1a"),
            Just("-a"),
            Just(""),
        ];
        let space = prop_oneof![Just(""), Just(" "), Just("\t"), Just("\r\n"), Just("  ")];
        let value = prop_oneof![
            Just(""),
            Just("v"),
            Just("a&amp;b"),
            Just("&#x41;"),
            Just("&foo;"),
            Just("<"),
            Just(">"),
            Just("'"),
            Just("\""),
            Just("\u{1}"),
            Just("\t\n"),
            Just("\u{FFFE}"),
            Just("\u{FFFD}"),
            Just("\u{EFFF}"),
            Just("\u{e9}"),
        ];
        let quote = prop_oneof![Just("'"), Just("\"")];
        let attr = (
            space.clone(),
            name.clone(),
            space.clone(),
            prop_oneof![Just("="), Just("")],
            space.clone(),
            quote.clone(),
            value.clone(),
            quote,
        )
            .prop_map(|(s0, n, s1, eq, s2, q1, v, q2)| format!("{s0}{n}{s1}{eq}{s2}{q1}{v}{q2}"));
        let start = (
            name.clone(),
            prop::collection::vec(attr, 0..4),
            space.clone(),
            prop_oneof![Just(">"), Just("/>"), Just("/ >"), Just("")],
        )
            .prop_map(|(n, attrs, s, end)| format!("<{n}{}{s}{end}", attrs.concat()));
        let close = (space, name).prop_map(|(s, n)| format!("</{n}{s}>"));
        let text = prop_oneof![
            Just("hi"),
            Just(" "),
            Just("a]]>b"),
            Just("]]"),
            Just("&amp;"),
            Just("&x;"),
            Just("\u{1}"),
            Just("\u{FFFF}"),
            Just("x>y"),
            Just("<!-- c -->"),
            Just("<![CDATA[c]]>"),
            Just("<?p?>"),
            Just("<"),
            Just("&"),
        ]
        .prop_map(str::to_owned);
        prop_oneof![3 => start, 2 => close, 1 => text]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Differential: on generated tag syntax (names with and without prefixes, both
        /// quotes, references, whitespace around `=`, self-closing, and malformed
        /// variants), the fast tokenizer yields exactly `xmlparser`'s tokens or bails.
        #[test]
        fn fast_tokens_are_xmlparser_tokens(pieces in prop::collection::vec(piece(), 1..10)) {
            agrees(&pieces.concat());
        }
    }
}
