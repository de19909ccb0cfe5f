//! [`StreamHeader`]: the attributes and namespace declarations of `<stream:stream>`, as read
//! by the [`Reader`](super::Reader) and written by the [`Writer`](super::Writer).
//!
//! This type only carries what is on the wire; what the values mean (version negotiation,
//! `to`/`from` rules, stream ids) is the connection machine's business.

use super::element::Attribute;
use super::ns;
use super::shared_str::SharedStr;

/// The opening `<stream:stream ...>` tag of an XML stream (RFC 6120 §4.7).
///
/// ```
/// use xmpp_stream::xml::{ns, StreamHeader, Writer};
/// let header = StreamHeader::new(ns::CLIENT)
///     .with_to("example.com")
///     .with_version("1.0")
///     .with_lang("en");
/// let mut out = Vec::new();
/// Writer::new().write_stream_header(&header, &mut out).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xml:lang='en' \
///      xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamHeader {
    pub(crate) content_ns: Option<SharedStr>,
    pub(crate) stream_prefix: SharedStr,
    pub(crate) namespaces: Vec<(SharedStr, SharedStr)>,
    pub(crate) attrs: Vec<Attribute>,
}

impl StreamHeader {
    /// A header whose default (content) namespace is `content_ns`: [`ns::CLIENT`],
    /// [`ns::SERVER`] or [`ns::COMPONENT_ACCEPT`].
    pub fn new(content_ns: impl Into<SharedStr>) -> Self {
        StreamHeader {
            content_ns: Some(content_ns.into()),
            stream_prefix: SharedStr::from_static("stream"),
            namespaces: Vec::new(),
            attrs: Vec::new(),
        }
    }

    /// The default namespace declared on the header (`xmlns='jabber:client'`), which first-level
    /// elements without their own declaration are in. `None` if the peer declared none.
    pub fn content_ns(&self) -> Option<&str> {
        self.content_ns.as_deref()
    }

    /// The prefix the peer bound to the streams namespace (`stream` in practice).
    pub fn stream_prefix(&self) -> &str {
        &self.stream_prefix
    }

    /// The other prefixed namespace declarations, as `(prefix, namespace)` (for example
    /// `("db", "jabber:server:dialback")`).
    pub fn namespaces(&self) -> &[(SharedStr, SharedStr)] {
        &self.namespaces
    }

    /// The attributes other than namespace declarations, in order.
    pub fn attrs(&self) -> &[Attribute] {
        &self.attrs
    }

    /// The value of attribute `name` (no namespace).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns.is_empty())
            .map(|a| a.value.as_str())
    }

    /// The value of attribute `name` in namespace `ns`.
    pub fn attr_ns(&self, name: &str, ns: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns == ns)
            .map(|a| a.value.as_str())
    }

    /// `to`.
    pub fn to(&self) -> Option<&str> {
        self.attr("to")
    }

    /// `from`.
    pub fn from(&self) -> Option<&str> {
        self.attr("from")
    }

    /// `id`.
    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// `version`, unparsed (see RFC 6120 §4.7.5: compare it numerically, field by field).
    pub fn version(&self) -> Option<&str> {
        self.attr("version")
    }

    /// `xml:lang`, the stream's default language.
    pub fn lang(&self) -> Option<&str> {
        self.attr_ns("lang", ns::XML)
    }

    /// Sets an attribute (no namespace), replacing an existing one.
    pub fn set_attr(&mut self, name: impl Into<SharedStr>, value: impl Into<SharedStr>) {
        self.set_attribute(Attribute::new(name, value));
    }

    /// Sets an attribute, replacing one with the same name and namespace.
    pub fn set_attribute(&mut self, attr: Attribute) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.name == attr.name && a.ns == attr.ns)
        {
            Some(existing) => *existing = attr,
            None => self.attrs.push(attr),
        }
    }

    /// With attribute `name` set.
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<SharedStr>, value: impl Into<SharedStr>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// With `to` set.
    #[must_use]
    pub fn with_to(self, to: impl Into<SharedStr>) -> Self {
        self.with_attr("to", to)
    }

    /// With `from` set.
    #[must_use]
    pub fn with_from(self, from: impl Into<SharedStr>) -> Self {
        self.with_attr("from", from)
    }

    /// With `id` set.
    #[must_use]
    pub fn with_id(self, id: impl Into<SharedStr>) -> Self {
        self.with_attr("id", id)
    }

    /// With `version` set.
    #[must_use]
    pub fn with_version(self, version: impl Into<SharedStr>) -> Self {
        self.with_attr("version", version)
    }

    /// With `xml:lang` set.
    #[must_use]
    pub fn with_lang(mut self, lang: impl Into<SharedStr>) -> Self {
        self.set_attribute(Attribute::new_ns("lang", ns::XML, lang));
        self
    }

    /// With an extra namespace declaration `xmlns:prefix='namespace'` (for example `db` for
    /// dialback); first-level elements in that namespace are then written with the prefix.
    #[must_use]
    pub fn with_namespace(
        mut self,
        prefix: impl Into<SharedStr>,
        namespace: impl Into<SharedStr>,
    ) -> Self {
        let prefix = prefix.into();
        let namespace = namespace.into();
        match self.namespaces.iter_mut().find(|(p, _)| *p == prefix) {
            Some(existing) => existing.1 = namespace,
            None => self.namespaces.push((prefix, namespace)),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_read_the_attributes() {
        let h = StreamHeader::new(ns::SERVER)
            .with_from("a.example")
            .with_to("b.example")
            .with_id("abc")
            .with_version("1.0")
            .with_lang("fr")
            .with_namespace("db", ns::DIALBACK)
            .with_namespace("db", ns::DIALBACK);
        assert_eq!(h.content_ns(), Some(ns::SERVER));
        assert_eq!(h.from(), Some("a.example"));
        assert_eq!(h.to(), Some("b.example"));
        assert_eq!(h.id(), Some("abc"));
        assert_eq!(h.version(), Some("1.0"));
        assert_eq!(h.lang(), Some("fr"));
        assert_eq!(h.attr("lang"), None);
        assert_eq!(h.namespaces().len(), 1);
        assert_eq!(h.stream_prefix(), "stream");
        assert_eq!(h.with_id("x").id(), Some("x"));
    }
}
