//! The initiating side's negotiation: reading features, STARTTLS, choosing and running the
//! SASL mechanism, binding a resource (with the conflict retry), the legacy session, and the
//! XEP-0114 handshake of a connecting component.

use xmpp_jid::FullJid;

use super::state::{InitiatorStep, Phase, Side};
use super::{AuthMethod, CloseReason, Connection, Event, NegotiationFailure};
use crate::auth::ClientAuthStep;
use crate::bind::{self, BindError, BindOutcome};
use crate::features::Features;
use crate::header::StreamKind;
use crate::profile::TlsPolicy;
use crate::stream_error::{StreamCondition, StreamError};
use crate::stream_management::NS as SM_NS;
use crate::tls::TlsLayer;
use crate::tls_failure::TlsFailure;
use crate::xml::{Element, ns};

impl Connection {
    /// Moves to one of the initiator's own steps (there is none to move to on a receiver).
    pub(super) fn set_initiator_step(&mut self, step: InitiatorStep) {
        if let Side::Initiator { phase, .. } = &mut *self.side {
            *phase = Phase::Negotiation(step);
        }
    }

    /// The error a refused response header is waiting to be sent with (initiator only).
    pub(super) fn take_refused_header(&mut self) -> Option<StreamError> {
        match &mut *self.side {
            Side::Initiator { refused_header, .. } => refused_header.take(),
            Side::Receiver { .. } => None,
        }
    }

    /// A first-level element during negotiation, in the initiator's phase `phase`.
    pub(super) fn initiator_element(&mut self, phase: Phase<InitiatorStep>, el: Element) {
        use InitiatorStep as Step;
        let ns_ = el.ns().to_owned();
        match (phase, ns_.as_str(), el.name()) {
            (Phase::Negotiation(Step::Features), ns::STREAM, "features") => self.on_features(&el),
            (Phase::Negotiation(Step::Proceed), ns::TLS, "proceed") => self.on_proceed(),
            (Phase::Negotiation(Step::Proceed), ns::TLS, "failure") => {
                // The receiver closes the stream after <failure/>; so do we.
                self.write_close_tag();
                self.finish(CloseReason::StartTlsFailed);
            }
            (Phase::Sasl, ns::SASL, "challenge") => self.on_challenge(&el),
            (Phase::Sasl, ns::SASL, "success") => self.on_success(&el),
            (Phase::Sasl, ns::SASL, "failure") | (Phase::Sasl, ns::SASL, "aborted") => {
                // An unknown or missing condition counts as not-authorized (RFC 6120 §6.5).
                let condition = el
                    .children()
                    .find(|c| c.name() != "text")
                    .and_then(|c| c.name().parse().ok())
                    .unwrap_or(if el.name() == "aborted" {
                        xmpp_sasl::SaslCondition::Aborted
                    } else {
                        xmpp_sasl::SaslCondition::NotAuthorized
                    });
                let text = el.child_text("text", ns::SASL).map(|t| t.trim().to_owned());
                self.events.push_back(Event::AuthFailed {
                    condition,
                    text: text.clone(),
                });
                self.give_up(NegotiationFailure::AuthenticationFailed { condition, text });
            }
            (Phase::Negotiation(Step::Bind), _, "iq") if ns_ == self.kind.content_ns() => {
                self.on_bind_answer(&el)
            }
            (Phase::Negotiation(Step::Session), _, "iq") if ns_ == self.kind.content_ns() => {
                if el.attr("id") == self.progress.pending_iq.as_deref() {
                    self.progress.pending_iq = None;
                    // An error answer to the optional legacy step is not fatal.
                    self.initiator_enable_or_establish();
                } else {
                    self.fail(StreamError::new(StreamCondition::NotAuthorized));
                }
            }
            (Phase::Negotiation(step @ (Step::Enable | Step::Resume)), SM_NS, _) => {
                self.initiator_sm_negotiation(step, &el)
            }
            // The server may send stanzas before it answers `<enable/>` (uncounted).
            (Phase::Negotiation(Step::Enable), _, "message" | "presence" | "iq")
                if ns_ == self.kind.content_ns() =>
            {
                self.on_stanza(el)
            }
            (Phase::AwaitHandshake, ns::COMPONENT_ACCEPT, "handshake") => {
                let domain = match &*self.side {
                    Side::Initiator { to, .. } => to.clone(),
                    Side::Receiver { .. } => String::new(),
                };
                self.progress.identity = Some(domain.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism: AuthMethod::ComponentHandshake,
                    identity: domain,
                });
                self.establish();
            }
            _ => {
                self.fail(
                    StreamError::new(StreamCondition::UnsupportedStanzaType)
                        .with_text("en", "unexpected element during negotiation"),
                );
            }
        }
    }

    pub(super) fn on_features(&mut self, el: &Element) {
        let features = match Features::from_element(el) {
            Ok(f) => f,
            Err(e) => {
                self.fail(
                    StreamError::new(StreamCondition::BadFormat).with_text("en", e.to_string()),
                );
                return;
            }
        };
        let has_tls_config = matches!(&*self.side, Side::Initiator { tls: Some(_), .. });
        // 1. TLS.
        if !self.progress.tls_done {
            let can_tls = has_tls_config && self.profile.tls != TlsPolicy::Disabled;
            match features.starttls {
                Some(_) if can_tls => {
                    self.write_element(&Element::new("starttls", ns::TLS));
                    self.set_initiator_step(InitiatorStep::Proceed);
                    return;
                }
                Some(true) => {
                    self.give_up(NegotiationFailure::TlsNotConfigured);
                    return;
                }
                _ if self.profile.tls == TlsPolicy::Required => {
                    // No downgrade: a client told TLS is required never continues in plaintext.
                    self.give_up(NegotiationFailure::StartTlsNotOffered);
                    return;
                }
                _ => {}
            }
        }
        // 2. SASL.
        if self.progress.identity.is_none() {
            if !self.progress.tls_done && !self.profile.allow_plaintext_auth {
                self.give_up(NegotiationFailure::AuthenticationWithoutTls);
                return;
            }
            if features.mechanisms.is_empty() {
                self.give_up(NegotiationFailure::NoMechanismOffered);
                return;
            }
            let mut transport = self.sasl_transport();
            transport.advertised_channel_bindings = features.known_channel_bindings();
            let profile = self.profile.clone();
            let Side::Initiator {
                auth: Some(auth), ..
            } = &mut *self.side
            else {
                // A c2s or s2s initiator is always made with SASL credentials.
                self.give_up(NegotiationFailure::NoMechanismOffered);
                return;
            };
            match auth.start(&features.mechanisms, &transport, &profile, &mut *self.rng) {
                Ok((method, initial)) => {
                    let el = Element::builder("auth", ns::SASL)
                        .attr("mechanism", method.name().to_owned())
                        .text(xmpp_sasl::wire::encode_auth(initial.as_deref()))
                        .build();
                    self.write_element(&el);
                    self.set_phase(Phase::Sasl);
                }
                Err(why) => self.give_up(why),
            }
            return;
        }
        // 3. Bind (c2s).
        if self.kind == StreamKind::Client && self.progress.bound.is_none() {
            if !features.bind {
                self.give_up(NegotiationFailure::NoBind);
                return;
            }
            if let Side::Initiator { session_wanted, .. } = &mut *self.side {
                *session_wanted = features.session == Some(false);
            }
            if self.initiator_sm_features(&features) {
                return;
            }
            self.send_bind_request(true);
            return;
        }
        self.establish();
    }

    pub(super) fn send_bind_request(&mut self, with_resource: bool) {
        let resource = match &*self.side {
            Side::Initiator { resource, .. } if with_resource => resource.clone(),
            _ => None,
        };
        let id = self.new_iq_id("bind_");
        self.progress.pending_iq = Some(id.clone());
        let iq = bind::bind_request(self.kind.content_ns(), &id, resource.as_deref());
        self.write_element(&iq);
        self.set_initiator_step(InitiatorStep::Bind);
    }

    pub(super) fn on_proceed(&mut self) {
        let rest = self.framer.take_rest();
        if rest
            .iter()
            .any(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            // No byte after <proceed/> may be read as XML, and the receiver may not send
            // anything before our ClientHello: these bytes are an attack or a bug. Whitespace
            // is the tolerated exception (see `feed_ciphertext`).
            self.finish(CloseReason::TlsFailed(TlsFailure::PlaintextAfterProceed));
            return;
        }
        let Side::Initiator {
            tls: Some(cfg), to, ..
        } = &*self.side
        else {
            return;
        };
        match TlsLayer::client(cfg.clone(), to) {
            Ok(layer) => {
                self.tls = Some(Box::new(layer));
                self.set_phase(Phase::TlsHandshake);
                self.progress.tls_handover = true;
                self.flush_tls();
            }
            Err(e) => self.finish(CloseReason::TlsFailed(e.into())),
        }
    }

    pub(super) fn on_challenge(&mut self, el: &Element) {
        let data = match xmpp_sasl::wire::decode(&el.text()) {
            Ok(d) => d,
            Err(_) => {
                self.write_element(&Element::new("abort", ns::SASL));
                self.give_up(NegotiationFailure::BadSaslEncoding);
                return;
            }
        };
        let Side::Initiator {
            auth: Some(auth), ..
        } = &mut *self.side
        else {
            return;
        };
        match auth.step(&data) {
            ClientAuthStep::Respond(resp) => {
                let el = Element::builder("response", ns::SASL)
                    .text(xmpp_sasl::wire::encode(&resp))
                    .build();
                self.write_element(&el);
            }
            ClientAuthStep::Abort(why) => {
                self.write_element(&Element::new("abort", ns::SASL));
                self.set_phase(Phase::Sasl);
                tracing::debug!(%why, "aborting SASL");
            }
        }
    }

    pub(super) fn on_success(&mut self, el: &Element) {
        let additional = match xmpp_sasl::wire::decode_auth(&el.text()) {
            Ok(d) => d,
            Err(_) => {
                self.give_up(NegotiationFailure::BadSaslEncoding);
                return;
            }
        };
        let Side::Initiator {
            auth: auth_slot @ Some(_),
            from,
            to,
            ..
        } = &mut *self.side
        else {
            return;
        };
        let Some(auth) = auth_slot.as_mut() else {
            return;
        };
        let mechanism = auth.method();
        if let Err(why) = auth.finish(additional.as_deref()) {
            // The server could not prove it knows our credentials (SCRAM): do not trust it.
            self.give_up(NegotiationFailure::ServerNotVerified(why));
            return;
        }
        // The credentials and the mechanism state are not needed any more: forget them.
        *auth_slot = None;
        let identity = match self.kind {
            StreamKind::Client => from.clone().unwrap_or_default(),
            _ => to.clone(),
        };
        self.progress.identity = Some(identity.clone());
        self.events.push_back(Event::Authenticated {
            mechanism,
            identity,
        });
        self.restart_stream();
        self.send_initial_header();
    }

    pub(super) fn on_bind_answer(&mut self, el: &Element) {
        if el.attr("id") != self.progress.pending_iq.as_deref() {
            self.fail(StreamError::new(StreamCondition::NotAuthorized));
            return;
        }
        self.progress.pending_iq = None;
        match bind::parse_bind_answer(el) {
            BindOutcome::Bound(jid) => match FullJid::new(&jid) {
                Ok(full) => {
                    self.progress.bound = Some(full.clone());
                    self.events.push_back(Event::Bound(full));
                    let session_needed = self.profile.legacy_session && self.server_wants_session();
                    if session_needed {
                        let id = self.new_iq_id("sess_");
                        self.progress.pending_iq = Some(id.clone());
                        self.write_element(&bind::session_request(self.kind.content_ns(), &id));
                        self.set_initiator_step(InitiatorStep::Session);
                    } else {
                        self.initiator_enable_or_establish();
                    }
                }
                Err(_) => self.give_up(NegotiationFailure::MalformedBindResult),
            },
            BindOutcome::Refused(Some(BindError::Conflict)) if !self.bind_retried() => {
                // Policy 3: our resource is taken; let the server generate one.
                if let Side::Initiator { bind_retried, .. } = &mut *self.side {
                    *bind_retried = true;
                }
                self.send_bind_request(false);
            }
            BindOutcome::Refused(e) => self.give_up(NegotiationFailure::BindRefused(e)),
            BindOutcome::Malformed => self.give_up(NegotiationFailure::MalformedBindResult),
        }
    }

    pub(super) fn server_wants_session(&self) -> bool {
        matches!(
            &*self.side,
            Side::Initiator {
                session_wanted: true,
                ..
            }
        )
    }

    fn bind_retried(&self) -> bool {
        matches!(
            &*self.side,
            Side::Initiator {
                bind_retried: true,
                ..
            }
        )
    }
}
