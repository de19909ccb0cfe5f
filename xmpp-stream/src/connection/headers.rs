//! Stream headers: the initiator's initial header, the receiver's response header, and what
//! each side checks in the header it receives (version, namespaces, `to`/`from`, ids).

use super::state::{InitiatorStep, Phase, ReceiverStep, Side};
use super::{Connection, Event};
use crate::component;
use crate::header::{self, StreamKind, Version};
use crate::stream_error::{StreamCondition, StreamError};
use crate::xml::{Element, StreamHeader, ns};

impl Connection {
    pub(super) fn send_initial_header(&mut self) {
        let Side::Initiator { to, from, .. } = &*self.side else {
            return;
        };
        let mut h = StreamHeader::new(self.kind.content_ns());
        let send_from = match self.kind {
            StreamKind::Client => self.progress.tls_done || self.profile.client_from_before_tls,
            StreamKind::Server => true,
            StreamKind::Component => false,
        };
        if send_from {
            if let Some(f) = from {
                h = h.with_from(f.clone());
            }
        }
        h = h.with_to(to.clone());
        if self.kind.negotiates_features() {
            h = h.with_version("1.0");
            h = h.with_lang(self.profile.default_lang.clone());
        }
        self.write_header(&h);
        self.flush_tls();
        self.set_phase(Phase::AwaitHeader);
    }

    /// Receiver: writes our response header. `version` is the negotiated one.
    pub(super) fn send_response_header(
        &mut self,
        peer: Option<&StreamHeader>,
        version: Option<Version>,
    ) {
        let Side::Receiver {
            domains,
            local_domain,
            ..
        } = &*self.side
        else {
            return;
        };
        let local = local_domain
            .clone()
            .or_else(|| domains.first().cloned())
            .unwrap_or_default();
        let id = match self.progress.stream_id.clone() {
            Some(id) => id,
            None => {
                let id = self.new_stream_id();
                self.progress.stream_id = Some(id.clone());
                id
            }
        };
        let content_ns = peer
            .and_then(|p| p.content_ns())
            .filter(|c| *c == self.kind.content_ns())
            .unwrap_or(self.kind.content_ns())
            .to_owned();
        let mut h = StreamHeader::new(content_ns).with_from(local).with_id(id);
        if let Some(peer) = peer {
            // c2s: echo the client's `from` in `to` only if it sent one (UCR-ATTR-7);
            // s2s: `to` is the initiator's `from` (UCR-ATTR-8).
            if self.kind != StreamKind::Component {
                if let Some(f) = peer.from() {
                    h = h.with_to(f.to_owned());
                }
            }
        }
        if let Some(v) = version {
            h = h.with_version(v.to_string());
        }
        if self.kind != StreamKind::Component {
            let lang = self
                .progress
                .lang
                .clone()
                .unwrap_or_else(|| self.profile.default_lang.clone());
            h = h.with_lang(lang);
        }
        self.write_header(&h);
        if let Side::Receiver { header_sent, .. } = &mut *self.side {
            *header_sent = true;
        }
    }

    pub(super) fn on_initial_header(&mut self, h: StreamHeader) {
        let Side::Receiver {
            domains,
            components,
            local_domain,
            ..
        } = &mut *self.side
        else {
            return;
        };
        // Which domain are we? `to` must name one we serve (components: a configured one).
        let to = h.to().map(str::to_owned);
        let served = match self.kind {
            StreamKind::Component => to
                .as_deref()
                .filter(|t| components.iter().any(|(d, _)| d.eq_ignore_ascii_case(t))),
            _ => to
                .as_deref()
                .filter(|t| domains.iter().any(|d| d.eq_ignore_ascii_case(t))),
        }
        .map(str::to_owned);
        *local_domain = served.clone();
        self.progress.lang = h
            .lang()
            .filter(|l| header::is_valid_lang(l))
            .map(str::to_owned);
        let semantic = header::StreamHeaderInfo::from_xml(&h);
        let version = match header::check_initial_header(
            &semantic,
            self.kind,
            self.profile.legacy_versions,
        ) {
            Ok(v) => v,
            Err(e) => {
                self.send_response_header(Some(&h), Some(Version::V1_0));
                self.fail(e);
                return;
            }
        };
        if served.is_none() {
            self.send_response_header(Some(&h), version);
            // RFC 6120 §4.9.1.3: a missing or unknown `to` gets our header (with our own
            // domain in `from`), then <host-unknown/>.
            self.fail(StreamError::new(StreamCondition::HostUnknown));
            return;
        }
        if self.kind == StreamKind::Server && h.from().is_none() {
            self.send_response_header(Some(&h), version);
            self.fail(
                StreamError::new(StreamCondition::ImproperAddressing)
                    .with_text("en", "s2s header without from"),
            );
            return;
        }
        self.progress.peer_from = h.from().map(str::to_owned);
        self.progress.version = version;
        self.send_response_header(Some(&h), version);
        let id = self.progress.stream_id.clone().unwrap_or_default();
        self.events.push_back(Event::StreamOpened {
            id,
            from: h.from().map(str::to_owned),
            to,
            version,
            lang: self.progress.lang.clone(),
        });
        match self.kind {
            StreamKind::Component => {
                self.set_phase(Phase::AwaitHandshake);
            }
            _ if version.is_none() => {
                // Legacy (pre-1.0) peer: no features; nothing can be negotiated here.
                self.set_receiver_step(ReceiverStep::NextRequest);
            }
            _ => {
                self.send_features();
            }
        }
        self.flush_tls();
    }

    pub(super) fn on_response_header(&mut self, h: StreamHeader) {
        let semantic = header::StreamHeaderInfo::from_xml(&h);
        if let Err(e) = header::check_response_header(&semantic, self.kind) {
            // Wait for the next element: the peer's stream error wins over ours.
            if let Side::Initiator { refused_header, .. } = &mut *self.side {
                *refused_header = Some(e);
            }
            self.set_initiator_step(InitiatorStep::Features);
            return;
        }
        let id = h.id().unwrap_or_default().to_owned();
        self.progress.stream_id = Some(id.clone());
        self.progress.version = semantic.version.map(|v| v.negotiate(Version::V1_0));
        self.progress.lang = h.lang().map(str::to_owned);
        self.progress.peer_from = h.from().map(str::to_owned);
        self.events.push_back(Event::StreamOpened {
            id: id.clone(),
            from: h.from().map(str::to_owned),
            to: h.to().map(str::to_owned),
            version: self.progress.version,
            lang: self.progress.lang.clone(),
        });
        if self.kind == StreamKind::Component {
            let secret = match &*self.side {
                Side::Initiator {
                    component_secret: Some(s),
                    ..
                } => s.clone(),
                _ => String::new(),
            };
            let digest = component::handshake_digest(&id, &secret);
            let el = Element::builder("handshake", ns::COMPONENT_ACCEPT)
                .text(digest)
                .build();
            self.write_element(&el);
            self.set_phase(Phase::AwaitHandshake);
        } else {
            self.set_initiator_step(InitiatorStep::Features);
        }
    }
}
