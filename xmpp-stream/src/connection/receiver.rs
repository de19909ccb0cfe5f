//! The receiving side's negotiation: the features of each stage (STARTTLS, SASL with the
//! XEP-0440 channel-binding types, bind, legacy session), STARTTLS, the SASL steps, the bind
//! request handed to the application, and the XEP-0114 handshake of an accepted component.

use xmpp_jid::BareJid;

use super::state::{Phase, ReceiverStep, Side};
use super::{AuthMethod, CloseReason, Connection, Event};
use crate::auth::ServerAuthStep;
use crate::bind::{self, BindDecision, BindError};
use crate::component;
use crate::features::Features;
use crate::header::StreamKind;
use crate::profile::TlsPolicy;
use crate::stream_error::{StreamCondition, StreamError};
use crate::stream_management::{NS as SM_NS, Nonza};
use crate::tls::TlsLayer;
use crate::xml::{Element, ns};

impl Connection {
    /// Moves to one of the receiver's own steps (there is none to move to on an initiator).
    pub(super) fn set_receiver_step(&mut self, step: ReceiverStep) {
        if let Side::Receiver { phase, .. } = &mut *self.side {
            *phase = Phase::Negotiation(step);
        }
    }

    pub(super) fn tls_available(&self) -> bool {
        matches!(&*self.side, Side::Receiver { tls: Some(_), .. })
            && self.profile.tls != TlsPolicy::Disabled
    }

    /// The features for the current stage (and whether negotiation is complete).
    pub(super) fn stage_features(&mut self) -> Features {
        let mut f = Features::default();
        if self.progress.identity.is_none() {
            let tls_stage = !self.progress.tls_done && self.tls_available();
            if tls_stage {
                f.starttls = Some(self.profile.tls == TlsPolicy::Required);
            }
            // Mechanisms only after TLS, unless the profile allows authenticating in the
            // clear (never when TLS is required: then the first features hold STARTTLS alone).
            let may_auth = self.progress.tls_done
                || (self.profile.tls != TlsPolicy::Required && self.profile.allow_plaintext_auth);
            if may_auth {
                let transport = self.sasl_transport();
                let profile = self.profile.clone();
                if let Side::Receiver { auth: Some(a), .. } = &mut *self.side {
                    f.mechanisms = a.offered(&transport, &profile);
                    let types = a.channel_binding_types(&transport, &profile);
                    f.channel_bindings = (!types.is_empty()).then_some(types);
                }
                if f.mechanisms.is_empty() && !tls_stage {
                    tracing::warn!("no SASL mechanism can be offered on this stream");
                }
            }
        } else if self.kind == StreamKind::Client && self.progress.bound.is_none() {
            f.bind = true;
            if self.profile.legacy_session {
                f.session = Some(true);
            }
            if self.offers_stream_management() {
                f.other.push(Nonza::Feature.into());
            }
        }
        f
    }

    pub(super) fn send_features(&mut self) {
        let f = self.stage_features();
        self.write_element(&f.to_element());
        if f.negotiation_complete() && self.progress.identity.is_some() {
            self.establish();
        } else {
            self.set_receiver_step(ReceiverStep::NextRequest);
        }
    }

    /// Receiver c2s: after bind, negotiation is complete (the optional legacy session may
    /// still come as an IQ on the established stream).
    pub(super) fn maybe_receiver_established(&mut self) {
        let awaiting_next = matches!(
            &*self.side,
            Side::Receiver {
                phase: Phase::Negotiation(ReceiverStep::NextRequest),
                ..
            }
        );
        if self.progress.bound.is_some() && awaiting_next {
            self.establish();
        }
    }

    pub(super) fn sasl_transport(&self) -> xmpp_sasl::Transport {
        let mut t = if self.progress.tls_done {
            xmpp_sasl::Transport::tls()
        } else {
            xmpp_sasl::Transport::plaintext()
        };
        if let Some(tls) = self.tls.as_ref().filter(|_| self.progress.tls_done) {
            for kind in [
                crate::tls::ChannelBindingType::TlsExporter,
                crate::tls::ChannelBindingType::TlsServerEndPoint,
            ] {
                if let Some(cb) = tls.channel_binding(kind) {
                    t = t.with_channel_binding(crate::auth::to_sasl_binding(&cb));
                }
            }
            match &*self.side {
                Side::Initiator { tls: Some(cfg), .. } => {
                    if cfg.client_auth_cert_resolver.has_certs() {
                        t = t.with_client_certificate();
                    }
                }
                Side::Receiver { .. } => {
                    if let (Some(id), Some(from)) =
                        (tls.peer_identity(), self.progress.peer_from.as_deref())
                    {
                        for name in crate::auth::certificate_identities(&id, [from]) {
                            t = t.with_peer_identity(name);
                        }
                    }
                }
                Side::Initiator { .. } => {}
            }
        }
        t
    }

    /// A first-level element during negotiation, in the receiver's phase `phase`.
    pub(super) fn receiver_element(&mut self, phase: Phase<ReceiverStep>, el: Element) {
        use ReceiverStep as Step;
        let ns_ = el.ns().to_owned();
        match (phase, ns_.as_str(), el.name()) {
            (Phase::Negotiation(Step::NextRequest), ns::TLS, "starttls") => self.on_starttls(),
            (Phase::Negotiation(Step::NextRequest), ns::SASL, "auth") => self.on_auth(&el),
            (Phase::Sasl, ns::SASL, "response") => self.on_sasl_response(&el),
            (Phase::Sasl | Phase::Negotiation(Step::NextRequest), ns::SASL, "abort") => {
                self.on_sasl_abort()
            }
            (Phase::AwaitHandshake, ns::COMPONENT_ACCEPT, "handshake") => {
                self.on_component_handshake(&el)
            }
            (Phase::Negotiation(Step::NextRequest), _, "iq")
                if ns_ == self.kind.content_ns()
                    && self.kind == StreamKind::Client
                    && self.progress.identity.is_some()
                    && self.progress.bound.is_none() =>
            {
                self.on_bind_stage_iq(el)
            }
            (Phase::Negotiation(Step::NextRequest), SM_NS, _)
                if self.kind == StreamKind::Client
                    && self.progress.identity.is_some()
                    && self.progress.bound.is_none() =>
            {
                self.receiver_sm_negotiation(&el)
            }
            (_, ns::TLS, _) | (_, ns::SASL, _) => {
                // A negotiation element out of place.
                self.fail(
                    StreamError::new(StreamCondition::PolicyViolation)
                        .with_text("en", "negotiation element out of order"),
                );
            }
            _ => {
                // UCR-STREAM-2: no stanzas before negotiation is complete; also stanzas
                // before bind (RFC 6120 §7.1).
                self.fail(StreamError::new(StreamCondition::NotAuthorized));
            }
        }
    }

    pub(super) fn on_starttls(&mut self) {
        let offered =
            !self.progress.tls_done && self.tls_available() && self.progress.identity.is_none();
        if !offered {
            let failure = Element::new("failure", ns::TLS);
            self.write_element(&failure);
            self.write_close_tag();
            self.finish(CloseReason::StartTlsFailed);
            return;
        }
        self.write_element(&Element::new("proceed", ns::TLS));
        // TLS starts right after the `>` of <proceed/>: bytes the initiator already sent
        // after <starttls/> are TLS records.
        let rest = self.framer.take_rest();
        let Side::Receiver {
            tls: Some((cfg, cert)),
            ..
        } = &mut *self.side
        else {
            return;
        };
        // A stream negotiates TLS once: the certificate moves into the layer (the side keeps
        // the configuration, which says that TLS is available).
        match TlsLayer::server(cfg.clone(), cert.take()) {
            Ok(layer) => {
                self.tls = Some(Box::new(layer));
                self.set_phase(Phase::TlsHandshake);
                self.progress.tls_handover = true;
                if !rest.is_empty() {
                    self.feed_ciphertext(&rest);
                }
            }
            Err(e) => self.finish(CloseReason::TlsFailed(e.into())),
        }
    }

    pub(super) fn sasl_failure(&mut self, condition: xmpp_sasl::SaslCondition, text: Option<&str>) {
        let mut f = Element::new("failure", ns::SASL);
        f.push_child(Element::new(condition.as_str(), ns::SASL));
        if let Some(t) = text {
            f.push_child(
                Element::builder("text", ns::SASL)
                    .text(t.to_owned())
                    .build(),
            );
        }
        self.write_element(&f);
        self.events.push_back(Event::AuthFailed {
            condition,
            text: text.map(str::to_owned),
        });
        self.set_receiver_step(ReceiverStep::NextRequest);
    }

    pub(super) fn on_auth(&mut self, el: &Element) {
        if self.progress.identity.is_some() {
            self.fail(
                StreamError::new(StreamCondition::PolicyViolation)
                    .with_text("en", "already authenticated"),
            );
            return;
        }
        if !self.progress.tls_done
            && (self.profile.tls == TlsPolicy::Required || !self.profile.allow_plaintext_auth)
        {
            // UCR-TLS-18: no SASL before TLS, whatever the mechanism.
            let attempts = match &mut *self.side {
                Side::Receiver {
                    plaintext_auth_attempts,
                    ..
                } => {
                    *plaintext_auth_attempts = plaintext_auth_attempts.saturating_add(1);
                    *plaintext_auth_attempts
                }
                Side::Initiator { .. } => 0,
            };
            self.sasl_failure(xmpp_sasl::SaslCondition::EncryptionRequired, None);
            if attempts >= self.profile.sasl_max_attempts {
                self.fail(
                    StreamError::new(StreamCondition::PolicyViolation)
                        .with_text("en", "too many authentication attempts"),
                );
            }
            return;
        }
        let mechanism = el.attr("mechanism").map(str::to_owned);
        let initial = xmpp_sasl::wire::decode_auth(&el.text());
        let transport = self.sasl_transport();
        let profile = self.profile.clone();
        let Side::Receiver {
            auth: Some(auth), ..
        } = &mut *self.side
        else {
            self.fail(StreamError::new(StreamCondition::InternalServerError));
            return;
        };
        let step = auth.auth(
            mechanism.as_deref(),
            initial,
            &transport,
            &profile,
            &mut *self.rng,
        );
        self.on_server_step(step);
    }

    pub(super) fn on_sasl_response(&mut self, el: &Element) {
        let data = xmpp_sasl::wire::decode(&el.text());
        let transport = self.sasl_transport();
        let profile = self.profile.clone();
        let Side::Receiver {
            auth: Some(auth), ..
        } = &mut *self.side
        else {
            self.fail(StreamError::new(StreamCondition::InternalServerError));
            return;
        };
        let step = auth.response(data, &transport, &profile, &mut *self.rng);
        self.on_server_step(step);
    }

    pub(super) fn on_sasl_abort(&mut self) {
        let profile = self.profile.clone();
        let Side::Receiver {
            auth: Some(auth), ..
        } = &mut *self.side
        else {
            self.fail(StreamError::new(StreamCondition::InternalServerError));
            return;
        };
        let step = auth.abort(&profile);
        self.on_server_step(step);
    }

    pub(super) fn on_server_step(&mut self, step: ServerAuthStep) {
        match step {
            ServerAuthStep::Challenge(data) => {
                let el = Element::builder("challenge", ns::SASL)
                    .text(xmpp_sasl::wire::encode(&data))
                    .build();
                self.write_element(&el);
                self.set_phase(Phase::Sasl);
            }
            ServerAuthStep::Failure {
                condition,
                text,
                close,
            } => {
                self.sasl_failure(condition, text.as_deref());
                if close {
                    // UCR-SASL-28: the retry limit is exhausted.
                    self.fail(
                        StreamError::new(StreamCondition::PolicyViolation)
                            .with_text("en", "too many authentication attempts"),
                    );
                }
            }
            ServerAuthStep::Success {
                mechanism,
                identity,
                additional,
            } => {
                let Some(identity) = self.identity_of(identity) else {
                    self.sasl_failure(xmpp_sasl::SaslCondition::NotAuthorized, None);
                    return;
                };
                let el = Element::builder("success", ns::SASL)
                    .text(xmpp_sasl::wire::encode_auth(additional.as_deref()))
                    .build();
                self.write_element(&el);
                self.progress.identity = Some(identity.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism,
                    identity,
                });
                // The SASL session (and its hold on the credential store) is done.
                if let Side::Receiver { auth, .. } = &mut *self.side {
                    *auth = None;
                }
                self.flush_tls();
                // The old stream is replaced from the `>` of <success/> on.
                self.restart_stream();
            }
        }
    }

    /// The identity a SASL success establishes: the account's bare JID for c2s, the peer's
    /// domain for s2s (`None` if it cannot be formed).
    pub(super) fn identity_of(&mut self, identity: xmpp_sasl::Identity) -> Option<String> {
        let domain = self.local_domain();
        match self.kind {
            StreamKind::Client => {
                let jid = match identity {
                    xmpp_sasl::Identity::User { authcid, authzid } => {
                        authzid.unwrap_or_else(|| format!("{authcid}@{domain}"))
                    }
                    xmpp_sasl::Identity::External { identity, authzid } => {
                        authzid.unwrap_or(identity)
                    }
                    xmpp_sasl::Identity::Anonymous { .. } => {
                        let node = self.generate_resource();
                        format!("{node}@{domain}")
                    }
                    _ => return None,
                };
                BareJid::new(&jid).ok().map(|b| b.as_str().to_owned())
            }
            _ => match identity {
                xmpp_sasl::Identity::External { identity, authzid } => {
                    Some(authzid.unwrap_or(identity))
                }
                xmpp_sasl::Identity::User { authcid, authzid } => Some(authzid.unwrap_or(authcid)),
                _ => None,
            },
        }
    }

    pub(super) fn on_bind_stage_iq(&mut self, el: Element) {
        let id = el.attr("id").unwrap_or_default().to_owned();
        match bind::parse_bind_request(&el) {
            Some(Ok(resource)) => {
                self.progress.pending_iq = Some(id);
                self.set_receiver_step(ReceiverStep::BindDecision);
                self.held = true;
                self.events.push_back(Event::BindRequest { resource });
            }
            Some(Err(())) => {
                let ns_ = self.kind.content_ns();
                self.write_element(&bind::bind_error(ns_, &id, BindError::BadRequest));
            }
            None => {
                // Anything else before bind: RFC 6120 §7.1 / UCR-STREAM-2.
                self.fail(StreamError::new(StreamCondition::NotAuthorized));
            }
        }
    }

    pub(super) fn on_component_handshake(&mut self, el: &Element) {
        let domain = self.local_domain();
        let id = self.progress.stream_id.clone().unwrap_or_default();
        let secret = match &*self.side {
            Side::Receiver { components, .. } => components
                .iter()
                .find(|(d, _)| d.eq_ignore_ascii_case(&domain))
                .map(|(_, s)| s.clone()),
            Side::Initiator { .. } => None,
        };
        match secret {
            Some(secret) if component::verify_handshake(&id, &secret, &el.text()) => {
                self.write_element(&Element::new("handshake", ns::COMPONENT_ACCEPT));
                self.progress.identity = Some(domain.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism: AuthMethod::ComponentHandshake,
                    identity: domain,
                });
                self.establish();
            }
            _ => self.fail(StreamError::new(StreamCondition::NotAuthorized)),
        }
    }

    /// The domain we answer as on the current stream (empty if none is known).
    fn local_domain(&self) -> String {
        match &*self.side {
            Side::Receiver { local_domain, .. } => local_domain.clone().unwrap_or_default(),
            Side::Initiator { .. } => String::new(),
        }
    }

    /// The application's answer to the pending bind request (see [`Connection::bind`]).
    pub(super) fn on_bind_decision(&mut self, decision: BindDecision) {
        let id = self.progress.pending_iq.take().unwrap_or_default();
        let ns = self.kind.content_ns();
        match decision {
            BindDecision::Accept(resource) => {
                let identity = self.progress.identity.clone().unwrap_or_default();
                let full = BareJid::new(&identity)
                    .ok()
                    .and_then(|b| b.with_resource_str(&resource).ok());
                match full {
                    Some(full) => {
                        self.write_element(&bind::bind_result(ns, &id, full.as_str()));
                        self.progress.bound = Some(full.clone());
                        self.events.push_back(Event::Bound(full));
                        self.set_receiver_step(ReceiverStep::NextRequest);
                        self.maybe_receiver_established();
                    }
                    None => {
                        self.write_element(&bind::bind_error(ns, &id, BindError::BadRequest));
                        self.set_receiver_step(ReceiverStep::NextRequest);
                    }
                }
            }
            BindDecision::Refuse(err) => {
                self.write_element(&bind::bind_error(ns, &id, err));
                self.set_receiver_step(ReceiverStep::NextRequest);
            }
        }
        self.flush_tls();
        self.held = false;
        self.process_input();
    }
}
