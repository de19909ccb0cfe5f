//! The three parts of an address as validated, prepared strings: [`NodePart`], [`DomainPart`]
//! and [`ResourcePart`]. Each borrows its text when it can (from a JID, or from an input that is
//! already in prepared form) and owns it only when preparation changed it.

use core::net::IpAddr;
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use crate::ascii::{self, Fast};
use crate::domain;
use crate::error::{JidError, Part};
use crate::limits::{MAX_INPUT_LEN, MAX_PART_LEN};
use crate::prep::{self, Profile};

fn check_len(part: Part, len: usize) -> Result<(), JidError> {
    if len == 0 {
        Err(JidError::Empty(part))
    } else if len > MAX_PART_LEN {
        Err(JidError::TooLong { part, len })
    } else {
        Ok(())
    }
}

/// Appends the Nodeprep form of `raw` to `out`, checking its length.
pub(crate) fn prepare_node(raw: &str, out: &mut String) -> Result<(), JidError> {
    let start = out.len();
    match ascii::node(raw) {
        Fast::Slow => prep::prepare_into(Profile::Nodeprep, raw, out)?,
        how => ascii::push(out, raw, how),
    }
    check_len(Part::Node, out.len() - start)
}

/// Appends the Resourceprep form of `raw` to `out`, checking its length.
pub(crate) fn prepare_resource(raw: &str, out: &mut String) -> Result<(), JidError> {
    let start = out.len();
    if ascii::resource(raw) {
        out.push_str(raw);
    } else {
        prep::prepare_into(Profile::Resourceprep, raw, out)?;
    }
    check_len(Part::Resource, out.len() - start)
}

/// Runs `prepare` on `raw`, borrowing `raw` when it comes out unchanged. Input longer than
/// [`MAX_INPUT_LEN`] is refused before any work, as for whole addresses.
fn prepared<'a>(
    raw: &'a str,
    prepare: fn(&str, &mut String) -> Result<(), JidError>,
) -> Result<Cow<'a, str>, JidError> {
    if raw.len() > MAX_INPUT_LEN {
        return Err(JidError::InputTooLong {
            len: raw.len(),
            max: MAX_INPUT_LEN,
        });
    }
    let mut out = String::new();
    prepare(raw, &mut out)?;
    Ok(if out == raw {
        Cow::Borrowed(raw)
    } else if raw.starts_with(out.as_str()) {
        // A domain that only lost its trailing dot.
        Cow::Borrowed(&raw[..out.len()])
    } else {
        Cow::Owned(out)
    })
}

macro_rules! part_type {
    ($(#[$meta:meta])* $name:ident, $part:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name<'a>(Cow<'a, str>);

        impl<'a> $name<'a> {
            /// Wraps text that is known to be prepared (taken from a parsed JID).
            pub(crate) fn from_prepared(s: &'a str) -> Self {
                Self(Cow::Borrowed(s))
            }

            /// The prepared text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Detaches the part from whatever it borrows.
            pub fn into_owned(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }

            /// Which part of an address this is.
            pub const PART: Part = $part;
        }

        impl Deref for $name<'_> {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl PartialEq<str> for $name<'_> {
            fn eq(&self, other: &str) -> bool {
                *self.0 == *other
            }
        }

        impl PartialEq<&str> for $name<'_> {
            fn eq(&self, other: &&str) -> bool {
                *self.0 == **other
            }
        }

        impl core::str::FromStr for $name<'static> {
            type Err = JidError;

            fn from_str(s: &str) -> Result<Self, JidError> {
                $name::new(s).map($name::into_owned)
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = JidError;

            fn try_from(s: &'a str) -> Result<Self, JidError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name<'static> {
            type Error = JidError;

            fn try_from(s: String) -> Result<Self, JidError> {
                match $name::new(&s)?.0 {
                    Cow::Borrowed(b) if b.len() == s.len() => Ok($name(Cow::Owned(s))),
                    other => Ok($name(Cow::Owned(other.into_owned()))),
                }
            }
        }
    };
}

part_type!(
    /// A localpart (node), prepared with Nodeprep: case-folded, NFKC, and free of spaces,
    /// controls and `"&'/:<>@`.
    ///
    /// ```
    /// use xmpp_jid::NodePart;
    /// let node = NodePart::new("JULIET")?;
    /// assert_eq!(node.as_str(), "juliet");
    /// assert!(NodePart::new("romeo@montague").is_err());
    /// # Ok::<(), xmpp_jid::JidError>(())
    /// ```
    NodePart,
    Part::Node
);

part_type!(
    /// A domainpart, prepared per RFC 6122 §2.2: trailing dot removed, each label Nameprepped
    /// and checked with IDNA ToASCII (STD3 rules), internationalized labels kept as U-labels;
    /// or an IPv4 literal, or an IPv6 literal in square brackets, kept as given.
    ///
    /// ```
    /// use xmpp_jid::DomainPart;
    /// let domain = DomainPart::new("xn--bcher-kva.EXAMPLE.")?;
    /// assert_eq!(domain.as_str(), "bücher.example");
    /// assert_eq!(domain.to_ascii(), "xn--bcher-kva.example");
    /// # Ok::<(), xmpp_jid::JidError>(())
    /// ```
    DomainPart,
    Part::Domain
);

part_type!(
    /// A resourcepart, prepared with Resourceprep: NFKC, case kept, spaces allowed, controls
    /// refused.
    ///
    /// ```
    /// use xmpp_jid::ResourcePart;
    /// let resource = ResourcePart::new("XMPP Desktop Client")?;
    /// assert_eq!(resource.as_str(), "XMPP Desktop Client");
    /// # Ok::<(), xmpp_jid::JidError>(())
    /// ```
    ResourcePart,
    Part::Resource
);

impl<'a> NodePart<'a> {
    /// Validates and prepares a node with Nodeprep; borrows `s` when it is already prepared.
    pub fn new(s: &'a str) -> Result<Self, JidError> {
        if ascii::node(s) == Fast::Canonical {
            return Ok(Self(Cow::Borrowed(s)));
        }
        prepared(s, prepare_node).map(Self)
    }
}

impl<'a> DomainPart<'a> {
    /// Validates and prepares a domain; borrows `s` when it is already prepared (or only loses
    /// a trailing ASCII dot).
    pub fn new(s: &'a str) -> Result<Self, JidError> {
        if ascii::domain(s) == Fast::Canonical {
            return Ok(Self(Cow::Borrowed(s)));
        }
        prepared(s, domain::prepare).map(Self)
    }

    /// The domain with every internationalized label in its ACE form (`xn--...`), as DNS
    /// needs it. ASCII domains and IP literals are returned as they are.
    pub fn to_ascii(&self) -> Cow<'_, str> {
        domain::to_ascii(self.as_str())
    }

    /// The IP address, when the domain is an IPv4 literal or a bracketed IPv6 literal.
    pub fn ip_addr(&self) -> Option<IpAddr> {
        let s = self.as_str();
        match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(v6) => v6.parse().ok().map(IpAddr::V6),
            None => s.parse().ok().map(IpAddr::V4),
        }
    }
}

impl<'a> ResourcePart<'a> {
    /// Validates and prepares a resource with Resourceprep; borrows `s` when it is already
    /// prepared.
    pub fn new(s: &'a str) -> Result<Self, JidError> {
        if ascii::resource(s) {
            return Ok(Self(Cow::Borrowed(s)));
        }
        prepared(s, prepare_resource).map(Self)
    }
}
