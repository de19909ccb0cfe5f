//! The ASCII fast path: decides from the bytes alone, without stringprep, whether a part is
//! already in prepared form ([`Fast::Canonical`]), needs only ASCII lower-casing
//! ([`Fast::Lowercase`]), or must go through the full profile ([`Fast::Slow`]).
//!
//! For ASCII input the profiles reduce to byte rules: B.1 maps no ASCII character, B.2 maps
//! exactly `A-Z` to `a-z`, NFKC leaves ASCII alone, ASCII has no right-to-left character, and the
//! prohibited ASCII characters are C.1.1 (space, Nodeprep), C.2.1 (controls, Nodeprep and
//! Resourceprep) and Nodeprep's `"&'/:<>@`. For domain labels, IDNA ToASCII with STD3 rules
//! accepts exactly the letter-digit-hyphen labels of 1 to 63 octets that neither begin nor end
//! with a hyphen; labels starting with the ACE prefix `xn--` go the slow way so that ToUnicode
//! can turn them into U-labels. Anything the fast path is unsure of (non-ASCII bytes, errors)
//! is answered [`Fast::Slow`], so errors always come from the full profile. The unit tests
//! check with proptest that whatever the fast path accepts, the full profile prepares to the
//! same string.

use crate::limits::MAX_PART_LEN;

/// What the fast path concluded about a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fast {
    /// Valid and already prepared: copy it as it is.
    Canonical,
    /// Valid once ASCII upper-case letters are lower-cased.
    Lowercase,
    /// Not decided here: run the full preparation.
    Slow,
}

/// May appear in a node (Nodeprep on ASCII, before lower-casing).
const NODE: u8 = 1;
/// May appear in a domain label: letter, digit, hyphen.
const LDH: u8 = 4;
/// Already prepared in a node: [`NODE`] without upper case.
const NODE_CANON: u8 = 8;
/// Already prepared in a domain label: [`LDH`] without upper case.
const LDH_CANON: u8 = 16;
/// `@` or `/`.
const SEPARATOR: u8 = 32;

const fn classify(b: u8) -> u8 {
    let mut class = 0;
    if b >= 0x21
        && b <= 0x7E
        && !matches!(b, b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@')
    {
        class |= NODE;
    }
    if b.is_ascii_alphanumeric() || b == b'-' {
        class |= LDH;
    }
    if b == b'@' || b == b'/' {
        class |= SEPARATOR;
    }
    if !b.is_ascii_uppercase() {
        if class & NODE != 0 {
            class |= NODE_CANON;
        }
        if class & LDH != 0 {
            class |= LDH_CANON;
        }
    }
    class
}

static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = classify(i as u8);
        i += 1;
    }
    table
};

/// AND of the classes of all bytes: the properties every byte has.
#[inline]
fn scan(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0xFF, |all, &b| all & CLASS[b as usize])
}

/// [`Fast::Canonical`] when every byte has the `canonical` property, else
/// [`Fast::Lowercase`] when every byte has the `valid` one (the two differ only in upper case).
#[inline]
fn verdict(ok: bool, all: u8, valid: u8, canonical: u8) -> Fast {
    if !ok || all & valid == 0 {
        Fast::Slow
    } else if all & canonical != 0 {
        Fast::Canonical
    } else {
        Fast::Lowercase
    }
}

/// Nodeprep on ASCII.
#[inline]
pub(crate) fn node(s: &str) -> Fast {
    let b = s.as_bytes();
    let ok = !b.is_empty() && b.len() <= MAX_PART_LEN;
    verdict(ok, scan(b), NODE, NODE_CANON)
}

/// Resourceprep on ASCII: printable ASCII is its own prepared form.
#[inline]
pub(crate) fn resource(s: &str) -> bool {
    let b = s.as_bytes();
    // Plain comparisons rather than the class table, so that long resources vectorize.
    let printable = b
        .iter()
        .fold(true, |ok, &x| ok & (x.wrapping_sub(0x20) < 0x5F));
    !b.is_empty() && b.len() <= MAX_PART_LEN && printable
}

/// Nameprep then ToASCII (STD3 rules) on one ASCII label; ACE labels are left to the slow path.
#[inline]
pub(crate) fn label(b: &[u8]) -> Fast {
    let ok = !b.is_empty()
        && b.len() <= 63
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !(b.len() >= 4 && b[2] == b'-' && b[3] == b'-' && b[..2].eq_ignore_ascii_case(b"xn"));
    verdict(ok, scan(b), LDH, LDH_CANON)
}

/// Per byte, for [`domain`], laid out so that one AND and one OR per byte check everything:
/// `table[prev] & (table[x] >> 8)` has bit 0 set for the pairs `..` and `.-`, bit 1 for `-.`,
/// bit 2 for `--`, bit 3 when `x` may not appear in a domain ([`NOT_DOMAIN`]: not a letter,
/// digit, hyphen or dot), and bit 4 when `x` is upper case ([`UPPER`]). The low byte holds
/// the left-of-pair bits of `prev` plus bits 3 and 4 always set, to let those flags through;
/// the high byte the right-of-pair bits and the flags. [`SLASH`] marks `/`.
static DOMAIN_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut left = PASS;
        let mut right = 0;
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            right |= NOT_DOMAIN;
        }
        if b.is_ascii_uppercase() {
            right |= UPPER;
        }
        if b == b'.' {
            left |= 0b001;
            right |= 0b011;
        }
        if b == b'-' {
            left |= 0b110;
            right |= 0b101;
        }
        let mut v = left | (right << 8);
        if b == b'/' {
            v |= SLASH;
        }
        table[i] = v;
        i += 1;
    }
    table
};
const NOT_DOMAIN: u16 = 0b0_1000;
const UPPER: u16 = 0b1_0000;
const PASS: u16 = NOT_DOMAIN | UPPER;
const SLASH: u16 = 0x8000;

/// Nameprep then ToASCII (STD3 rules) on a whole ASCII domain (trailing dot already removed),
/// in one branch-free pass: every byte a letter, digit, hyphen or dot; no `..`, `.-` or `-.`
/// and no dot or hyphen at either end (so no empty label and no label beginning or ending
/// with a hyphen). The two rules left, labels of at most 63 bytes and no label beginning with
/// `xn--` (those go the slow way, for ToUnicode), can only fail in a domain longer than 63
/// bytes or holding `--`; only such domains are walked label by label.
pub(crate) fn domain(s: &str) -> Fast {
    let (end, verdict) = domain_until::<false>(s.as_bytes());
    debug_assert_eq!(end, s.len());
    verdict
}

/// [`domain`] on the bytes up to the first `/` (when `STOP_AT_SLASH`) or the end; returns
/// where the domain ended and the verdict.
#[inline(always)]
fn domain_until<const STOP_AT_SLASH: bool>(b: &[u8]) -> (usize, Fast) {
    // Start as if after a dot, so that a leading dot or hyphen makes a bad pair.
    let mut prev = PASS | 0b001;
    let mut flags = 0;
    let mut end = b.len();
    for (i, &x) in b.iter().enumerate() {
        let t = DOMAIN_TABLE[x as usize];
        if STOP_AT_SLASH && t & SLASH != 0 {
            end = i;
            break;
        }
        flags |= prev & (t >> 8);
        prev = t;
    }
    let d = &b[..end];
    // End as if before a dot: a trailing dot or hyphen makes a bad pair.
    flags |= prev & 0b011;
    if d.is_empty() || d.len() > MAX_PART_LEN || flags & (NOT_DOMAIN | 0b011) != 0 {
        return (end, Fast::Slow);
    }
    let labels_ok = (flags & 0b100 == 0 && d.len() <= 63)
        || d.split(|&x| x == b'.')
            .all(|l| l.len() <= 63 && !(l.len() >= 4 && l[..4].eq_ignore_ascii_case(b"xn--")));
    let verdict = match (labels_ok, flags & UPPER == 0) {
        (false, _) => Fast::Slow,
        (true, true) => Fast::Canonical,
        (true, false) => Fast::Lowercase,
    };
    (end, verdict)
}

/// Recognizes a whole address that is already in prepared form, and returns the byte offsets
/// of its `@` (0 without a node) and of its `/` (the length without a resource). This is
/// [`node`], [`domain`] and [`resource`] all answering [`Fast::Canonical`] on the RFC 6122
/// split, for the common case: one table scan up to the first `@` or `/` (the node, if it was
/// an `@`), one up to the first `/` (the domain), and one comparison per byte for the
/// resource. Anything else is `None`.
#[inline]
pub(crate) fn canonical_jid(input: &str) -> Option<(usize, usize)> {
    let b = input.as_bytes();
    // Scan as a node up to the first '@' or '/'. If that was an '@', it was the node;
    // otherwise there is no node and the domain scan starts again from the beginning.
    let mut all = 0xFF;
    let mut stop = b.len();
    for (i, &x) in b.iter().enumerate() {
        let class = CLASS[x as usize];
        if class & SEPARATOR != 0 {
            stop = i;
            break;
        }
        all &= class;
    }
    let (at, domain_start) = if b.get(stop) == Some(&b'@') {
        if stop == 0 || stop > MAX_PART_LEN || all & NODE_CANON == 0 {
            return None;
        }
        (stop, stop + 1)
    } else {
        (0, 0)
    };
    // The domain scan stops at the first '/'.
    let (len, verdict) = domain_until::<true>(&b[domain_start..]);
    if verdict != Fast::Canonical {
        return None;
    }
    let slash = domain_start + len;
    if slash < b.len() && !resource(&input[slash + 1..]) {
        return None;
    }
    Some((at, slash))
}

/// Appends `s` to `out` as the verdict says (which must not be [`Fast::Slow`]).
#[inline]
pub(crate) fn push(out: &mut String, s: &str, how: Fast) {
    let start = out.len();
    out.push_str(s);
    if how == Fast::Lowercase {
        out[start..].make_ascii_lowercase();
    }
}

#[cfg(test)]
mod tests {
    //! The fast path must give exactly what the full profiles give: checked here against
    //! `prep` and the slow domain path on generated input.

    use proptest::prelude::*;

    use super::*;
    use crate::domain;
    use crate::prep::{self, Profile};

    fn slow(profile: Profile, s: &str) -> Result<String, crate::JidError> {
        let mut out = String::new();
        prep::prepare_into(profile, s, &mut out).map(|()| out)
    }

    fn fast(s: &str, how: Fast) -> String {
        let mut out = String::new();
        push(&mut out, s, how);
        out
    }

    /// Reference parser: the RFC 6122 split, then only the slow paths.
    fn reference(input: &str) -> Result<String, crate::JidError> {
        use crate::error::{JidError, Part};
        let check = |part, s: &str| {
            if s.is_empty() {
                Err(JidError::Empty(part))
            } else if s.len() > MAX_PART_LEN {
                Err(JidError::TooLong { part, len: s.len() })
            } else {
                Ok(())
            }
        };
        let (head, resource) = match input.split_once('/') {
            Some((h, r)) => (h, Some(r)),
            None => (input, None),
        };
        let (node, raw_domain) = match head.split_once('@') {
            Some((n, d)) => (Some(n), d),
            None => (None, head),
        };
        let mut out = String::new();
        if let Some(node) = node {
            let n = slow(Profile::Nodeprep, node)?;
            check(Part::Node, &n)?;
            out.push_str(&n);
            out.push('@');
        }
        let mut d = String::new();
        domain::prepare_slow(domain::strip_trailing_dot(raw_domain), &mut d)?;
        check(Part::Domain, &d)?;
        out.push_str(&d);
        if let Some(resource) = resource {
            let r = slow(Profile::Resourceprep, resource)?;
            check(Part::Resource, &r)?;
            out.push('/');
            out.push_str(&r);
        }
        Ok(out)
    }

    /// Printable ASCII plus a few controls, weighted towards the characters the rules treat
    /// specially.
    fn ascii_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "([a-zA-Z0-9]|[-._ \"&'/:<>@\\\\\\x00\\x1f\\x7f~]|xn--){0,24}",
        )
        .expect("valid regex")
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => ascii_text(),
            1 => proptest::string::string_regex("([a-zA-Z.@/-]|[\\u{80}-\\u{10ffff}]|[ÄÖÜßİﬁＡ-Ｚ。．｡\u{AD}\u{5D0}])*")
                .expect("valid regex"),
        ]
    }

    #[test]
    fn domain_table_pairs() {
        for (d, verdict) in [
            ("a.b", Fast::Canonical),
            ("a-b.c", Fast::Canonical),
            ("A.b", Fast::Lowercase),
            ("a..b", Fast::Slow),
            ("a.-b", Fast::Slow),
            ("a-.b", Fast::Slow),
            (".a", Fast::Slow),
            ("-a", Fast::Slow),
            ("a.", Fast::Slow),
            ("a-", Fast::Slow),
            ("ab--c", Fast::Canonical),
            ("xn--c", Fast::Slow),
            ("a.XN--c", Fast::Slow),
            ("a_b", Fast::Slow),
        ] {
            assert_eq!(domain(d), verdict, "{d}");
        }
        let long = "a".repeat(63);
        assert_eq!(domain(&long), Fast::Canonical);
        assert_eq!(domain(&format!("{long}a")), Fast::Slow);
        assert_eq!(domain(&format!("{long}.{long}")), Fast::Canonical);
    }

    /// The recognizer says "prepared" exactly when the per-part fast paths all say
    /// [`Fast::Canonical`] on the RFC 6122 split.
    fn check_canonical(s: &str) -> Result<(), TestCaseError> {
        let (head, resource) = match s.split_once('/') {
            Some((h, r)) => (h, Some(r)),
            None => (s, None),
        };
        let (node_part, domain_part) = match head.split_once('@') {
            Some((n, d)) => (Some(n), d),
            None => (None, head),
        };
        let per_part = node_part.is_none_or(|n| node(n) == Fast::Canonical)
            && domain(domain_part) == Fast::Canonical
            && resource.is_none_or(super::resource);
        let expected = per_part.then(|| (node_part.map_or(0, str::len), head.len()));
        prop_assert_eq!(canonical_jid(s), expected);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn node_fast_path_equals_nodeprep(s in ascii_text()) {
            let how = node(&s);
            if how != Fast::Slow {
                prop_assert_eq!(slow(Profile::Nodeprep, &s), Ok(fast(&s, how)));
            }
            if how == Fast::Canonical {
                prop_assert_eq!(fast(&s, how), s);
            }
        }

        #[test]
        fn resource_fast_path_equals_resourceprep(s in ascii_text()) {
            if resource(&s) {
                prop_assert_eq!(slow(Profile::Resourceprep, &s), Ok(s.clone()));
            }
        }

        #[test]
        fn label_fast_path_equals_nameprep_and_to_ascii(s in "([a-zA-Z0-9-]|xn--|XN--){0,20}") {
            let how = label(s.as_bytes());
            if how != Fast::Slow {
                let mut out = String::new();
                domain::prepare_label_slow(&s, 0, &mut out).expect("slow path accepts");
                prop_assert_eq!(out, fast(&s, how));
            }
        }

        #[test]
        fn domain_fast_path_equals_slow_path(s in "([a-zA-Z0-9-]{1,5}\\.?){0,6}") {
            let how = domain(&s);
            if how != Fast::Slow {
                let mut out = String::new();
                domain::prepare_slow(&s, &mut out).expect("slow path accepts");
                prop_assert_eq!(out, fast(&s, how));
            }
        }

        #[test]
        fn canonical_recognizer_on_mostly_prepared_input(
            s in "([a-z0-9._@-]{0,8}@)?([a-z0-9-]{0,6}\\.){0,3}[a-zA-Z0-9-]{0,6}(/[ -~]{0,8})?"
        ) {
            check_canonical(&s)?;
        }

        #[test]
        fn canonical_recognizer_equals_the_per_part_fast_path(s in any_text()) {
            check_canonical(&s)?;
        }

        #[test]
        fn whole_jid_equals_reference_slow_parser(s in any_text()) {
            prop_assert_eq!(crate::Jid::new(&s).map(|j| j.to_string()), reference(&s));
        }

        #[test]
        fn structured_jid_equals_reference_slow_parser(
            node in proptest::option::of(ascii_text()),
            domain in "([a-zA-Z0-9-]{1,6}\\.){0,3}[a-zA-Z0-9-]{1,6}\\.?",
            resource in proptest::option::of(any_text()),
        ) {
            let mut s = String::new();
            if let Some(n) = &node {
                s.push_str(n);
                s.push('@');
            }
            s.push_str(&domain);
            if let Some(r) = &resource {
                s.push('/');
                s.push_str(r);
            }
            prop_assert_eq!(crate::Jid::new(&s).map(|j| j.to_string()), reference(&s));
        }
    }
}
