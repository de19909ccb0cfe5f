//! Stanzas on an established stream: the peer's addresses checked and stamped (RFC 6120
//! §8.1.2, §4.7.1 for s2s and components) before the application sees them.

use xmpp_jid::Jid;

use super::state::Side;
use super::{Connection, Event};
use crate::bind;
use crate::header::{Role, StreamKind};
use crate::stream_error::{StreamCondition, StreamError};
use crate::xml::{Element, ns};

impl Connection {
    pub(super) fn on_stanza(&mut self, mut el: Element) {
        let ns_ = el.ns().to_owned();
        if ns_ == ns::STREAM {
            self.fail(StreamError::new(StreamCondition::UnsupportedStanzaType));
            return;
        }
        if ns_ == crate::stream_management::NS && self.kind == StreamKind::Client {
            self.on_sm_element(&el);
            return;
        }
        if StreamKind::from_content_ns(&ns_).is_some() && ns_ != self.kind.content_ns() {
            // UCR-NS-8.
            self.fail(StreamError::new(StreamCondition::InvalidNamespace));
            return;
        }
        let is_stanza =
            ns_ == self.kind.content_ns() && matches!(el.name(), "message" | "presence" | "iq");
        if ns_ == self.kind.content_ns() && !is_stanza {
            self.fail(StreamError::new(StreamCondition::UnsupportedStanzaType));
            return;
        }
        if is_stanza && self.role() == Role::Receiver {
            if let Err(e) = self.check_addresses(&mut el) {
                self.fail(e);
                return;
            }
            // Legacy session IQ after bind: answer it here.
            if self.kind == StreamKind::Client
                && bind::is_session_request(&el)
                && self.take_session_request()
            {
                let id = el.attr("id").unwrap_or_default().to_owned();
                let reply = bind::iq_result(self.kind.content_ns(), &id);
                self.write_element(&reply);
                self.sm_count_inbound();
                return;
            }
        }
        if is_stanza {
            self.sm_count_inbound();
        }
        self.events.push_back(Event::Stanza(el));
    }

    /// Receiver: whether the legacy session request just read is the stream's first (it is
    /// answered once); marks it done.
    fn take_session_request(&mut self) -> bool {
        match &mut *self.side {
            Side::Receiver { session_done, .. } if !*session_done => {
                *session_done = true;
                true
            }
            _ => false,
        }
    }

    /// The receiving side's `to`/`from` rules.
    pub(super) fn check_addresses(&self, el: &mut Element) -> Result<(), StreamError> {
        match self.kind {
            StreamKind::Client => {
                let Some(full) = self.progress.bound.as_ref() else {
                    return Err(StreamError::new(StreamCondition::NotAuthorized));
                };
                match el.attr("from") {
                    None => {
                        el.set_attr("from", full.as_str().to_owned());
                    }
                    Some(f) => {
                        let ok = match Jid::new(f) {
                            Ok(j) => {
                                j.as_str() == full.as_str() || j.as_str() == full.to_bare().as_str()
                            }
                            Err(_) => false,
                        };
                        if !ok {
                            // A client cannot speak for another account or resource.
                            return Err(StreamError::new(StreamCondition::InvalidFrom));
                        }
                    }
                }
                Ok(())
            }
            StreamKind::Server | StreamKind::Component => {
                let (Some(from), Some(to)) = (el.attr("from"), el.attr("to")) else {
                    return Err(StreamError::new(StreamCondition::ImproperAddressing));
                };
                let (Ok(from), Ok(to)) = (Jid::new(from), Jid::new(to)) else {
                    return Err(StreamError::new(StreamCondition::ImproperAddressing));
                };
                let peer = self.progress.identity.as_deref().unwrap_or_default();
                let from_ok = match self.kind {
                    StreamKind::Component => is_same_or_subdomain(from.domain(), peer),
                    _ => from.domain().eq_ignore_ascii_case(peer),
                };
                if !from_ok {
                    return Err(StreamError::new(StreamCondition::InvalidFrom));
                }
                if self.kind == StreamKind::Server {
                    let served = match &*self.side {
                        Side::Receiver { domains, .. } => {
                            domains.iter().any(|d| d.eq_ignore_ascii_case(to.domain()))
                        }
                        Side::Initiator { .. } => true,
                    };
                    if !served {
                        return Err(StreamError::new(StreamCondition::HostUnknown));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Whether `domain` is `parent` or a subdomain of it (ASCII case-insensitive).
fn is_same_or_subdomain(domain: &str, parent: &str) -> bool {
    if domain.eq_ignore_ascii_case(parent) {
        return true;
    }
    let (d, p) = (domain.as_bytes(), parent.as_bytes());
    d.len() > p.len() + 1
        && d[d.len() - p.len() - 1] == b'.'
        && d[d.len() - p.len()..].eq_ignore_ascii_case(p)
}
