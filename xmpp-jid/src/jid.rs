//! The address types: [`Jid`] (any address), [`BareJid`] (no resource) and [`FullJid`]
//! (resource required), and the parser that splits and prepares an address (RFC 6122 §2).
//!
//! Each address is one heap string in prepared form plus two offsets. Equality, hashing and
//! ordering are those of that string, for all three types, so [`BareJid`] and [`FullJid`] can
//! both lend themselves out as a [`Jid`] ([`Borrow<Jid>`](core::borrow::Borrow)): a map keyed by
//! any of the three types can be queried with a `&Jid` (`bare.as_jid()`, `&*full`). There is
//! deliberately no `Borrow<str>`: a lookup with an unprepared string (`"Juliet@Example.com"`)
//! would be allowed by the types yet silently miss; parse it into a `Jid` first.

use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;
use core::str::FromStr;

use crate::ascii::{self, Fast};
use crate::domain;
use crate::error::JidError;
use crate::limits::{MAX_INPUT_LEN, MAX_PART_LEN};
use crate::parts::{DomainPart, NodePart, ResourcePart, prepare_node, prepare_resource};

/// Any XMPP address: `[node@]domain[/resource]`, stored in prepared (canonical) form.
///
/// ```
/// use xmpp_jid::Jid;
/// let jid: Jid = "Juliet@Capulet.example/Balcony".parse()?;
/// assert_eq!(jid.node(), Some("juliet"));
/// assert_eq!(jid.domain(), "capulet.example");
/// assert_eq!(jid.resource(), Some("Balcony"));
/// assert_eq!(jid.to_string(), "juliet@capulet.example/Balcony");
/// # Ok::<(), xmpp_jid::JidError>(())
/// ```
#[derive(Clone)]
pub struct Jid {
    s: Box<str>,
    /// Byte index of `@` (the node's length); 0 when there is no node (a node is never empty).
    at: u16,
    /// Byte index of `/` (the end of the domain); the string's length when there is no resource.
    slash: u16,
}

/// An address without a resource: `[node@]domain`.
///
/// ```
/// use xmpp_jid::BareJid;
/// let bare: BareJid = "john.smith@chat.dod.mil".parse()?;
/// assert_eq!(bare.node(), Some("john.smith"));
/// assert!("john.smith@chat.dod.mil/desk".parse::<BareJid>().is_err());
/// # Ok::<(), xmpp_jid::JidError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BareJid(Jid);

/// An address with a resource: `[node@]domain/resource`.
///
/// ```
/// use xmpp_jid::FullJid;
/// let full: FullJid = "john.smith@chat.dod.mil/XMPP Desktop Client".parse()?;
/// assert_eq!(full.resource(), "XMPP Desktop Client");
/// assert_eq!(full.to_bare().as_str(), "john.smith@chat.dod.mil");
/// # Ok::<(), xmpp_jid::JidError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FullJid(Jid);

/// Splits per RFC 6122 §2.1: the first `/` ends the domain, the first `@` before it ends the node.
fn split(input: &str) -> (Option<&str>, &str, Option<&str>) {
    let (head, resource) = match input.find('/') {
        Some(i) => (&input[..i], Some(&input[i + 1..])),
        None => (input, None),
    };
    let (node, domain) = match head.find('@') {
        Some(i) => (Some(&head[..i]), &head[i + 1..]),
        None => (None, head),
    };
    (node, domain, resource)
}

fn offset(n: usize) -> u16 {
    // Prepared parts are at most 1023 bytes each, so a JID is at most 3071 bytes.
    debug_assert!(n <= 3 * MAX_PART_LEN + 2);
    n as u16
}

impl Jid {
    /// Parses and prepares an address.
    ///
    /// Already prepared ASCII input costs one table scan per part and one exactly sized
    /// allocation.
    pub fn new(input: &str) -> Result<Jid, JidError> {
        if let Some((at, slash)) = ascii::canonical_jid(input) {
            return Ok(Jid {
                s: input.into(),
                at: offset(at),
                slash: offset(slash),
            });
        }
        Self::prepare(input)
    }

    /// The general path: splits the input and prepares each part (fast path per part, full
    /// profile where needed) into one new buffer.
    fn prepare(input: &str) -> Result<Jid, JidError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(JidError::InputTooLong {
                len: input.len(),
                max: MAX_INPUT_LEN,
            });
        }
        let (node, raw_domain, resource) = split(input);
        let node_fast = node.map_or(Fast::Canonical, ascii::node);
        let domain_fast = ascii::domain(raw_domain);
        let resource_fast = resource.is_none_or(ascii::resource);
        let mut out = String::with_capacity(input.len());
        let at = match node {
            Some(raw) => {
                match node_fast {
                    Fast::Slow => prepare_node(raw, &mut out)?,
                    how => ascii::push(&mut out, raw, how),
                }
                let at = out.len();
                out.push('@');
                at
            }
            None => 0,
        };
        match domain_fast {
            Fast::Slow => domain::prepare(raw_domain, &mut out)?,
            how => ascii::push(&mut out, raw_domain, how),
        }
        let slash = out.len();
        if let Some(raw) = resource {
            out.push('/');
            if resource_fast {
                out.push_str(raw);
            } else {
                prepare_resource(raw, &mut out)?;
            }
        }
        Ok(Jid {
            s: out.into_boxed_str(),
            at: offset(at),
            slash: offset(slash),
        })
    }

    /// Builds an address from parts that are already validated; never fails.
    pub fn from_parts(
        node: Option<&NodePart<'_>>,
        domain: &DomainPart<'_>,
        resource: Option<&ResourcePart<'_>>,
    ) -> Jid {
        let len =
            node.map_or(0, |n| n.len() + 1) + domain.len() + resource.map_or(0, |r| r.len() + 1);
        let mut s = String::with_capacity(len);
        if let Some(node) = node {
            s.push_str(node);
            s.push('@');
        }
        s.push_str(domain);
        let slash = s.len();
        if let Some(resource) = resource {
            s.push('/');
            s.push_str(resource);
        }
        Jid {
            s: s.into_boxed_str(),
            at: offset(node.map_or(0, |n| n.len())),
            slash: offset(slash),
        }
    }

    /// The whole address in prepared form.
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// The prepared string, without copying.
    pub fn into_inner(self) -> Box<str> {
        self.s
    }

    /// The node (localpart), if there is one.
    pub fn node(&self) -> Option<&str> {
        (self.at > 0).then(|| &self.s[..self.at as usize])
    }

    /// The domain (domainpart).
    pub fn domain(&self) -> &str {
        let start = if self.at > 0 { self.at as usize + 1 } else { 0 };
        &self.s[start..self.slash as usize]
    }

    /// The resource (resourcepart), if there is one.
    pub fn resource(&self) -> Option<&str> {
        self.s.get(self.slash as usize + 1..)
    }

    /// The node as a typed part.
    pub fn node_part(&self) -> Option<NodePart<'_>> {
        self.node().map(NodePart::from_prepared)
    }

    /// The domain as a typed part.
    pub fn domain_part(&self) -> DomainPart<'_> {
        DomainPart::from_prepared(self.domain())
    }

    /// The resource as a typed part.
    pub fn resource_part(&self) -> Option<ResourcePart<'_>> {
        self.resource().map(ResourcePart::from_prepared)
    }

    /// Whether the address has no resource.
    pub fn is_bare(&self) -> bool {
        self.slash as usize == self.s.len()
    }

    /// Whether the address has a resource.
    pub fn is_full(&self) -> bool {
        !self.is_bare()
    }

    /// The address without its resource (`node@domain` or `domain`).
    pub fn to_bare(&self) -> BareJid {
        if self.is_bare() {
            return BareJid(self.clone());
        }
        BareJid(Jid {
            s: self.s[..self.slash as usize].into(),
            at: self.at,
            slash: self.slash,
        })
    }

    /// Like [`to_bare`](Self::to_bare), reusing the allocation when the address is bare.
    pub fn into_bare(self) -> BareJid {
        if self.is_bare() {
            BareJid(self)
        } else {
            self.to_bare()
        }
    }

    /// The bare part of this address with `resource` as its resource.
    pub fn with_resource(&self, resource: &ResourcePart<'_>) -> FullJid {
        let bare = &self.s[..self.slash as usize];
        let mut s = String::with_capacity(bare.len() + 1 + resource.len());
        s.push_str(bare);
        s.push('/');
        s.push_str(resource);
        FullJid(Jid {
            s: s.into_boxed_str(),
            at: self.at,
            slash: self.slash,
        })
    }

    /// Like [`with_resource`](Self::with_resource), preparing `resource` first.
    pub fn with_resource_str(&self, resource: &str) -> Result<FullJid, JidError> {
        Ok(self.with_resource(&ResourcePart::new(resource)?))
    }

    /// The address as a [`FullJid`] if it has a resource, or else as a [`BareJid`].
    pub fn try_into_full(self) -> Result<FullJid, BareJid> {
        if self.is_full() {
            Ok(FullJid(self))
        } else {
            Err(BareJid(self))
        }
    }
}

impl PartialEq for Jid {
    fn eq(&self, other: &Jid) -> bool {
        self.s == other.s
    }
}

impl Eq for Jid {}

impl Hash for Jid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.s.hash(state);
    }
}

impl PartialOrd for Jid {
    fn partial_cmp(&self, other: &Jid) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by the prepared string (byte order), consistently with `Eq` and `Hash`.
impl Ord for Jid {
    fn cmp(&self, other: &Jid) -> Ordering {
        self.s.cmp(&other.s)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jid({:?})", &*self.s)
    }
}

impl FromStr for Jid {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Jid, JidError> {
        Jid::new(s)
    }
}

impl TryFrom<&str> for Jid {
    type Error = JidError;

    fn try_from(s: &str) -> Result<Jid, JidError> {
        Jid::new(s)
    }
}

/// Keeps the string's buffer when it is already in prepared form.
impl TryFrom<String> for Jid {
    type Error = JidError;

    fn try_from(s: String) -> Result<Jid, JidError> {
        match ascii::canonical_jid(&s) {
            Some((at, slash)) => Ok(Jid {
                s: s.into_boxed_str(),
                at: offset(at),
                slash: offset(slash),
            }),
            None => Jid::prepare(&s),
        }
    }
}

impl AsRef<str> for Jid {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

macro_rules! newtype_common {
    ($name:ident, $check:expr, $err:expr) => {
        impl $name {
            fn check(jid: Jid) -> Result<$name, JidError> {
                if $check(&jid) {
                    Ok($name(jid))
                } else {
                    Err($err)
                }
            }

            /// Parses and prepares an address of this kind.
            pub fn new(input: &str) -> Result<$name, JidError> {
                Self::check(Jid::new(input)?)
            }

            /// The address as a [`Jid`].
            pub fn as_jid(&self) -> &Jid {
                &self.0
            }

            /// The address as a [`Jid`], without copying.
            pub fn into_jid(self) -> Jid {
                self.0
            }

            /// The whole address in prepared form.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The node (localpart), if there is one.
            pub fn node(&self) -> Option<&str> {
                self.0.node()
            }

            /// The domain (domainpart).
            pub fn domain(&self) -> &str {
                self.0.domain()
            }

            /// The bare part of this address with `resource` as its resource.
            pub fn with_resource(&self, resource: &ResourcePart<'_>) -> FullJid {
                self.0.with_resource(resource)
            }

            /// Like [`with_resource`](Self::with_resource), preparing `resource` first.
            pub fn with_resource_str(&self, resource: &str) -> Result<FullJid, JidError> {
                self.0.with_resource_str(resource)
            }
        }

        impl Deref for $name {
            type Target = Jid;

            fn deref(&self) -> &Jid {
                &self.0
            }
        }

        impl Borrow<Jid> for $name {
            fn borrow(&self) -> &Jid {
                &self.0
            }
        }

        impl AsRef<Jid> for $name {
            fn as_ref(&self) -> &Jid {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        impl From<$name> for Jid {
            fn from(jid: $name) -> Jid {
                jid.0
            }
        }

        impl TryFrom<Jid> for $name {
            type Error = JidError;

            fn try_from(jid: Jid) -> Result<$name, JidError> {
                Self::check(jid)
            }
        }

        impl FromStr for $name {
            type Err = JidError;

            fn from_str(s: &str) -> Result<$name, JidError> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = JidError;

            fn try_from(s: &str) -> Result<$name, JidError> {
                $name::new(s)
            }
        }

        /// Keeps the string's buffer when it is already in prepared form.
        impl TryFrom<String> for $name {
            type Error = JidError;

            fn try_from(s: String) -> Result<$name, JidError> {
                Self::check(Jid::try_from(s)?)
            }
        }

        impl PartialEq<Jid> for $name {
            fn eq(&self, other: &Jid) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for Jid {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0.as_str())
            }
        }
    };
}

newtype_common!(BareJid, Jid::is_bare, JidError::ResourceNotAllowed);
newtype_common!(FullJid, Jid::is_full, JidError::ResourceRequired);

impl BareJid {
    /// Builds a bare address from validated parts; never fails.
    pub fn from_parts(node: Option<&NodePart<'_>>, domain: &DomainPart<'_>) -> BareJid {
        BareJid(Jid::from_parts(node, domain, None))
    }
}

impl FullJid {
    /// Builds a full address from validated parts; never fails.
    pub fn from_parts(
        node: Option<&NodePart<'_>>,
        domain: &DomainPart<'_>,
        resource: &ResourcePart<'_>,
    ) -> FullJid {
        FullJid(Jid::from_parts(node, domain, Some(resource)))
    }

    /// The resource (always present).
    pub fn resource(&self) -> &str {
        self.0.resource().unwrap_or_default()
    }

    /// The resource as a typed part.
    pub fn resource_part(&self) -> ResourcePart<'_> {
        ResourcePart::from_prepared(self.resource())
    }

    /// The address without its resource.
    pub fn to_bare(&self) -> BareJid {
        self.0.to_bare()
    }

    /// The address without its resource, consuming it.
    pub fn into_bare(self) -> BareJid {
        self.0.into_bare()
    }
}

impl From<FullJid> for BareJid {
    fn from(full: FullJid) -> BareJid {
        full.into_bare()
    }
}
