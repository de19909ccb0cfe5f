//! [`Element`], [`Node`], [`Attribute`] and [`ElementBuilder`]: the namespace-resolved XML tree
//! that every stanza and nonza is read into and written from.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use super::ns;
use super::shared_str::SharedStr;

/// One attribute: local name, namespace (empty for the usual unprefixed attributes), value.
///
/// Namespace declarations (`xmlns`, `xmlns:p`) are never attributes: they are consumed by the
/// reader and produced by the writer. `xml:lang` is the attribute `lang` in [`ns::XML`].
#[derive(Debug, Clone)]
pub struct Attribute {
    pub(crate) name: SharedStr,
    pub(crate) ns: SharedStr,
    pub(crate) prefix: Option<SharedStr>,
    pub(crate) value: SharedStr,
}

impl Attribute {
    /// An attribute in no namespace (the common case: `to`, `type`, `id`, ...).
    pub fn new(name: impl Into<SharedStr>, value: impl Into<SharedStr>) -> Self {
        Attribute {
            name: name.into(),
            ns: SharedStr::new(),
            prefix: None,
            value: value.into(),
        }
    }

    /// An attribute in namespace `ns` (for example `xml:lang` is `("lang", ns::XML)`).
    pub fn new_ns(
        name: impl Into<SharedStr>,
        ns: impl Into<SharedStr>,
        value: impl Into<SharedStr>,
    ) -> Self {
        Attribute {
            name: name.into(),
            ns: ns.into(),
            prefix: None,
            value: value.into(),
        }
    }

    /// The local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace name, `""` for an unprefixed attribute.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The prefix the attribute was received with (a hint the writer reuses), if any.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The value, with references decoded and whitespace normalised as XML requires.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value as a shared string (cheap to clone).
    pub fn shared_value(&self) -> &SharedStr {
        &self.value
    }
}

/// Prefixes are hints for the writer, not part of the value.
impl PartialEq for Attribute {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.ns == other.ns && self.value == other.value
    }
}

impl Eq for Attribute {}

impl Hash for Attribute {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.ns.hash(state);
        self.value.hash(state);
    }
}

/// A child of an [`Element`]: an element or a run of text.
///
/// An element never holds two adjacent text nodes nor an empty one: appending text next to
/// text merges them, so `parse(write(e)) == e` holds for every tree the API can build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (references decoded, CDATA sections unwrapped).
    Text(SharedStr),
}

impl Node {
    /// The element, if this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        }
    }

    /// The text, if this node is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Node::Text(t) => Some(t),
            Node::Element(_) => None,
        }
    }
}

impl From<Element> for Node {
    fn from(e: Element) -> Self {
        Node::Element(e)
    }
}

/// An XML element with its namespace resolved.
///
/// - [`name`](Self::name) is the local name, [`ns`](Self::ns) the namespace name (URI).
///   Prefixes are not part of an element's identity: [`prefix`](Self::prefix) only records the
///   prefix it was received with, as a hint for the writer.
/// - Attributes: [`attr`](Self::attr) for unprefixed ones, [`attr_ns`](Self::attr_ns) for
///   namespaced ones, [`lang`](Self::lang) for `xml:lang`. Order is kept but does not count
///   for equality.
/// - Children in document order: [`nodes`](Self::nodes) (elements and text),
///   [`children`](Self::children) (elements only), [`child`](Self::child),
///   [`children_ns`](Self::children_ns), [`text`](Self::text).
///
/// Equality compares names, namespaces, attributes (as a set) and children; prefixes are
/// ignored. Dropping and writing are iterative, but a very deep tree built by hand still
/// recurses in `Clone`, `PartialEq` and `Debug`; parsed trees are bounded by
/// [`ReaderLimits::max_depth`](super::ReaderLimits::max_depth).
///
/// ```
/// use xmpp_stream::xml::{ns, Element};
/// let msg = Element::builder("message", ns::CLIENT)
///     .attr("to", "juliet@example.com")
///     .attr("type", "chat")
///     .lang("en")
///     .child(Element::builder("body", ns::CLIENT).text("Art thou not Romeo?"))
///     .build();
/// assert_eq!(msg.attr("type"), Some("chat"));
/// assert_eq!(msg.lang(), Some("en"));
/// assert_eq!(msg.child("body", ns::CLIENT).unwrap().text(), "Art thou not Romeo?");
/// let xml = msg.to_xml().unwrap();
/// assert_eq!(
///     xml,
///     "<message xmlns='jabber:client' to='juliet@example.com' type='chat' xml:lang='en'>\
///      <body>Art thou not Romeo?</body></message>"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Element {
    pub(crate) name: SharedStr,
    pub(crate) ns: SharedStr,
    pub(crate) prefix: Option<SharedStr>,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) nodes: Vec<Node>,
}

impl Element {
    /// An empty element `name` in namespace `ns`.
    pub fn new(name: impl Into<SharedStr>, ns: impl Into<SharedStr>) -> Self {
        Element {
            name: name.into(),
            ns: ns.into(),
            prefix: None,
            attrs: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// Starts building an element `name` in namespace `ns`.
    pub fn builder(name: impl Into<SharedStr>, ns: impl Into<SharedStr>) -> ElementBuilder {
        ElementBuilder {
            element: Element::new(name, ns),
        }
    }

    /// The local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace name (URI); `""` if the element is in no namespace.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The prefix this element was received with, or set with
    /// [`ElementBuilder::prefix`]: a hint the writer follows, never part of equality.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Sets (or clears) the prefix hint; see [`prefix`](Self::prefix).
    pub fn set_prefix(&mut self, prefix: Option<SharedStr>) {
        self.prefix = prefix;
    }

    /// Whether this element is `name` in namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && self.ns == ns
    }

    /// The value of the attribute `name` in no namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attr_ns(name, "")
    }

    /// The value of the attribute `name` in namespace `ns` (`""` for no namespace).
    pub fn attr_ns(&self, name: &str, ns: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns == ns)
            .map(|a| a.value.as_str())
    }

    /// The attribute `name` in no namespace, as a shared string (cheap to keep).
    pub fn shared_attr(&self, name: &str) -> Option<&SharedStr> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns.is_empty())
            .map(|a| &a.value)
    }

    /// All attributes, in the order received or set.
    pub fn attrs(&self) -> &[Attribute] {
        &self.attrs
    }

    /// Sets attribute `name` (no namespace), replacing an existing value.
    pub fn set_attr(&mut self, name: impl Into<SharedStr>, value: impl Into<SharedStr>) {
        self.set_attribute(Attribute::new(name, value));
    }

    /// Sets attribute `name` in namespace `ns`, replacing an existing value.
    pub fn set_attr_ns(
        &mut self,
        name: impl Into<SharedStr>,
        ns: impl Into<SharedStr>,
        value: impl Into<SharedStr>,
    ) {
        self.set_attribute(Attribute::new_ns(name, ns, value));
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

    /// Removes attribute `name` (no namespace), returning its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<SharedStr> {
        self.remove_attr_ns(name, "")
    }

    /// Removes attribute `name` in namespace `ns`, returning its value.
    pub fn remove_attr_ns(&mut self, name: &str, ns: &str) -> Option<SharedStr> {
        let i = self
            .attrs
            .iter()
            .position(|a| a.name == name && a.ns == ns)?;
        Some(self.attrs.remove(i).value)
    }

    /// This element's own `xml:lang`, if it carries one.
    ///
    /// Inheritance: a first-level element that has no `xml:lang` gets the stream header's
    /// from the reader (RFC 6120 §4.7.4); inside an element,
    /// use [`effective_lang`](Self::effective_lang) while walking down.
    pub fn lang(&self) -> Option<&str> {
        self.attr_ns("lang", ns::XML)
    }

    /// This element's language: its own `xml:lang`, else `inherited` (the parent's effective
    /// language, or the stream's default for a first-level element).
    pub fn effective_lang<'a>(&'a self, inherited: Option<&'a str>) -> Option<&'a str> {
        self.lang().or(inherited)
    }

    /// Sets `xml:lang`.
    pub fn set_lang(&mut self, lang: impl Into<SharedStr>) {
        self.set_attr_ns("lang", ns::XML, lang);
    }

    /// All children, elements and text, in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The child elements, in document order.
    pub fn children(&self) -> impl DoubleEndedIterator<Item = &Element> + '_ {
        self.nodes.iter().filter_map(Node::as_element)
    }

    /// Mutable access to the child elements, in document order.
    pub fn children_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Element> + '_ {
        self.nodes.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The child elements in namespace `ns`.
    pub fn children_ns<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children().filter(move |e| e.ns == ns)
    }

    /// The child elements named `name` in namespace `ns`.
    pub fn children_named<'a>(
        &'a self,
        name: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children().filter(move |e| e.is(name, ns))
    }

    /// The first child element named `name` in namespace `ns`.
    pub fn child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|e| e.is(name, ns))
    }

    /// Mutable access to the first child element named `name` in namespace `ns`.
    pub fn child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Element> {
        self.children_mut().find(|e| e.is(name, ns))
    }

    /// Whether a child element named `name` in namespace `ns` exists.
    pub fn has_child(&self, name: &str, ns: &str) -> bool {
        self.child(name, ns).is_some()
    }

    /// The text of the first child `name` in `ns`, if that child exists
    /// (`<body>hi</body>` → `Some("hi")`).
    pub fn child_text(&self, name: &str, ns: &str) -> Option<Cow<'_, str>> {
        self.child(name, ns).map(Element::text)
    }

    /// The concatenated direct text children (text inside child elements is not included).
    /// Borrowed, without allocating, unless text is split by child elements.
    pub fn text(&self) -> Cow<'_, str> {
        let mut texts = self.nodes.iter().filter_map(Node::as_text);
        let Some(first) = texts.next() else {
            return Cow::Borrowed("");
        };
        match texts.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::with_capacity(first.len() + second.len());
                s.push_str(first);
                s.push_str(second);
                texts.for_each(|t| s.push_str(t));
                Cow::Owned(s)
            }
        }
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Element) {
        self.nodes.push(Node::Element(child));
    }

    /// Appends text, merged with a text node already at the end; empty text is ignored.
    pub fn push_text(&mut self, text: impl Into<SharedStr>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        if let Some(Node::Text(last)) = self.nodes.last_mut() {
            let mut merged = String::with_capacity(last.len() + text.len());
            merged.push_str(last);
            merged.push_str(&text);
            *last = SharedStr::from(merged);
        } else {
            self.nodes.push(Node::Text(text));
        }
    }

    /// Appends a node (text is merged as in [`push_text`](Self::push_text)).
    pub fn push_node(&mut self, node: Node) {
        match node {
            Node::Element(e) => self.push_child(e),
            Node::Text(t) => self.push_text(t),
        }
    }

    /// Removes and returns the first child element named `name` in namespace `ns`.
    pub fn remove_child(&mut self, name: &str, ns: &str) -> Option<Element> {
        let i = self
            .nodes
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.is(name, ns)))?;
        match self.nodes.remove(i) {
            Node::Element(e) => {
                self.merge_text_at(i);
                Some(e)
            }
            Node::Text(_) => None,
        }
    }

    /// Removes all children and returns them.
    pub fn take_nodes(&mut self) -> Vec<Node> {
        std::mem::take(&mut self.nodes)
    }

    /// Consumes the element and returns its children.
    pub fn into_nodes(mut self) -> Vec<Node> {
        self.take_nodes()
    }

    /// Consumes the element and returns its child elements (text is dropped).
    pub fn into_children(self) -> impl Iterator<Item = Element> {
        self.into_nodes().into_iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// After removing node `i - 1`'s neighbour, merge texts that became adjacent at `i`.
    fn merge_text_at(&mut self, i: usize) {
        if i == 0 || i >= self.nodes.len() {
            return;
        }
        if let (Node::Text(_), Node::Text(_)) = (&self.nodes[i - 1], &self.nodes[i]) {
            if let Node::Text(t) = self.nodes.remove(i) {
                self.push_text_at(i - 1, t);
            }
        }
    }

    fn push_text_at(&mut self, i: usize, text: SharedStr) {
        if let Some(Node::Text(prev)) = self.nodes.get_mut(i) {
            let mut merged = String::with_capacity(prev.len() + text.len());
            merged.push_str(prev);
            merged.push_str(&text);
            *prev = SharedStr::from(merged);
        }
    }
}

/// Names, namespaces, attributes as a set, and children; prefixes are ignored.
impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.ns == other.ns
            && self.attrs.len() == other.attrs.len()
            && self.attrs.iter().all(|a| other.attrs.contains(a))
            && self.nodes == other.nodes
    }
}

impl Eq for Element {}

impl Hash for Element {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Attribute order does not count for equality, so it must not count here either.
        self.name.hash(state);
        self.ns.hash(state);
        self.attrs.len().hash(state);
        self.nodes.hash(state);
    }
}

impl Drop for Element {
    /// Iterative below the grandchildren, so that dropping a deep tree cannot overflow the
    /// stack; shallow trees (most stanzas) take the plain recursive path, which allocates
    /// nothing.
    fn drop(&mut self) {
        if !has_deep_children(self) {
            return;
        }
        let mut stack = std::mem::take(&mut self.nodes);
        while let Some(node) = stack.pop() {
            if let Node::Element(mut e) = node {
                if has_deep_children(&e) {
                    stack.append(&mut e.nodes);
                }
            }
        }
    }
}

/// Whether some child element of `e` has child elements itself.
fn has_deep_children(e: &Element) -> bool {
    e.nodes.iter().any(|n| match n {
        Node::Element(c) => c.nodes.iter().any(|g| matches!(g, Node::Element(_))),
        Node::Text(_) => false,
    })
}

/// Builds an [`Element`] by chaining; made by [`Element::builder`].
///
/// Every method takes and returns the builder; [`build`](Self::build) (or `.into()`) ends it.
/// Setting an attribute twice keeps the last value.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ElementBuilder {
    element: Element,
}

impl ElementBuilder {
    /// Sets attribute `name` (no namespace).
    pub fn attr(mut self, name: impl Into<SharedStr>, value: impl Into<SharedStr>) -> Self {
        self.element.set_attr(name, value);
        self
    }

    /// Sets attribute `name` if `value` is `Some` (handy for optional stanza attributes).
    pub fn attr_opt<V: Into<SharedStr>>(
        mut self,
        name: impl Into<SharedStr>,
        value: Option<V>,
    ) -> Self {
        if let Some(value) = value {
            self.element.set_attr(name, value);
        }
        self
    }

    /// Sets attribute `name` in namespace `ns`.
    pub fn attr_ns(
        mut self,
        name: impl Into<SharedStr>,
        ns: impl Into<SharedStr>,
        value: impl Into<SharedStr>,
    ) -> Self {
        self.element.set_attr_ns(name, ns, value);
        self
    }

    /// Sets `xml:lang`.
    pub fn lang(mut self, lang: impl Into<SharedStr>) -> Self {
        self.element.set_lang(lang);
        self
    }

    /// Asks the writer to use `prefix` for this element (e.g. `db` for dialback) instead of a
    /// default namespace declaration.
    pub fn prefix(mut self, prefix: impl Into<SharedStr>) -> Self {
        self.element.prefix = Some(prefix.into());
        self
    }

    /// Appends a child element (an [`Element`] or another builder).
    pub fn child(mut self, child: impl Into<Element>) -> Self {
        self.element.push_child(child.into());
        self
    }

    /// Appends a child element if `child` is `Some`.
    pub fn child_opt(mut self, child: Option<impl Into<Element>>) -> Self {
        if let Some(child) = child {
            self.element.push_child(child.into());
        }
        self
    }

    /// Appends child elements.
    pub fn children<I>(mut self, children: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Element>,
    {
        for child in children {
            self.element.push_child(child.into());
        }
        self
    }

    /// Appends text (merged with text just before it).
    pub fn text(mut self, text: impl Into<SharedStr>) -> Self {
        self.element.push_text(text);
        self
    }

    /// Appends a node.
    pub fn node(mut self, node: Node) -> Self {
        self.element.push_node(node);
        self
    }

    /// The element.
    pub fn build(self) -> Element {
        self.element
    }
}

impl From<ElementBuilder> for Element {
    fn from(b: ElementBuilder) -> Self {
        b.build()
    }
}

impl From<ElementBuilder> for Node {
    fn from(b: ElementBuilder) -> Self {
        Node::Element(b.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Element {
        Element::builder("message", ns::CLIENT)
            .attr("to", "a@b")
            .attr("type", "chat")
            .child(Element::builder("body", ns::CLIENT).text("one"))
            .child(Element::builder("x", "urn:x").attr("k", "v"))
            .child(Element::builder("body", ns::CLIENT).lang("de").text("eins"))
            .build()
    }

    #[test]
    fn lookups_find_by_name_and_namespace() {
        let m = msg();
        assert_eq!(m.name(), "message");
        assert_eq!(m.ns(), ns::CLIENT);
        assert!(m.is("message", ns::CLIENT));
        assert!(!m.is("message", ns::SERVER));
        assert_eq!(m.attr("to"), Some("a@b"));
        assert_eq!(m.attr("from"), None);
        assert_eq!(m.child("body", ns::CLIENT).unwrap().text(), "one");
        assert!(m.child("body", "urn:x").is_none());
        assert_eq!(m.children().count(), 3);
        assert_eq!(m.children_ns("urn:x").count(), 1);
        assert_eq!(m.children_named("body", ns::CLIENT).count(), 2);
        assert_eq!(
            m.children_named("body", ns::CLIENT)
                .map(|b| b.effective_lang(Some("en")))
                .collect::<Vec<_>>(),
            vec![Some("en"), Some("de")]
        );
        assert_eq!(m.child_text("body", ns::CLIENT).as_deref(), Some("one"));
        assert!(m.has_child("x", "urn:x"));
    }

    #[test]
    fn attributes_are_replaced_not_duplicated() {
        let mut e = Element::builder("iq", ns::CLIENT)
            .attr("id", "1")
            .attr("id", "2")
            .attr_opt("to", None::<&'static str>)
            .attr_opt("from", Some("x"))
            .build();
        assert_eq!(e.attrs().len(), 2);
        assert_eq!(e.attr("id"), Some("2"));
        e.set_attr_ns("id", "urn:other", "3");
        assert_eq!(e.attr("id"), Some("2"));
        assert_eq!(e.attr_ns("id", "urn:other"), Some("3"));
        assert_eq!(e.remove_attr("id").as_deref(), Some("2"));
        assert_eq!(e.attr("id"), None);
        assert_eq!(e.remove_attr("id"), None);
    }

    #[test]
    fn text_is_merged_and_empty_text_ignored() {
        let mut e = Element::new("body", ns::CLIENT);
        e.push_text("");
        assert!(e.nodes().is_empty());
        e.push_text("a");
        e.push_text(String::from("b"));
        assert_eq!(e.nodes(), &[Node::Text("ab".into())]);
        e.push_child(Element::new("br", ns::CLIENT));
        e.push_text("c");
        assert_eq!(e.text(), "abc");
        assert!(matches!(e.text(), Cow::Owned(_)));
        // Removing the element between two texts merges them.
        assert!(e.remove_child("br", ns::CLIENT).is_some());
        assert_eq!(e.nodes(), &[Node::Text("abc".into())]);
        assert!(matches!(e.text(), Cow::Borrowed("abc")));
    }

    #[test]
    fn equality_ignores_attribute_order_and_prefixes() {
        let a = Element::builder("a", "urn:a")
            .attr("x", "1")
            .attr("y", "2")
            .build();
        let b = Element::builder("a", "urn:a")
            .prefix("p")
            .attr("y", "2")
            .attr("x", "1")
            .build();
        assert_eq!(a, b);
        let hash = |e: &Element| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            e.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        let c = Element::builder("a", "urn:a").attr("x", "1").build();
        assert_ne!(a, c);
        assert_ne!(a, Element::builder("a", "urn:b").build());
    }

    #[test]
    fn very_deep_trees_drop_without_overflowing_the_stack() {
        let mut e = Element::new("d", "urn:d");
        for _ in 0..200_000 {
            let mut parent = Element::new("d", "urn:d");
            parent.push_child(e);
            e = parent;
        }
        drop(e);
    }

    #[test]
    fn into_children_and_take_nodes() {
        let m = msg();
        let names: Vec<_> = m.clone().into_children().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["body", "x", "body"]);
        let mut m = m;
        assert_eq!(m.take_nodes().len(), 3);
        assert!(m.nodes().is_empty());
    }
}
