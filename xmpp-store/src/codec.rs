//! How values become columns: subscription states by name, group lists length-prefixed,
//! stanzas as the XML the stream writer makes (read back with the stanza parsers).

use xmpp_im::subscription::{RosterSubscription, SubscriptionState};
use xmpp_stanza::{Message, Presence};
use xmpp_stream::xml::Element;

use crate::error::Error;

/// The column text of a subscription state (RFC 6121 Appendix A names).
pub(crate) fn state_name(s: SubscriptionState) -> &'static str {
    use SubscriptionState as S;
    match s {
        S::None => "none",
        S::NonePendingOut => "none+out",
        S::NonePendingIn => "none+in",
        S::NonePendingOutIn => "none+out+in",
        S::To => "to",
        S::ToPendingIn => "to+in",
        S::From => "from",
        S::FromPendingOut => "from+out",
        S::Both => "both",
    }
}

/// The state named by [`state_name`].
pub(crate) fn state_of(name: &str) -> Result<SubscriptionState, Error> {
    SubscriptionState::ALL
        .into_iter()
        .find(|s| state_name(*s) == name)
        .ok_or_else(|| Error::Database(format!("unknown subscription state {name:?}")))
}

/// The `subscription` attribute named `name`.
pub(crate) fn subscription_of(name: &str) -> Result<RosterSubscription, Error> {
    name.parse()
        .map_err(|e| Error::Database(format!("roster log: {e}")))
}

/// Groups as one text: each as `LEN:NAME` (LEN in bytes), so any name survives.
pub(crate) fn groups_text(groups: &[String]) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&g.len().to_string());
        out.push(':');
        out.push_str(g);
    }
    out
}

/// The groups of [`groups_text`].
pub(crate) fn groups_of(mut text: &str) -> Result<Vec<String>, Error> {
    let bad = || Error::Database("malformed group list".into());
    let mut out = Vec::new();
    while !text.is_empty() {
        let (len, rest) = text.split_once(':').ok_or_else(bad)?;
        let len: usize = len.parse().map_err(|_| bad())?;
        let name = rest.get(..len).ok_or_else(bad)?;
        out.push(name.to_owned());
        text = &rest[len..];
    }
    Ok(out)
}

/// A message as XML.
pub(crate) fn message_xml(m: Message) -> Result<String, Error> {
    Element::from(m)
        .to_xml()
        .map_err(|e| Error::Database(format!("cannot serialize a message: {e}")))
}

/// The message of [`message_xml`].
pub(crate) fn message_of(xml: &str) -> Result<Message, Error> {
    let el = Element::parse(xml.as_bytes())
        .map_err(|e| Error::Database(format!("stored message: {e}")))?;
    Message::try_from(&el).map_err(|e| Error::Database(format!("stored message: {e}")))
}

/// A presence as XML.
pub(crate) fn presence_xml(p: Presence) -> Result<String, Error> {
    Element::from(p)
        .to_xml()
        .map_err(|e| Error::Database(format!("cannot serialize a presence: {e}")))
}

/// The presence of [`presence_xml`].
pub(crate) fn presence_of(xml: &str) -> Result<Presence, Error> {
    let el = Element::parse(xml.as_bytes())
        .map_err(|e| Error::Database(format!("stored presence: {e}")))?;
    Presence::try_from(&el).map_err(|e| Error::Database(format!("stored presence: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_distinct_name_that_reads_back() {
        for s in SubscriptionState::ALL {
            assert_eq!(state_of(state_name(s)).unwrap(), s);
        }
        assert!(state_of("sideways").is_err());
    }

    #[test]
    fn group_lists_survive_any_names() {
        for groups in [
            vec![],
            vec!["".to_owned()],
            vec!["a:b".to_owned(), "12:x".to_owned(), "çà\n".to_owned()],
        ] {
            assert_eq!(groups_of(&groups_text(&groups)).unwrap(), groups);
        }
        assert!(groups_of("3:ab").is_err());
        assert!(groups_of("x:ab").is_err());
    }
}
