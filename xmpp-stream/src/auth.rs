//! The bridge between the connection machine and `xmpp-sasl`: mechanism choice and the
//! client step machine on the initiating side, the [`xmpp_sasl::ServerSession`] on the
//! receiving side, and the TLS facts (channel binding, certificate identities) SASL needs.
//!
//! This module owns how a [`Profile`] becomes SASL policy (allowed mechanisms, ANONYMOUS,
//! retry limit, TLS requirements) and how SASL outcomes become identities: the bare JID
//! for c2s, the peer's domain for s2s.

use std::sync::Arc;

use rand_core::CryptoRngCore;
use rustls::pki_types::{CertificateDer, ServerName};
use xmpp_sasl::{
    ClientMechanism, ClientPolicy, CredentialStore, Credentials, Identity, Mechanism,
    ServerContext, ServerOutcome, ServerPolicy, ServerSession, Transport,
};

use crate::connection::{AuthMethod, NegotiationFailure};
use crate::profile::{Profile, TlsPolicy};
use crate::tls::{ChannelBinding, ChannelBindingType, PeerIdentity};

/// Converts our channel-binding data into the SASL crate's type.
pub(crate) fn to_sasl_binding(cb: &ChannelBinding) -> xmpp_sasl::ChannelBinding {
    let kind = match cb.kind {
        ChannelBindingType::TlsExporter => xmpp_sasl::ChannelBindingType::TlsExporter,
        ChannelBindingType::TlsServerEndPoint => xmpp_sasl::ChannelBindingType::TlsServerEndPoint,
    };
    xmpp_sasl::ChannelBinding::new(kind, cb.data.clone())
}

/// The candidate names (domains) that the peer's end-entity certificate is valid for
/// (XEP-0178 / RFC 6125 DNS-ID check through webpki). The chain itself was verified by the
/// rustls configuration.
pub(crate) fn certificate_identities<'a>(
    peer: &PeerIdentity,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let Some(cert) = peer.certificates.first() else {
        return Vec::new();
    };
    let cert: &CertificateDer<'_> = cert;
    let Ok(ee) = webpki::EndEntityCert::try_from(cert) else {
        return Vec::new();
    };
    candidates
        .into_iter()
        .filter(|name| {
            ServerName::try_from(*name)
                .ok()
                .is_some_and(|sn| ee.verify_is_valid_for_subject_name(&sn).is_ok())
        })
        .map(str::to_owned)
        .collect()
}

/// The client policy a profile implies.
fn client_policy(profile: &Profile) -> ClientPolicy {
    let mut policy = ClientPolicy::rfc6120();
    if !profile.mechanisms.is_empty() {
        policy.preference = profile.mechanisms.clone();
    }
    policy.preference.retain(|m| profile.mechanism_allowed(*m));
    if profile.allow_anonymous
        && profile.mechanism_allowed(Mechanism::Anonymous)
        && !policy.preference.contains(&Mechanism::Anonymous)
    {
        policy.preference.push(Mechanism::Anonymous);
    }
    policy.allow_plain_without_tls = profile.allow_plaintext_auth;
    policy.require_tls = profile.tls == TlsPolicy::Required;
    policy
}

/// The server SASL configuration a profile implies.
pub(crate) fn server_policy(profile: &Profile) -> ServerPolicy {
    let mut config = ServerPolicy::rfc6120().with_anonymous(profile.allow_anonymous);
    config.mechanisms.retain(|m| profile.mechanism_allowed(*m));
    if profile.allow_plaintext_auth {
        config.plain_requires_tls = false;
    }
    // `Profile::validate` keeps the attempts within the document's bounds, so the clamp of
    // `with_max_retries` never changes them.
    config.retry_bounds = profile.conformance.sasl_retry_bounds();
    config.with_max_retries(profile.sasl_max_attempts.saturating_sub(1))
}

/// The initiating side's SASL state.
pub(crate) struct ClientAuth {
    credentials: Credentials,
    mechanism: Option<Box<dyn ClientMechanism>>,
}

/// What to answer a challenge with.
pub(crate) enum ClientAuthStep {
    Respond(Vec<u8>),
    Abort(String),
}

impl ClientAuth {
    pub(crate) fn new(credentials: Credentials) -> Self {
        ClientAuth {
            credentials,
            mechanism: None,
        }
    }

    /// Chooses a mechanism among `offered` and returns its name and initial response.
    pub(crate) fn start(
        &mut self,
        offered: &[String],
        transport: &Transport,
        profile: &Profile,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(AuthMethod, Option<Vec<u8>>), NegotiationFailure> {
        // Only mechanisms the credentials can serve (Kerberos credentials: GSSAPI; without a
        // username: EXTERNAL or ANONYMOUS; with one, never ANONYMOUS), within the profile.
        let mut policy = client_policy(profile).for_credentials(&self.credentials);
        policy.preference.retain(|m| profile.mechanism_allowed(*m));
        let choice = xmpp_sasl::choose(offered, &policy, transport)
            .map_err(NegotiationFailure::NoUsableMechanism)?;
        let mut mech = choice
            .start(&self.credentials, rng)
            .map_err(NegotiationFailure::Credentials)?;
        let initial = mech
            .initial_response()
            .map_err(NegotiationFailure::ServerNotVerified)?;
        let method = AuthMethod::Sasl(choice.mechanism());
        self.mechanism = Some(mech);
        Ok((method, initial))
    }

    pub(crate) fn method(&self) -> AuthMethod {
        AuthMethod::from_sasl_name(self.mechanism.as_ref().map_or("", |m| m.name()))
    }

    pub(crate) fn step(&mut self, challenge: &[u8]) -> ClientAuthStep {
        match self.mechanism.as_mut() {
            Some(m) => match m.step(challenge) {
                Ok(r) => ClientAuthStep::Respond(r),
                Err(f) => ClientAuthStep::Abort(f.to_string()),
            },
            None => ClientAuthStep::Abort("no SASL exchange in progress".into()),
        }
    }

    /// Checks the server's success data (a SCRAM server signature). A success with no
    /// exchange of ours running is refused: nothing was verified.
    pub(crate) fn finish(&mut self, additional: Option<&[u8]>) -> Result<(), xmpp_sasl::Failure> {
        match self.mechanism.as_mut() {
            Some(m) => m.finish(additional),
            None => Err(xmpp_sasl::Failure::new(
                xmpp_sasl::SaslCondition::NotAuthorized,
                xmpp_sasl::Cause::UnexpectedMessage,
            )),
        }
    }
}

/// The receiving side's SASL state.
pub(crate) struct ServerAuth {
    store: Arc<dyn CredentialStore + Send + Sync>,
    session: Option<ServerSession>,
}

/// What the receiver does after a client SASL message.
pub(crate) enum ServerAuthStep {
    Challenge(Vec<u8>),
    Success {
        mechanism: AuthMethod,
        identity: Identity,
        additional: Option<Vec<u8>>,
    },
    Failure {
        condition: xmpp_sasl::SaslCondition,
        text: Option<String>,
        close: bool,
    },
}

impl ServerAuth {
    pub(crate) fn new(store: Arc<dyn CredentialStore + Send + Sync>) -> Self {
        ServerAuth {
            store,
            session: None,
        }
    }

    fn session(&mut self, profile: &Profile) -> &mut ServerSession {
        let store = &self.store;
        self.session.get_or_insert_with(|| {
            // Extension mechanisms (GSSAPI, ...) come with the store (`xmpp_sasl::ExtendedStore`).
            store.sasl_extensions().into_iter().fold(
                ServerSession::new(server_policy(profile)),
                ServerSession::with_extension,
            )
        })
    }

    /// The channel-binding type names to advertise on this transport (XEP-0440); empty when
    /// no -PLUS mechanism is offered.
    pub(crate) fn channel_binding_types(
        &mut self,
        transport: &Transport,
        profile: &Profile,
    ) -> Vec<String> {
        self.session(profile)
            .channel_binding_types(transport)
            .into_iter()
            .map(|t| t.name().to_owned())
            .collect()
    }

    /// The mechanisms to advertise on this transport.
    pub(crate) fn offered(&mut self, transport: &Transport, profile: &Profile) -> Vec<String> {
        self.session(profile)
            .offered(transport)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn outcome(session: &ServerSession, outcome: ServerOutcome) -> ServerAuthStep {
        match outcome {
            ServerOutcome::Challenge(c) => ServerAuthStep::Challenge(c),
            ServerOutcome::Success(s) => ServerAuthStep::Success {
                mechanism: AuthMethod::from_sasl_name(session.mechanism().unwrap_or_default()),
                identity: s.identity,
                additional: s.additional_data,
            },
            ServerOutcome::Failure { failure, close } => ServerAuthStep::Failure {
                condition: failure.condition(),
                text: failure.text().map(str::to_owned),
                close,
            },
        }
    }

    /// `<auth/>` with its decoded initial response (or the decoding error).
    pub(crate) fn auth(
        &mut self,
        mechanism: Option<&str>,
        initial: Result<Option<Vec<u8>>, xmpp_sasl::wire::WireError>,
        transport: &Transport,
        profile: &Profile,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerAuthStep {
        let store = self.store.clone();
        let session = self.session(profile);
        let outcome = match initial {
            Ok(initial) => {
                let mut ctx = ServerContext::new(&*store, rng, transport);
                session.auth(&mut ctx, mechanism, initial.as_deref())
            }
            Err(e) => session.bad_encoding(e),
        };
        Self::outcome(session, outcome)
    }

    /// `<response/>` with its decoded data (or the decoding error).
    pub(crate) fn response(
        &mut self,
        data: Result<Vec<u8>, xmpp_sasl::wire::WireError>,
        transport: &Transport,
        profile: &Profile,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerAuthStep {
        let store = self.store.clone();
        let session = self.session(profile);
        let outcome = match data {
            Ok(data) => {
                let mut ctx = ServerContext::new(&*store, rng, transport);
                session.response(&mut ctx, &data)
            }
            Err(e) => session.bad_encoding(e),
        };
        Self::outcome(session, outcome)
    }

    /// `<abort/>`.
    pub(crate) fn abort(&mut self, profile: &Profile) -> ServerAuthStep {
        let session = self.session(profile);
        let outcome = session.abort();
        Self::outcome(session, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_sasl_3_profiles_shape_the_server_offer() {
        let dod = server_policy(&Profile::dod_ucr_2008());
        assert!(!dod.mechanisms.contains(&Mechanism::Anonymous));
        let nato = server_policy(&Profile::nato_bcs());
        assert!(nato.mechanisms.contains(&Mechanism::Anonymous));
        let s = ServerSession::new(server_policy(&Profile::rfc6120()));
        // UCR-SASL-6: PLAIN only over TLS.
        assert!(!s.offered(&Transport::plaintext()).contains(&"PLAIN"));
        assert!(s.offered(&Transport::tls()).contains(&"PLAIN"));
    }

    /// The profile counts attempts, the SASL layer retries: one attempt is not a retry. (The
    /// receiver's behaviour at the limit: see also UCR-SASL-27 in `conn_transcript`.)
    #[test]
    fn retry_limit_follows_the_profile() {
        for (attempts, retries) in [(3, 2), (4, 3)] {
            let mut p = Profile::dod_ucr_2008();
            p.sasl_max_attempts = attempts;
            assert_eq!(server_policy(&p).max_retries, retries);
        }
        let dod = server_policy(&Profile::dod_ucr_2008());
        assert_eq!(
            u32::from(dod.max_retries) + 1,
            u32::from(Profile::dod_ucr_2008().sasl_max_attempts)
        );
    }

    #[test]
    fn client_policy_filters_by_profile() {
        let mut p = Profile::rfc6120();
        p.mechanisms = vec![Mechanism::Plain];
        let policy = client_policy(&p);
        assert_eq!(policy.preference, vec![Mechanism::Plain]);
        assert!(policy.require_tls);
    }
}
