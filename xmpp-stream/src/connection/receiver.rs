//! The receiving side's negotiation: the features of each stage (STARTTLS, SASL with the
//! XEP-0440 channel-binding types, bind, legacy session), STARTTLS, the SASL steps, the bind
//! request handed to the application, and the XEP-0114 handshake of an accepted component.

use xmpp_jid::BareJid;

use super::{AuthMethod, CloseReason, Connection, Event, Phase, Setup};
use crate::auth::ServerAuthStep;
use crate::bind::{self, BindError};
use crate::component;
use crate::features::Features;
use crate::header::StreamKind;
use crate::profile::TlsPolicy;
use crate::stream_error::{Condition, StreamError};
use crate::tls::TlsLayer;
use crate::xml::{Element, ns};

impl Connection {
    pub(super) fn tls_available(&self) -> bool {
        matches!(&*self.setup, Setup::Receiver { tls: Some(_), .. })
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
                if let Setup::Receiver { auth: Some(a), .. } = &mut *self.setup {
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
        }
        f
    }

    pub(super) fn send_features(&mut self) {
        let f = self.stage_features();
        self.write_element(&f.to_element());
        if f.negotiation_complete() && self.progress.identity.is_some() {
            self.establish();
        } else {
            self.phase = Phase::Negotiating;
        }
    }

    pub(super) fn establish(&mut self) {
        self.phase = Phase::Established;
        self.progress.established = true;
        self.timers.negotiation_deadline = None;
        if let Some(now) = self.timers.now {
            self.touch_tx(now);
            self.touch_rx(now);
        }
        self.events.push_back(Event::Established);
    }

    /// Receiver c2s: after bind, negotiation is complete (the optional legacy session may
    /// still come as an IQ on the established stream).
    pub(super) fn maybe_receiver_established(&mut self) {
        if self.progress.bound.is_some() && self.phase == Phase::Negotiating {
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
            match &*self.setup {
                Setup::Initiator { tls: Some(cfg), .. } => {
                    if cfg.client_auth_cert_resolver.has_certs() {
                        t = t.with_client_certificate();
                    }
                }
                Setup::Receiver { .. } => {
                    if let (Some(id), Some(from)) =
                        (tls.peer_identity(), self.progress.peer_from.as_deref())
                    {
                        for name in crate::auth::certificate_identities(&id, [from]) {
                            t = t.with_peer_identity(name);
                        }
                    }
                }
                Setup::Initiator { .. } => {}
            }
        }
        t
    }

    pub(super) fn receiver_element(&mut self, el: Element) {
        let ns_ = el.ns().to_owned();
        match (self.phase, ns_.as_str(), el.name()) {
            (Phase::Negotiating, ns::TLS, "starttls") => self.on_starttls(),
            (Phase::Negotiating, ns::SASL, "auth") => self.on_auth(&el),
            (Phase::Sasl, ns::SASL, "response") => self.on_sasl_response(&el),
            (Phase::Sasl, ns::SASL, "abort") | (Phase::Negotiating, ns::SASL, "abort") => {
                self.on_sasl_abort()
            }
            (Phase::AwaitHandshake, ns::COMPONENT_ACCEPT, "handshake") => {
                self.on_component_handshake(&el)
            }
            (Phase::Negotiating, _, "iq")
                if ns_ == self.kind.content_ns()
                    && self.kind == StreamKind::Client
                    && self.progress.identity.is_some()
                    && self.progress.bound.is_none() =>
            {
                self.on_bind_stage_iq(el)
            }
            (_, ns::TLS, _) | (_, ns::SASL, _) => {
                // A negotiation element out of place.
                self.fail(
                    StreamError::new(Condition::PolicyViolation)
                        .with_text("en", "negotiation element out of order"),
                );
            }
            _ => {
                // UCR-STREAM-2: no stanzas before negotiation is complete; also stanzas
                // before bind (RFC 6120 §7.1).
                self.fail(StreamError::new(Condition::NotAuthorized));
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
        let Setup::Receiver {
            tls: Some((cfg, cert)),
            ..
        } = &*self.setup
        else {
            return;
        };
        match TlsLayer::server(cfg.clone(), cert.clone()) {
            Ok(layer) => {
                self.tls = Some(Box::new(layer));
                self.phase = Phase::TlsHandshake;
                self.progress.tls_handover = true;
                if !rest.is_empty() {
                    self.feed_ciphertext(&rest);
                }
            }
            Err(e) => self.finish(CloseReason::TlsFailed(e.into())),
        }
    }

    pub(super) fn sasl_failure(&mut self, condition: xmpp_sasl::Condition, text: Option<&str>) {
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
        self.phase = Phase::Negotiating;
    }

    pub(super) fn on_auth(&mut self, el: &Element) {
        if self.progress.identity.is_some() {
            self.fail(
                StreamError::new(Condition::PolicyViolation)
                    .with_text("en", "already authenticated"),
            );
            return;
        }
        if !self.progress.tls_done
            && (self.profile.tls == TlsPolicy::Required || !self.profile.allow_plaintext_auth)
        {
            // UCR-TLS-18: no SASL before TLS, whatever the mechanism.
            self.progress.plaintext_auth_attempts =
                self.progress.plaintext_auth_attempts.saturating_add(1);
            self.sasl_failure(xmpp_sasl::Condition::EncryptionRequired, None);
            if self.progress.plaintext_auth_attempts >= self.profile.sasl_max_attempts {
                self.fail(
                    StreamError::new(Condition::PolicyViolation)
                        .with_text("en", "too many authentication attempts"),
                );
            }
            return;
        }
        let mechanism = el.attr("mechanism").map(str::to_owned);
        let initial = xmpp_sasl::wire::decode_auth(&el.text());
        let transport = self.sasl_transport();
        let profile = self.profile.clone();
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
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
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
            return;
        };
        let step = auth.response(data, &transport, &profile, &mut *self.rng);
        self.on_server_step(step);
    }

    pub(super) fn on_sasl_abort(&mut self) {
        let profile = self.profile.clone();
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
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
                self.phase = Phase::Sasl;
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
                        StreamError::new(Condition::PolicyViolation)
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
                    self.sasl_failure(xmpp_sasl::Condition::NotAuthorized, None);
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
                if let Setup::Receiver { auth, .. } = &mut *self.setup {
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
        let domain = self.progress.local_domain.clone().unwrap_or_default();
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
                self.phase = Phase::AwaitBindDecision;
                self.held = true;
                self.events.push_back(Event::BindRequest { resource });
            }
            Some(Err(())) => {
                let ns_ = self.kind.content_ns();
                self.write_element(&bind::bind_error(ns_, &id, BindError::BadRequest));
            }
            None => {
                // Anything else before bind: RFC 6120 §7.1 / UCR-STREAM-2.
                self.fail(StreamError::new(Condition::NotAuthorized));
            }
        }
    }

    pub(super) fn on_component_handshake(&mut self, el: &Element) {
        let domain = self.progress.local_domain.clone().unwrap_or_default();
        let id = self.progress.stream_id.clone().unwrap_or_default();
        let secret = match &*self.setup {
            Setup::Receiver { components, .. } => components
                .iter()
                .find(|(d, _)| d.eq_ignore_ascii_case(&domain))
                .map(|(_, s)| s.clone()),
            Setup::Initiator { .. } => None,
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
            _ => self.fail(StreamError::new(Condition::NotAuthorized)),
        }
    }
}
