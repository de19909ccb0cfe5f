//! One-to-one chat sessions on the client: JID locking and threads (RFC 6121 §5.1, UCR-MSG-1..4).

use std::collections::BTreeMap;

use crate::delivery::MessageType;
use crate::jid::{BareJid, FullJid, Jid, bare_of, full_of};

/// The `type` to reply with: a chat stays a chat (UCR-MSG-1), and so do the other types that
/// expect replies; a headline expects none, so an answer to one is a `normal` message.
pub fn reply_type(incoming: MessageType) -> MessageType {
    match incoming {
        MessageType::Headline => MessageType::Normal,
        other => other,
    }
}

/// The state of one chat with a contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ChatSession {
    /// The full JID the conversation is locked to, once the contact answered from it.
    pub locked: Option<FullJid>,
    /// The `<thread/>` of the conversation, kept for its life (UCR-MSG-2).
    pub thread: Option<String>,
}

/// The chat sessions of a client, keyed by contact, least recently used evicted beyond a bound.
///
/// Addressing (UCR-MSG-3, UCR-MSG-4): a new conversation goes to the contact's bare JID; once a
/// message arrives from one of the contact's full JIDs, replies go to that full JID (the session
/// is *locked*). Any presence from the contact unlocks it, since the resource that was talking
/// may be gone or another one may now be preferred (RFC 6121 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSessions {
    sessions: BTreeMap<BareJid, (u64, ChatSession)>,
    recency: BTreeMap<u64, BareJid>,
    tick: u64,
    max: usize,
}

impl Default for ChatSessions {
    fn default() -> Self {
        Self::new()
    }
}

impl ChatSessions {
    /// No session; at most 4096 remembered.
    pub fn new() -> Self {
        Self::with_limit(4096)
    }

    /// No session; at most `max` remembered (at least one).
    pub fn with_limit(max: usize) -> Self {
        Self {
            sessions: BTreeMap::new(),
            recency: BTreeMap::new(),
            tick: 0,
            max: max.max(1),
        }
    }

    /// The session with a contact, if any.
    pub fn get(&self, contact: &BareJid) -> Option<&ChatSession> {
        self.sessions.get(contact).map(|(_, s)| s)
    }

    /// Where the next message to the contact goes: the locked full JID, or the bare JID.
    pub fn address_for(&self, contact: &BareJid) -> Jid {
        match self.get(contact).and_then(|s| s.locked.clone()) {
            Some(full) => full.into(),
            None => contact.clone().into(),
        }
    }

    /// The user sends a message to the contact: records the thread if the session has none yet,
    /// and returns the address to use and the thread to put in the message.
    pub fn outgoing(&mut self, contact: &BareJid, thread: Option<String>) -> (Jid, Option<String>) {
        let session = self.touch(contact);
        if session.thread.is_none() {
            session.thread = thread;
        }
        let thread = session.thread.clone();
        (self.address_for(contact), thread)
    }

    /// A message arrived. A `chat` (or `normal`) message from a full JID locks the session to it;
    /// its thread, if the session has none, becomes the session's thread.
    pub fn incoming(&mut self, from: &Jid, kind: MessageType, thread: Option<&str>) {
        if !matches!(kind, MessageType::Chat | MessageType::Normal) {
            return;
        }
        let contact = bare_of(from);
        let full = full_of(from);
        let session = self.touch(&contact);
        if full.is_some() {
            session.locked = full;
        }
        if session.thread.is_none() {
            session.thread = thread.map(str::to_owned);
        }
    }

    /// Presence arrived from `from`: the session with that contact is unlocked.
    pub fn presence_changed(&mut self, from: &Jid) {
        if let Some((_, s)) = self.sessions.get_mut(&bare_of(from)) {
            s.locked = None;
        }
    }

    /// The conversation is over: forget it.
    pub fn end(&mut self, contact: &BareJid) {
        if let Some((tick, _)) = self.sessions.remove(contact) {
            self.recency.remove(&tick);
        }
    }

    fn touch(&mut self, contact: &BareJid) -> &mut ChatSession {
        self.tick += 1;
        let tick = self.tick;
        if let Some((old, _)) = self.sessions.get(contact) {
            self.recency.remove(old);
        } else if self.sessions.len() >= self.max {
            if let Some((_, oldest)) = self.recency.pop_first() {
                self.sessions.remove(&oldest);
            }
        }
        self.recency.insert(tick, contact.clone());
        let entry = self
            .sessions
            .entry(contact.clone())
            .or_insert((tick, ChatSession::default()));
        entry.0 = tick;
        &mut entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> BareJid {
        s.parse().unwrap()
    }
    fn j(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn ucr_msg_1_chat_replies_stay_chat() {
        assert_eq!(reply_type(MessageType::Chat), MessageType::Chat);
        assert_eq!(reply_type(MessageType::Normal), MessageType::Normal);
        assert_eq!(reply_type(MessageType::Headline), MessageType::Normal);
    }

    #[test]
    fn ucr_msg_2_thread_is_kept_for_the_session() {
        let mut c = ChatSessions::new();
        let romeo = b("romeo@example.net");
        assert_eq!(
            c.outgoing(&romeo, Some("t1".into())),
            (j("romeo@example.net"), Some("t1".into()))
        );
        c.incoming(
            &j("romeo@example.net/orchard"),
            MessageType::Chat,
            Some("other"),
        );
        assert_eq!(c.outgoing(&romeo, Some("t2".into())).1, Some("t1".into()));
    }

    #[test]
    fn ucr_msg_3_bare_until_reply_then_locked_until_presence() {
        let mut c = ChatSessions::new();
        let romeo = b("romeo@example.net");
        assert_eq!(c.outgoing(&romeo, None).0, j("romeo@example.net"));
        assert_eq!(c.outgoing(&romeo, None).0, j("romeo@example.net"));
        c.incoming(&j("romeo@example.net/orchard"), MessageType::Chat, None);
        assert_eq!(c.outgoing(&romeo, None).0, j("romeo@example.net/orchard"));
        // A headline does not lock; presence unlocks.
        c.incoming(&j("romeo@example.net/pager"), MessageType::Headline, None);
        assert_eq!(c.address_for(&romeo), j("romeo@example.net/orchard"));
        c.presence_changed(&j("romeo@example.net/orchard"));
        assert_eq!(c.address_for(&romeo), j("romeo@example.net"));
    }

    #[test]
    fn ucr_msg_4_reply_goes_to_the_senders_full_jid() {
        let mut c = ChatSessions::new();
        c.incoming(
            &j("juliet@example.com/balcony"),
            MessageType::Chat,
            Some("e0ffe42b"),
        );
        let (to, thread) = c.outgoing(&b("juliet@example.com"), None);
        assert_eq!(to, j("juliet@example.com/balcony"));
        assert_eq!(thread.as_deref(), Some("e0ffe42b"));
    }

    #[test]
    fn sessions_are_bounded_least_recently_used_first() {
        let mut c = ChatSessions::with_limit(2);
        c.outgoing(&b("a@x"), None);
        c.outgoing(&b("b@x"), None);
        c.outgoing(&b("a@x"), None);
        c.outgoing(&b("c@x"), None);
        assert!(c.get(&b("a@x")).is_some());
        assert!(c.get(&b("b@x")).is_none());
        assert!(c.get(&b("c@x")).is_some());
        c.end(&b("a@x"));
        assert!(c.get(&b("a@x")).is_none());
    }
}
