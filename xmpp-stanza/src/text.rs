//! [`Texts`]: human-readable text in several languages (message bodies and subjects, presence
//! status, error text), at most one per `xml:lang`.

use xmpp_stream::xml::Element;

use crate::ParseError;

/// One text with its `xml:lang` (`None`: the stanza's or stream's language).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LangText {
    /// The `xml:lang` of the element that carried the text, if it had one.
    pub lang: Option<String>,
    /// The text.
    pub text: String,
}

/// Texts keyed by language, in the order received; at most one per language
/// (RFC 6121 §5.2.3: several `<body/>`s only with distinct `xml:lang`).
///
/// ```
/// use xmpp_stanza::Texts;
/// let mut t = Texts::default();
/// t.set(None, "Hello");
/// t.set(Some("fr"), "Bonjour");
/// assert_eq!(t.get(Some("fr")), Some("Bonjour"));
/// assert_eq!(t.get(None), Some("Hello"));
/// assert_eq!(t.first(), Some("Hello"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Texts(Vec<LangText>);

impl Texts {
    /// No text.
    pub fn new() -> Self {
        Self::default()
    }

    /// One text without its own `xml:lang`.
    pub fn single(text: impl Into<String>) -> Self {
        Texts(vec![LangText {
            lang: None,
            text: text.into(),
        }])
    }

    /// The text for exactly this language (`None`: the one without `xml:lang`).
    pub fn get(&self, lang: Option<&str>) -> Option<&str> {
        self.0
            .iter()
            .find(|t| t.lang.as_deref() == lang)
            .map(|t| t.text.as_str())
    }

    /// The first text, whatever its language.
    pub fn first(&self) -> Option<&str> {
        self.0.first().map(|t| t.text.as_str())
    }

    /// Sets the text for `lang`, replacing one already there.
    pub fn set(&mut self, lang: Option<&str>, text: impl Into<String>) {
        let text = text.into();
        match self.0.iter_mut().find(|t| t.lang.as_deref() == lang) {
            Some(t) => t.text = text,
            None => self.0.push(LangText {
                lang: lang.map(str::to_owned),
                text,
            }),
        }
    }

    /// All texts in order.
    pub fn iter(&self) -> std::slice::Iter<'_, LangText> {
        self.0.iter()
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many texts.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds one text read from `e`; call [`check_unique`](Self::check_unique) once all are in.
    pub(crate) fn push_from(&mut self, e: &Element, child: &'static str) -> Result<(), ParseError> {
        crate::util::no_children(e, child)?;
        self.0.push(LangText {
            lang: e.lang().map(str::to_owned),
            text: e.text().into_owned(),
        });
        Ok(())
    }

    /// Refuses two texts with the same language (O(n log n), however many there are).
    pub(crate) fn check_unique(
        &self,
        parent: &'static str,
        child: &'static str,
    ) -> Result<(), ParseError> {
        if self.0.len() < 2 {
            return Ok(());
        }
        let mut langs: Vec<Option<&str>> = self.0.iter().map(|t| t.lang.as_deref()).collect();
        langs.sort_unstable();
        match langs.windows(2).find(|w| w[0] == w[1]) {
            Some(w) => Err(ParseError::DuplicateChild {
                element: parent,
                child,
                lang: w[0].map(str::to_owned),
            }),
            None => Ok(()),
        }
    }

    /// One element per text, named `name` in `ns`.
    pub(crate) fn to_elements(
        &self,
        name: &'static str,
        ns: &'static str,
    ) -> impl Iterator<Item = Element> + '_ {
        self.0.iter().map(move |t| {
            let mut e = Element::new(name, ns);
            if let Some(l) = &t.lang {
                e.set_lang(l.clone());
            }
            e.push_text(t.text.clone());
            e
        })
    }
}

impl<'a> IntoIterator for &'a Texts {
    type Item = &'a LangText;
    type IntoIter = std::slice::Iter<'a, LangText>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<LangText> for Texts {
    /// Later texts replace earlier ones with the same language.
    fn from_iter<I: IntoIterator<Item = LangText>>(iter: I) -> Self {
        let mut t = Texts::default();
        for lt in iter {
            t.set(lt.lang.as_deref(), lt.text);
        }
        t
    }
}
