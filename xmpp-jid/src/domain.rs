//! Domainpart preparation (RFC 6122 §2.2): trailing-dot removal, IP literals, and per label
//! Nameprep plus IDNA2003 ToASCII with UseSTD3ASCIIRules (RFC 3490 §4.1).
//!
//! **Stored form.** A domain is stored in the form RFC 6122 puts on the wire and compares:
//! each label is the Nameprep output, so internationalized labels are kept as **U-labels**
//! (`bücher.example`, never `xn--bcher-kva.example`). An ACE label given as input
//! (`xn--bcher-kva`) is turned into its U-label with IDNA ToUnicode, as RFC 6122 §2.2 says an
//! application SHOULD; an ACE label that does not survive ToUnicode (it does not decode, or does
//! not encode back to itself) stays as the lower-cased ASCII label. So two domains that name
//! the same IDN compare equal whichever form they were written in. [`to_ascii`] gives the
//! A-label form for DNS.
//!
//! IPv4 literals (per `core::net::Ipv4Addr`) and IPv6 literals in square brackets (per
//! `core::net::Ipv6Addr`) are stored exactly as given and never sent through IDNA.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::borrow::Cow;

use idna::punycode;

use crate::ascii::{self, Fast};
use crate::error::{CodePoint, JidError, LabelError, Part};
use crate::limits::MAX_PART_LEN;
use crate::prep::{self, Profile};

/// The label separators of IDNA2003 (RFC 3490 §3.1): full stop, ideographic full stop,
/// fullwidth full stop, halfwidth ideographic full stop.
const DOTS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// Removes one trailing label separator (RFC 6122 §2.2: before any other canonicalization).
pub(crate) fn strip_trailing_dot(raw: &str) -> &str {
    raw.strip_suffix(DOTS).unwrap_or(raw)
}

/// The bracketed IPv6 literal `[...]`, if `d` is one.
fn ipv6_literal(d: &str) -> Option<Ipv6Addr> {
    d.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// Appends the prepared form of the raw domain to `out`.
pub(crate) fn prepare(raw: &str, out: &mut String) -> Result<(), JidError> {
    let start = out.len();
    let d = strip_trailing_dot(raw);
    match ascii::domain(d) {
        Fast::Slow => prepare_slow(d, out)?,
        how => ascii::push(out, d, how),
    }
    let len = out.len() - start;
    if len == 0 {
        return Err(JidError::Empty(Part::Domain));
    }
    if len > MAX_PART_LEN {
        return Err(JidError::TooLong {
            part: Part::Domain,
            len,
        });
    }
    Ok(())
}

pub(crate) fn prepare_slow(d: &str, out: &mut String) -> Result<(), JidError> {
    if d.is_empty() {
        return Err(JidError::Empty(Part::Domain));
    }
    if d.starts_with('[') {
        return match ipv6_literal(d) {
            Some(_) => {
                out.push_str(d);
                Ok(())
            }
            None => Err(JidError::InvalidIpLiteral),
        };
    }
    if d.as_bytes()[0].is_ascii_digit() && d.parse::<Ipv4Addr>().is_ok() {
        out.push_str(d);
        return Ok(());
    }
    for (index, label) in d.split(DOTS).enumerate() {
        if index > 0 {
            out.push('.');
        }
        prepare_label(label, index, out)?;
    }
    Ok(())
}

/// Nameprep + ToASCII checks for one label, appending the stored form (a U-label or an
/// LDH label) to `out`.
pub(crate) fn prepare_label(label: &str, index: usize, out: &mut String) -> Result<(), JidError> {
    match ascii::label(label.as_bytes()) {
        Fast::Slow => prepare_label_slow(label, index, out),
        how => {
            ascii::push(out, label, how);
            Ok(())
        }
    }
}

/// An upper bound of the ACE form's length (`xn--` + Punycode), so that short labels need not
/// be encoded just to learn that they fit in 63 octets. Punycode (RFC 3492) writes the basic
/// code points, a delimiter, then one variable-length integer per other code point. Each
/// integer encodes a delta below 0x110000 × (n + 1) ≤ 2^27 for a label of n ≤ 63 code points,
/// and every digit but the last divides what is left by at least 36 − tmax = 10, so it takes
/// at most 10 digits. `None` when the label is too long for the bound to help.
fn ace_len_bound(label: &str) -> Option<usize> {
    let (mut basic, mut other) = (0usize, 0usize);
    for c in label.chars() {
        if c.is_ascii() {
            basic += 1;
        } else {
            other += 1;
        }
    }
    (basic + other <= 63).then(|| 4 + basic + 1 + 10 * other)
}

fn has_ace_prefix(s: &str) -> bool {
    s.len() >= 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"xn--")
}

/// RFC 3490 ToASCII steps 3 to 8 on an already nameprepped label; returns the ASCII length.
fn to_ascii_checks(p: &str) -> Result<usize, LabelError> {
    if p.is_empty() {
        return Err(LabelError::Empty);
    }
    if let Some(c) = p
        .chars()
        .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(LabelError::NotLdh(CodePoint(c)));
    }
    if p.starts_with('-') {
        return Err(LabelError::LeadingHyphen);
    }
    if p.ends_with('-') {
        return Err(LabelError::TrailingHyphen);
    }
    let len = if p.is_ascii() {
        p.len()
    } else {
        if has_ace_prefix(p) {
            return Err(LabelError::AcePrefix);
        }
        match ace_len_bound(p) {
            Some(bound) if bound <= 63 => bound,
            _ => 4 + punycode::encode_str(p).ok_or(LabelError::Punycode)?.len(),
        }
    };
    if len > 63 {
        return Err(LabelError::TooLong { len });
    }
    Ok(len)
}

pub(crate) fn prepare_label_slow(
    label: &str,
    index: usize,
    out: &mut String,
) -> Result<(), JidError> {
    let start = out.len();
    prep::prepare_into(Profile::Nameprep, label, out)?;
    let p = &out[start..];
    to_ascii_checks(p).map_err(|reason| JidError::DomainLabel { index, reason })?;
    if p.is_ascii() && has_ace_prefix(p) {
        if let Some(u_label) = to_unicode(p) {
            out.truncate(start);
            out.push_str(&u_label);
        }
    }
    Ok(())
}

/// RFC 3490 ToUnicode on a valid, lower-cased ACE label: the U-label, if the label decodes and
/// ToASCII of the result gives the label back.
fn to_unicode(ace: &str) -> Option<String> {
    let decoded = punycode::decode_to_string(&ace[4..])?;
    let mut u_label = String::with_capacity(decoded.len());
    prep::prepare_into(Profile::Nameprep, &decoded, &mut u_label).ok()?;
    if u_label.is_ascii() {
        return None;
    }
    to_ascii_checks(&u_label).ok()?;
    let encoded = punycode::encode_str(&u_label)?;
    (ace[4..].eq_ignore_ascii_case(&encoded)).then_some(u_label)
}

/// The ASCII (A-label) form of a prepared domain, for DNS: each non-ASCII label becomes
/// `xn--` + Punycode. IP literals and ASCII domains are returned unchanged.
pub(crate) fn to_ascii(domain: &str) -> Cow<'_, str> {
    if domain.is_ascii() {
        return Cow::Borrowed(domain);
    }
    let mut out = String::with_capacity(domain.len() + 8);
    for (i, label) in domain.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if label.is_ascii() {
            out.push_str(label);
        } else {
            out.push_str("xn--");
            // A prepared label always encodes: preparation checked it (ToASCII step 6).
            out.push_str(&punycode::encode_str(label).unwrap_or_default());
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn ace_length_bound_holds(label in "[a-z0-9\u{80}-\u{3FF}\u{4E00}-\u{4E20}\u{10000}-\u{10FFFF}]{1,63}") {
            if let (Some(bound), Some(encoded)) = (ace_len_bound(&label), punycode::encode_str(&label)) {
                prop_assert!(4 + encoded.len() <= bound, "{} > {}", 4 + encoded.len(), bound);
            }
        }
    }

    #[test]
    fn ace_length_bound_is_tight_enough_to_skip_common_labels() {
        assert_eq!(ace_len_bound("bücher"), Some(4 + 5 + 1 + 10));
        assert!(ace_len_bound("例え").is_some_and(|b| b <= 63));
        assert_eq!(ace_len_bound(&"a".repeat(64)), None);
    }
}
