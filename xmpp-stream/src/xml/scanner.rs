//! The framing scanner of the [`Reader`](super::reader::Reader): where the current unit (stream
//! header, first-level element, stream close) ends, found by looking at each received byte once
//! and resuming where the last look stopped; restricted XML (comments, processing
//! instructions, DTDs), the encoding and the depth limit are checked as the bytes arrive. The
//! reader owns the buffer and the events; this module only reads bytes.

use super::error::{Restricted, XmlError};
use super::limits::ReaderLimits;
use super::tree::RootName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitKind {
    Declaration,
    Header,
    Element,
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// In character data, looking for `<`.
    Text,
    /// At a `<` (at `pos`), deciding what markup it starts.
    Lt,
    /// In a tag, looking for `>`; `quote` is the open quote, 0 outside a value.
    Tag { quote: u8, close: bool },
    /// In a CDATA section, looking for `]]>`.
    Cdata,
    /// In the XML declaration, looking for `?>`.
    Declaration,
}

/// Where the scanner is in the unit that starts at the beginning of the buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scan {
    pub(super) kind: UnitKind,
    pub(super) mode: Mode,
    pub(super) pos: usize,
    pub(super) depth: usize,
}

pub(super) enum Step {
    NeedMore,
    Complete(usize),
}

pub(super) enum ScanError {
    Restricted(Restricted, usize),
    Malformed(&'static str, usize),
    Depth,
}

/// Classifies `<!...` at the start of `buf`: `None` if more bytes are needed, a restricted
/// construct, or `Err` for anything else (CDATA is only legal inside elements).
pub(super) fn markup_decl(buf: &[u8]) -> Option<Result<Restricted, ()>> {
    const COMMENT: &[u8] = b"<!--";
    if buf.len() < 3 {
        return None;
    }
    match buf[2] {
        b'-' if buf.len() < COMMENT.len() => None,
        b'-' if buf.starts_with(COMMENT) => Some(Ok(Restricted::Comment)),
        c if c.is_ascii_uppercase() => Some(Ok(Restricted::Doctype)),
        _ => Some(Err(())),
    }
}

/// The byte patterns of XML 1.0 appendix F that betray an encoding other than UTF-8.
pub(super) const ENCODING_MARKS: [(&[u8], &str); 9] = [
    (&[0xFF, 0xFE, 0x00, 0x00], "UTF-32LE"),
    (&[0x3C, 0x00, 0x00, 0x00], "UTF-32LE"),
    (&[0x00, 0x00, 0xFE, 0xFF], "UTF-32BE"),
    (&[0x00, 0x00, 0x00, 0x3C], "UTF-32BE"),
    (&[0x4C, 0x6F, 0xA7, 0x94], "EBCDIC"),
    (&[0xFE, 0xFF], "UTF-16BE"),
    (&[0x00, 0x3C], "UTF-16BE"),
    (&[0xFF, 0xFE], "UTF-16LE"),
    (&[0x3C, 0x00], "UTF-16LE"),
];

/// What the first bytes of a stream say about its encoding.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Sniff {
    /// A pattern of another encoding matched.
    Other(&'static str),
    /// Too few bytes to tell: they are the start of a longer pattern. Deciding now would make
    /// the outcome depend on how the input was split.
    Undecided,
    /// Not one of the patterns: read on as UTF-8.
    Utf8,
}

/// Detects non-UTF-8 encodings from the first bytes of a stream (XML 1.0 appendix F).
pub(super) fn sniff_encoding(buf: &[u8]) -> Sniff {
    if ENCODING_MARKS
        .iter()
        .any(|(mark, _)| mark.len() > buf.len() && mark.starts_with(buf))
    {
        return Sniff::Undecided;
    }
    ENCODING_MARKS
        .iter()
        .find(|(mark, _)| buf.starts_with(mark))
        .map_or(Sniff::Utf8, |&(_, name)| Sniff::Other(name))
}

/// The framing scanner: advances `scan` over `buf` until the unit at its start is complete.
/// Every byte is examined once, except a few bytes of look-ahead after `<` and `]`.
pub(super) fn scan_unit(
    scan: &mut Scan,
    buf: &[u8],
    limits: &ReaderLimits,
    extra: &mut u64,
) -> Result<Step, ScanError> {
    loop {
        match scan.mode {
            Mode::Text => match memchr::memchr(b'<', &buf[scan.pos..]) {
                None => {
                    scan.pos = buf.len();
                    return Ok(Step::NeedMore);
                }
                Some(i) => {
                    scan.pos += i;
                    scan.mode = Mode::Lt;
                }
            },
            Mode::Lt => {
                let rest = &buf[scan.pos..];
                let Some(&next) = rest.get(1) else {
                    return Ok(Step::NeedMore);
                };
                *extra += 1;
                match next {
                    b'/' => {
                        scan.mode = Mode::Tag {
                            quote: 0,
                            close: true,
                        };
                        scan.pos += 2;
                    }
                    b'?' => {
                        return Err(ScanError::Restricted(
                            Restricted::ProcessingInstruction,
                            scan.pos,
                        ));
                    }
                    b'!' => {
                        const CDATA: &[u8] = b"<![CDATA[";
                        let head = &rest[..rest.len().min(CDATA.len())];
                        *extra += head.len() as u64;
                        if head == CDATA {
                            scan.mode = Mode::Cdata;
                            scan.pos += CDATA.len();
                        } else if CDATA.starts_with(head) {
                            return Ok(Step::NeedMore);
                        } else {
                            return match markup_decl(rest) {
                                None => Ok(Step::NeedMore),
                                Some(Ok(construct)) => {
                                    Err(ScanError::Restricted(construct, scan.pos))
                                }
                                Some(Err(())) => Err(ScanError::Malformed(
                                    "malformed markup after '<!'",
                                    scan.pos,
                                )),
                            };
                        }
                    }
                    _ => {
                        scan.mode = Mode::Tag {
                            quote: 0,
                            close: false,
                        };
                        scan.pos += 1;
                    }
                }
            }
            Mode::Tag { quote, close } if quote != 0 => {
                // Values are short: a plain loop beats memchr's set-up cost.
                match buf[scan.pos..].iter().position(|&b| b == quote) {
                    None => {
                        scan.pos = buf.len();
                        return Ok(Step::NeedMore);
                    }
                    Some(i) => {
                        scan.pos += i + 1;
                        scan.mode = Mode::Tag { quote: 0, close };
                    }
                }
            }
            Mode::Tag { close, .. } => {
                match buf[scan.pos..]
                    .iter()
                    .position(|&b| matches!(b, b'>' | b'\'' | b'"'))
                {
                    None => {
                        scan.pos = buf.len();
                        return Ok(Step::NeedMore);
                    }
                    Some(i) => {
                        let at = scan.pos + i;
                        let c = buf[at];
                        scan.pos = at + 1;
                        if c != b'>' {
                            // A quote must open an attribute value, right after `=`.
                            let before = buf[..at]
                                .iter()
                                .rev()
                                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
                            *extra += before.map_or(0, |n| n as u64 + 1);
                            if before.map(|n| buf[at - n - 1]) != Some(b'=') {
                                return Err(ScanError::Malformed(
                                    "quote outside an attribute value",
                                    at,
                                ));
                            }
                            scan.mode = Mode::Tag { quote: c, close };
                            continue;
                        }
                        match scan.kind {
                            UnitKind::Header | UnitKind::Close => {
                                return Ok(Step::Complete(scan.pos));
                            }
                            UnitKind::Declaration => {
                                return Err(ScanError::Malformed(
                                    "tag inside the XML declaration",
                                    at,
                                ));
                            }
                            UnitKind::Element => {}
                        }
                        if close {
                            scan.depth = scan.depth.saturating_sub(1);
                            if scan.depth == 0 {
                                return Ok(Step::Complete(scan.pos));
                            }
                        } else if at > 0 && buf[at - 1] == b'/' {
                            if scan.depth == 0 {
                                return Ok(Step::Complete(scan.pos));
                            }
                        } else {
                            scan.depth += 1;
                            if scan.depth > limits.max_depth {
                                return Err(ScanError::Depth);
                            }
                        }
                        scan.mode = Mode::Text;
                    }
                }
            }
            Mode::Cdata => loop {
                // Look for `>` and check the two bytes before it, so that trickled input
                // never makes the scanner look at a byte twice.
                let Some(i) = memchr::memchr(b'>', &buf[scan.pos..]) else {
                    scan.pos = buf.len();
                    return Ok(Step::NeedMore);
                };
                let at = scan.pos + i;
                scan.pos = at + 1;
                *extra += 2;
                if at >= 2 && buf[at - 2..at] == *b"]]" {
                    scan.mode = Mode::Text;
                    break;
                }
            },
            Mode::Declaration => loop {
                let Some(i) = memchr::memchr(b'?', &buf[scan.pos..]) else {
                    scan.pos = buf.len();
                    return Ok(Step::NeedMore);
                };
                let at = scan.pos + i;
                match buf.get(at + 1) {
                    None => {
                        scan.pos = at;
                        return Ok(Step::NeedMore);
                    }
                    Some(b'>') => return Ok(Step::Complete(at + 2)),
                    Some(_) => scan.pos = at + 1,
                }
            },
        }
    }
}

/// Checks `<?xml version='1.0' encoding='UTF-8'?>`: version 1.0, UTF-8 only.
pub(super) fn check_declaration(bytes: &[u8], offset: u64) -> Result<(), XmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::InvalidUtf8 {
        offset,
        len: bytes.len(),
    })?;
    match xmlparser::Tokenizer::from(text).next() {
        Some(Ok(xmlparser::Token::Declaration {
            version, encoding, ..
        })) => {
            if let Some(encoding) = encoding {
                if !encoding.as_str().eq_ignore_ascii_case("UTF-8") {
                    return Err(XmlError::UnsupportedEncoding {
                        encoding: encoding.as_str().to_owned(),
                    });
                }
            }
            if version.as_str() != "1.0" {
                return Err(XmlError::not_well_formed(
                    format!(
                        "XML version {} is not supported (XMPP uses XML 1.0)",
                        version.as_str()
                    ),
                    offset,
                ));
            }
            Ok(())
        }
        Some(Err(e)) => Err(XmlError::not_well_formed(e.to_string(), offset)),
        _ => Err(XmlError::not_well_formed(
            "malformed XML declaration",
            offset,
        )),
    }
}

/// Checks that the end tag in `bytes` closes the stream root.
pub(super) fn check_close(bytes: &[u8], root: &RootName, offset: u64) -> Result<(), XmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::InvalidUtf8 {
        offset,
        len: bytes.len(),
    })?;
    let mut tokens = xmlparser::Tokenizer::from_fragment(text, 0..text.len());
    match (tokens.next(), tokens.next()) {
        (
            Some(Ok(xmlparser::Token::ElementEnd {
                end: xmlparser::ElementEnd::Close(prefix, local),
                ..
            })),
            None,
        ) if prefix.as_str() == root.prefix && local.as_str() == root.local => Ok(()),
        (Some(Ok(xmlparser::Token::ElementEnd { .. })), None) => Err(XmlError::not_well_formed(
            format!(
                "end tag {text} does not close <{}:{}>",
                root.prefix, root.local
            ),
            offset,
        )),
        (Some(Err(e)), _) => Err(XmlError::not_well_formed(e.to_string(), offset)),
        _ => Err(XmlError::not_well_formed("malformed end tag", offset)),
    }
}
