//! [`PendingIqs`]: the requests this side sent and still waits for, so that a response is
//! matched to its request by `id` and by who answers (RFC 6120 §8.2.3, §10.3.3: a response
//! must come from the entity the request was addressed to).

use std::collections::HashMap;

use xmpp_jid::Jid;

use crate::Iq;

/// Why a request could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PendingError {
    /// The iq is a result or error, not a request.
    #[error("only get and set requests wait for a response")]
    NotARequest,
    /// A request with this id is already pending.
    #[error("a request with id {0:?} is already pending")]
    DuplicateId(String),
    /// The configured number of pending requests is reached.
    #[error("{0} requests are already pending")]
    Full(usize),
}

/// Requests awaiting their result or error, bounded (default 1,024).
///
/// ```
/// use xmpp_stanza::{Iq, PendingIqs, xep::ping::Ping};
/// let mut pending = PendingIqs::default();
/// let ping = Iq::get(Some("example.com".parse().unwrap()), "p1", Ping);
/// pending.register(&ping).unwrap();
/// // A result with the right id but from someone else is not the answer.
/// let spoofed = Iq::result(None, "p1", None).with_from("mallory@evil.com".parse().unwrap());
/// assert!(pending.take_response(&spoofed).is_none());
/// let pong = Iq::result(None, "p1", None).with_from("example.com".parse().unwrap());
/// assert_eq!(pending.take_response(&pong).unwrap().id, "p1");
/// assert!(pending.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PendingIqs {
    pending: HashMap<String, Iq>,
    max: usize,
}

impl Default for PendingIqs {
    fn default() -> Self {
        PendingIqs::with_limit(1024)
    }
}

impl PendingIqs {
    /// At most `max` pending requests.
    pub fn with_limit(max: usize) -> Self {
        PendingIqs {
            pending: HashMap::new(),
            max,
        }
    }

    /// Remembers a request just sent.
    ///
    /// # Errors
    /// [`PendingError`] for a result or error, a duplicate id, or too many pending requests.
    pub fn register(&mut self, request: &Iq) -> Result<(), PendingError> {
        if !request.payload_kind.is_request() {
            return Err(PendingError::NotARequest);
        }
        if self.pending.contains_key(&request.id) {
            return Err(PendingError::DuplicateId(request.id.clone()));
        }
        if self.pending.len() >= self.max {
            return Err(PendingError::Full(self.max));
        }
        self.pending.insert(request.id.clone(), request.clone());
        Ok(())
    }

    /// If `response` is the result or error of a pending request (same id, and from the
    /// address the request went to: a request without `to` is answered without `from` or by
    /// the account's server or bare JID), forgets the request and returns it.
    pub fn take_response(&mut self, response: &Iq) -> Option<Iq> {
        if response.payload_kind.is_request() {
            return None;
        }
        let request = self.pending.get(&response.id)?;
        let matches = match (&request.to, &response.from) {
            (Some(to), Some(from)) => to == from,
            (None, None) => true,
            // Addressed to the own account (no `to`): the server or the bare JID may answer.
            (None, Some(from)) => from.resource().is_none(),
            (Some(_), None) => false,
        };
        if matches {
            self.pending.remove(&response.id)
        } else {
            None
        }
    }

    /// Forgets a request (it timed out by the caller's clock); returns it if it was pending.
    pub fn cancel(&mut self, id: &str) -> Option<Iq> {
        self.pending.remove(id)
    }

    /// Forgets every pending request (the stream ended) and returns them, ordered by id.
    pub fn take_all(&mut self) -> Vec<Iq> {
        let mut all: Vec<Iq> = self.pending.drain().map(|(_, iq)| iq).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Whether the request `id` is pending.
    pub fn contains(&self, id: &str) -> bool {
        self.pending.contains_key(id)
    }

    /// How many requests are pending.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The addressee of the pending request `id` (`None` if unknown or addressed to nobody).
    pub fn addressee(&self, id: &str) -> Option<&Jid> {
        self.pending.get(id)?.to.as_ref()
    }
}
