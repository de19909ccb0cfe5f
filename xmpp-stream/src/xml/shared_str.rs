//! [`SharedStr`]: the string type of every name, namespace, attribute value and text node.
//!
//! A `SharedStr` is an immutable UTF-8 string that is one of: a `&'static str` (no allocation),
//! a slice of a received buffer shared with other slices (no copy: the reader hands these out),
//! or an owned copy. Cloning is cheap in every case (a reference-count increment at most).

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;

use bytes::Bytes;
use bytestring::ByteString;

/// An immutable, cheaply cloned UTF-8 string backed by [`bytes::Bytes`].
///
/// Compares, orders and hashes like the `str` it holds.
///
/// ```
/// use xmpp_stream::xml::SharedStr;
/// let a = SharedStr::from("jabber:client"); // static: no allocation
/// let b = SharedStr::from(String::from("jabber:client"));
/// assert_eq!(a, b);
/// assert_eq!(a, "jabber:client");
/// assert_eq!(a.len(), 13); // derefs to `str`
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SharedStr(ByteString);

impl SharedStr {
    /// The empty string.
    pub const fn new() -> Self {
        SharedStr(ByteString::new())
    }

    /// Wraps a static string without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        SharedStr(ByteString::from_static(s))
    }

    /// Copies `s` into a new buffer (for a borrowed string that is not `'static`).
    pub fn copy_from(s: &str) -> Self {
        SharedStr(ByteString::from(s))
    }

    /// Validates `bytes` as UTF-8 and wraps them without copying.
    ///
    /// # Errors
    /// The UTF-8 error if `bytes` is not valid UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        ByteString::try_from(bytes).map(SharedStr)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The underlying bytes (shared, not copied).
    pub fn as_bytes(&self) -> &Bytes {
        self.0.as_bytes()
    }

    /// A `SharedStr` for `subset`, which must be a sub-slice of `self` (pointer-wise).
    /// Shares the buffer: no copy.
    pub(crate) fn slice_ref(&self, subset: &str) -> Self {
        SharedStr(self.0.slice_ref(subset))
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<[u8]> for SharedStr {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must agree with `str`'s hash because of `Borrow<str>`.
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for SharedStr {
    fn from(s: &'static str) -> Self {
        SharedStr::from_static(s)
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(ByteString::from(s))
    }
}

impl From<Box<str>> for SharedStr {
    fn from(s: Box<str>) -> Self {
        SharedStr(ByteString::from(s))
    }
}

impl From<Cow<'static, str>> for SharedStr {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => SharedStr::from_static(s),
            Cow::Owned(s) => SharedStr::from(s),
        }
    }
}

impl From<&SharedStr> for SharedStr {
    fn from(s: &SharedStr) -> Self {
        s.clone()
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.as_str().to_owned()
    }
}

impl FromStr for SharedStr {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SharedStr::copy_from(s))
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn hashes_like_str_so_borrow_lookups_work() {
        let mut set = HashSet::new();
        set.insert(SharedStr::from(String::from("body")));
        assert!(set.contains("body"));
        assert!(!set.contains("thread"));
    }

    #[test]
    fn slices_share_the_buffer() {
        let whole = SharedStr::from_utf8(Bytes::from_static(b"<a>hello</a>")).unwrap();
        let part = whole.slice_ref(&whole[3..8]);
        assert_eq!(part, "hello");
        assert_eq!(part.as_bytes().as_ptr(), whole.as_bytes()[3..].as_ptr());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert!(SharedStr::from_utf8(Bytes::from_static(b"\xff")).is_err());
    }

    #[test]
    fn compares_with_string_types_both_ways() {
        let s = SharedStr::from("x");
        let owned = String::from("x");
        assert_eq!(s, "x");
        assert_eq!("x", s);
        assert_eq!(s, owned);
        assert_eq!(owned, s);
        assert_ne!(s, "y");
        assert_eq!(String::from(s.clone()), "x");
        assert_eq!(format!("{s} {s:?}"), "x \"x\"");
        let (a, b) = (SharedStr::from("a"), SharedStr::from("b"));
        assert!(a < b);
    }
}
