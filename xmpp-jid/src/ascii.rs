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

use crate::MAX_PART_LEN;

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

const NODE: u8 = 1;
const RESOURCE: u8 = 2;
const LDH: u8 = 4;
const UPPER: u8 = 8;

const fn classify(b: u8) -> u8 {
    let mut class = 0;
    if b >= 0x21
        && b <= 0x7E
        && !matches!(b, b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@')
    {
        class |= NODE;
    }
    if b >= 0x20 && b <= 0x7E {
        class |= RESOURCE;
    }
    if b.is_ascii_alphanumeric() || b == b'-' {
        class |= LDH;
    }
    if b.is_ascii_uppercase() {
        class |= UPPER;
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

/// AND and OR of the classes of all bytes.
#[inline]
fn scan(bytes: &[u8]) -> (u8, u8) {
    let mut all = 0xFF;
    let mut any = 0;
    for &b in bytes {
        let c = CLASS[b as usize];
        all &= c;
        any |= c;
    }
    (all, any)
}

#[inline]
fn verdict(valid: bool, any: u8) -> Fast {
    match (valid, any & UPPER != 0) {
        (false, _) => Fast::Slow,
        (true, false) => Fast::Canonical,
        (true, true) => Fast::Lowercase,
    }
}

/// Nodeprep on ASCII.
#[inline]
pub(crate) fn node(s: &str) -> Fast {
    let b = s.as_bytes();
    let (all, any) = scan(b);
    verdict(
        !b.is_empty() && b.len() <= MAX_PART_LEN && all & NODE != 0,
        any,
    )
}

/// Resourceprep on ASCII: printable ASCII is its own prepared form.
#[inline]
pub(crate) fn resource(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.len() <= MAX_PART_LEN && scan(b).0 & RESOURCE != 0
}

/// Nameprep then ToASCII (STD3 rules) on one ASCII label; ACE labels are left to the slow path.
#[inline]
pub(crate) fn label(b: &[u8]) -> Fast {
    let (all, any) = scan(b);
    let valid = !b.is_empty()
        && b.len() <= 63
        && all & LDH != 0
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !(b.len() >= 4 && b[2] == b'-' && b[3] == b'-' && b[..2].eq_ignore_ascii_case(b"xn"));
    verdict(valid, any)
}

/// A whole domain (trailing dot already removed) whose labels all pass [`label`].
pub(crate) fn domain(s: &str) -> Fast {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_PART_LEN {
        return Fast::Slow;
    }
    let mut result = Fast::Canonical;
    for l in b.split(|&x| x == b'.') {
        match label(l) {
            Fast::Slow => return Fast::Slow,
            Fast::Lowercase => result = Fast::Lowercase,
            Fast::Canonical => {}
        }
    }
    result
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
