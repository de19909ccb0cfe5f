//! Server session policy (advertisement, retries, dispatch conditions), client negotiation
//! rules, profiles, and the extension point.

mod common;

use std::sync::Arc;

use common::*;
use xmpp_sasl::{
    Cause, ChannelBindingMode, ChannelBindingType, ClientPolicy, Credentials, Failure, Identity,
    Mechanism, NegotiationError, SaslCondition, ServerContext, ServerMechanism,
    ServerMechanismFactory, ServerOutcome, ServerPolicy, ServerSession, ServerStep, Success,
    Transport, choose, wire,
};

fn failure(outcome: ServerOutcome) -> (Failure, bool) {
    match outcome {
        ServerOutcome::Failure { failure, close } => (failure, close),
        other => panic!("expected failure, got {other:?}"),
    }
}

fn auth(
    session: &mut ServerSession,
    transport: &Transport,
    mechanism: Option<&str>,
    data: Option<&[u8]>,
) -> ServerOutcome {
    let s = store();
    let mut r = rng(1);
    let mut ctx = ServerContext::new(&s, &mut r, transport);
    session.auth(&mut ctx, mechanism, data)
}

/// UCR-SASL-3: the DoD profile never advertises ANONYMOUS and refuses it when asked.
#[test]
fn ucr_sasl_3_dod_never_offers_or_accepts_anonymous() {
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    for t in [
        Transport::plaintext(),
        server_tls(),
        server_tls().with_peer_identity("a.example"),
    ] {
        assert!(!session.offered(&t).contains(&"ANONYMOUS"), "{t:?}");
    }
    let (f, _) = failure(auth(
        &mut session,
        &server_tls(),
        Some("ANONYMOUS"),
        Some(b""),
    ));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
    assert!(
        !ServerPolicy::rfc6120()
            .mechanisms
            .contains(&Mechanism::Anonymous)
    );
    // The client never picks it unless told to.
    assert_eq!(
        choose(
            &["ANONYMOUS"],
            &ClientPolicy::dod_ucr_2008(),
            &Transport::tls()
        ),
        Err(NegotiationError::NoCommonMechanism {
            offered: vec!["ANONYMOUS".into()]
        })
    );
}

/// NATO BCS S-13: ANONYMOUS, PLAIN, EXTERNAL are offered (after TLS).
#[test]
fn nato_profile_offers_anonymous_plain_external() {
    let session = ServerSession::new(ServerPolicy::nato_bcs());
    let offered = session.offered(&Transport::tls().with_peer_identity("a.example"));
    for m in ["ANONYMOUS", "PLAIN", "EXTERNAL"] {
        assert!(offered.contains(&m), "{m} in {offered:?}");
    }
    assert!(
        !ServerPolicy::nato_bcs()
            .with_anonymous(false)
            .mechanisms
            .contains(&Mechanism::Anonymous)
    );
}

/// UCR-SASL-6: PLAIN is not offered without TLS, is refused with encryption-required, and the
/// client does not choose it.
#[test]
fn ucr_sasl_6_plain_only_over_tls() {
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    assert!(!session.offered(&Transport::plaintext()).contains(&"PLAIN"));
    let (f, _) = failure(auth(
        &mut session,
        &Transport::plaintext(),
        Some("PLAIN"),
        Some(b"\0juliet\0x"),
    ));
    assert_eq!(f.condition(), SaslCondition::EncryptionRequired);
    assert_eq!(
        choose(
            &["PLAIN"],
            &ClientPolicy::rfc6120(),
            &Transport::plaintext()
        ),
        Err(NegotiationError::EncryptionRequired)
    );
    let mut p = ClientPolicy::rfc6120();
    p.allow_plain_without_tls = true;
    assert_eq!(
        choose(&["PLAIN"], &p, &Transport::plaintext())
            .unwrap()
            .mechanism(),
        Mechanism::Plain
    );
}

/// UCR-SASL-8: after STARTTLS the DoD server offers PLAIN (E18 decided: together with SCRAM).
#[test]
fn ucr_sasl_8_plain_offered_after_tls() {
    let session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    let offered = session.offered(&Transport::tls());
    assert!(offered.contains(&"PLAIN"));
    assert!(offered.contains(&"SCRAM-SHA-1"));
    // -PLUS only with binding data, EXTERNAL only with a certificate identity.
    assert!(
        !offered
            .iter()
            .any(|m| m.ends_with("-PLUS") || *m == "EXTERNAL")
    );
}

/// UCR-SASL-17: after mutual TLS the receiving server offers EXTERNAL, first.
#[test]
fn ucr_sasl_17_external_offered_first_after_mutual_tls() {
    let session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    let offered = session.offered(&server_tls().with_peer_identity("example.net"));
    assert_eq!(offered[0], "EXTERNAL");
    assert_eq!(
        offered,
        [
            "EXTERNAL",
            "SCRAM-SHA-512-PLUS",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1",
            "PLAIN"
        ]
    );
    // Without a proved identity EXTERNAL is neither offered nor accepted.
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    let (f, _) = failure(auth(
        &mut session,
        &server_tls(),
        Some("EXTERNAL"),
        Some(b""),
    ));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
    let (f, _) = failure(auth(
        &mut session,
        &Transport::plaintext().with_peer_identity("example.net"),
        Some("EXTERNAL"),
        Some(b""),
    ));
    assert_eq!(f.condition(), SaslCondition::EncryptionRequired);
}

/// UCR-SASL-7 / UCR-TLS-23: a client with a certificate prefers EXTERNAL over passwords.
#[test]
fn ucr_sasl_7_ucr_tls_23_certificate_preferred_over_password() {
    let offered = ["SCRAM-SHA-256", "PLAIN", "EXTERNAL"];
    let with_cert = Transport::tls().with_client_certificate();
    assert_eq!(
        choose(&offered, &ClientPolicy::dod_ucr_2008(), &with_cert)
            .unwrap()
            .mechanism(),
        Mechanism::External
    );
    assert_eq!(
        choose(&offered, &ClientPolicy::dod_ucr_2008(), &Transport::tls())
            .unwrap()
            .mechanism(),
        Mechanism::ScramSha256
    );
}

/// UCR-SASL-4: under the DoD policy the client does not authenticate before TLS.
#[test]
fn ucr_sasl_4_dod_client_requires_tls() {
    assert_eq!(
        choose(
            &["SCRAM-SHA-256"],
            &ClientPolicy::dod_ucr_2008(),
            &Transport::plaintext()
        ),
        Err(NegotiationError::EncryptionRequired)
    );
}

/// 2 retries under the DoD profile, configurable within 2..=3 (clamped): the failure after
/// the last retry tells the caller to close with a policy-violation stream error.
#[test]
fn ucr_sasl_27_ucr_sasl_28_dod_retries_within_2_to_3_then_close() {
    let dod = ServerPolicy::dod_ucr_2008();
    assert_eq!(dod.retry_bounds, (2, 3));
    assert!((2..=3).contains(&dod.max_retries));
    let mut session = ServerSession::new(dod);
    assert_eq!(session.config().max_retries, 2);
    for attempt in 1..=3 {
        let (f, close) = failure(auth(
            &mut session,
            &server_tls(),
            Some("PLAIN"),
            Some(b"\0juliet\0wrong"),
        ));
        assert_eq!(f.condition(), SaslCondition::NotAuthorized);
        assert_eq!(close, attempt == 3, "attempt {attempt}");
        assert_eq!(session.failures(), attempt);
    }
    assert_eq!(
        ServerPolicy::dod_ucr_2008().with_max_retries(5).max_retries,
        3
    );
    assert_eq!(
        ServerPolicy::dod_ucr_2008().with_max_retries(0).max_retries,
        2
    );
    // With the other allowed value, 3 retries: the fourth failure closes.
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008().with_max_retries(3));
    for attempt in 1..=4 {
        let (_, close) = failure(auth(
            &mut session,
            &server_tls(),
            Some("PLAIN"),
            Some(b"\0juliet\0wrong"),
        ));
        assert_eq!(close, attempt == 4, "attempt {attempt}");
    }
    assert_eq!(ServerPolicy::rfc6120().with_max_retries(9).max_retries, 5);
}

/// Aborts count as attempts too (RFC 6120 §6.4.4 with §6.4.5).
#[test]
fn ucr_sasl_29_abort_answers_aborted_and_counts() {
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    assert!(
        matches!(auth(&mut session, &server_tls(), Some("SCRAM-SHA-256"), None), ServerOutcome::Challenge(c) if c.is_empty())
    );
    assert!(session.in_progress());
    let (f, close) = failure(session.abort());
    assert_eq!((f.condition(), close), (SaslCondition::Aborted, false));
    assert!(!session.in_progress());
    failure(session.abort());
    let (_, close) = failure(session.abort());
    assert!(close);
}

/// UCR-SASL-26 / UCR-SASL-29: each dispatch error maps to its RFC 6120 §6.5 condition.
#[test]
fn ucr_sasl_26_dispatch_conditions() {
    let t = server_tls();
    let mut s = ServerSession::new(ServerPolicy::rfc6120());
    assert_eq!(
        failure(auth(&mut s, &t, None, None)).0.cause(),
        &Cause::MissingMechanism
    );
    let (f, _) = failure(auth(&mut s, &t, Some("X-UNKNOWN"), None));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
    // Response without an exchange.
    let st = store();
    let mut r = rng(1);
    let mut ctx = ServerContext::new(&st, &mut r, &t);
    let (f, _) = failure(s.response(&mut ctx, b"x"));
    assert_eq!(f.condition(), SaslCondition::MalformedRequest);
    // Bad base64 from the stream layer.
    let err = wire::decode("=AAA").unwrap_err();
    let (f, _) = failure(s.bad_encoding(err));
    assert_eq!(f.condition(), SaslCondition::IncorrectEncoding);
    // Too long.
    let mut s = ServerSession::new(ServerPolicy::rfc6120());
    let big = vec![b'a'; 20_000];
    let (f, _) = failure(auth(&mut s, &t, Some("PLAIN"), Some(&big)));
    assert_eq!(
        f.cause(),
        &Cause::MessageTooLong {
            len: 20_000,
            max: 16 * 1024
        }
    );
    // Mechanism weaker than the policy: only SCRAM-SHA-256 enabled, PLAIN asked.
    let mut s =
        ServerSession::new(ServerPolicy::rfc6120().with_mechanisms([Mechanism::ScramSha256]));
    let (f, _) = failure(auth(&mut s, &t, Some("PLAIN"), Some(b"\0juliet\0x")));
    assert_eq!(f.condition(), SaslCondition::MechanismTooWeak);
    let (f, _) = failure(auth(&mut s, &t, Some("SCRAM-SHA-1"), None));
    assert_eq!(f.condition(), SaslCondition::MechanismTooWeak);
    let (f, _) = failure(auth(&mut s, &t, Some("EXTERNAL"), None));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
    // -PLUS without binding data on the connection.
    let mut s = ServerSession::new(ServerPolicy::rfc6120());
    let (f, _) = failure(auth(
        &mut s,
        &Transport::tls(),
        Some("SCRAM-SHA-256-PLUS"),
        None,
    ));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
}

#[test]
fn second_auth_during_an_exchange_and_after_success_fails() {
    let t = server_tls();
    let mut s = ServerSession::new(ServerPolicy::rfc6120());
    assert!(matches!(
        auth(&mut s, &t, Some("PLAIN"), None),
        ServerOutcome::Challenge(_)
    ));
    let (f, _) = failure(auth(&mut s, &t, Some("PLAIN"), None));
    assert_eq!(f.cause(), &Cause::UnexpectedMessage);
    let pw = format!("\0juliet\0{PASSWORD}");
    assert!(matches!(
        auth(&mut s, &t, Some("PLAIN"), Some(pw.as_bytes())),
        ServerOutcome::Success(_)
    ));
    assert!(s.is_authenticated());
    assert_eq!(s.mechanism(), Some("PLAIN"));
    let (f, _) = failure(auth(&mut s, &t, Some("PLAIN"), Some(pw.as_bytes())));
    assert_eq!(f.cause(), &Cause::UnexpectedMessage);
}

/// ejabberd 23.01 over TLS 1.3: SCRAM-SHA-1-PLUS offered, no XEP-0440 element, and it binds
/// `tls-unique`. Guessing `tls-exporter` is refused there, so the client does not guess: plain
/// SCRAM with the gs2 flag `n` (a `y` would be refused by a server that offers -PLUS).
#[test]
fn plus_is_not_used_without_an_advertised_binding_type() {
    let ejabberd = ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"];
    let cb = Transport::tls().with_channel_binding(exporter(1));
    let c = choose(&ejabberd, &ClientPolicy::rfc6120(), &cb).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha1);
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
    // The same when the server advertises only types we cannot compute (tls-unique is
    // dropped while parsing, leaving an empty list).
    let unknown_only = cb.clone().with_advertised_channel_bindings([]);
    let c = choose(&ejabberd, &ClientPolicy::rfc6120(), &unknown_only).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha1);
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
    // Or types we know but have no data for on this connection (tls-exporter on TLS 1.2).
    let end_point_only = cb
        .clone()
        .with_advertised_channel_bindings([ChannelBindingType::TlsServerEndPoint]);
    let c = choose(&ejabberd, &ClientPolicy::rfc6120(), &end_point_only).unwrap();
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
}

#[test]
fn plus_is_used_with_the_first_advertised_type_the_client_can_compute() {
    let both = Transport::tls()
        .with_channel_binding(exporter(1))
        .with_channel_binding(end_point(2));
    let offered = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"];
    // The server lists end-point first, but the client's order (exporter first) decides among
    // the types both sides have.
    let t = both.clone().with_advertised_channel_bindings([
        ChannelBindingType::TlsServerEndPoint,
        ChannelBindingType::TlsExporter,
    ]);
    let c = choose(&offered, &ClientPolicy::rfc6120(), &t).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha256Plus);
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Bound(exporter(1)));
    // Only end-point advertised: that one.
    let t = both.with_advertised_channel_bindings([ChannelBindingType::TlsServerEndPoint]);
    let c = choose(&offered, &ClientPolicy::rfc6120(), &t).unwrap();
    assert_eq!(
        c.channel_binding(),
        &ChannelBindingMode::Bound(end_point(2))
    );
}

/// `--mechanism SCRAM-SHA-1` means SCRAM-SHA-1: never upgraded to -PLUS, even when the server
/// advertises a type the client can compute; and a named -PLUS never falls back.
#[test]
fn a_named_mechanism_is_used_exactly() {
    let t = Transport::tls()
        .with_channel_binding(exporter(1))
        .with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
    let offered = ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"];
    let p = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha1]);
    let c = choose(&offered, &p, &t).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha1);
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
    let p = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha1Plus]);
    assert_eq!(
        choose(&offered, &p, &t).unwrap().mechanism(),
        Mechanism::ScramSha1Plus
    );
    // Named -PLUS, but the server did not advertise a type: no fallback to SCRAM-SHA-1.
    let unadvertised = Transport::tls().with_channel_binding(exporter(1));
    assert!(matches!(
        choose(&offered, &p, &unadvertised),
        Err(NegotiationError::NoCommonMechanism { .. })
    ));
}

#[test]
fn assume_channel_binding_binds_without_an_advertisement() {
    let t = Transport::tls()
        .with_channel_binding(exporter(1))
        .with_channel_binding(end_point(2));
    let mut p = ClientPolicy::rfc6120();
    p.assume_channel_binding = Some(ChannelBindingType::TlsServerEndPoint);
    let c = choose(&["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], &p, &t).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha256Plus);
    assert_eq!(
        c.channel_binding(),
        &ChannelBindingMode::Bound(end_point(2))
    );
    // An advertisement wins over the assumption.
    let t = t.with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
    let c = choose(&["SCRAM-SHA-256-PLUS"], &p, &t).unwrap();
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Bound(exporter(1)));
}

#[test]
fn require_channel_binding_refuses_every_unbound_mechanism() {
    let mut p = ClientPolicy::rfc6120();
    p.require_channel_binding = true;
    let cb = Transport::tls().with_channel_binding(exporter(1));
    // -PLUS offered but no advertised type: refused rather than unbound.
    assert_eq!(
        choose(&["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"], &p, &cb),
        Err(NegotiationError::ChannelBindingRequired)
    );
    assert_eq!(
        choose(&["SCRAM-SHA-256", "PLAIN"], &p, &cb),
        Err(NegotiationError::ChannelBindingRequired)
    );
    let advertised = cb.with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
    assert_eq!(
        choose(&["SCRAM-SHA-256-PLUS", "PLAIN"], &p, &advertised)
            .unwrap()
            .mechanism(),
        Mechanism::ScramSha256Plus
    );
}

#[test]
fn gs2_flag_rules() {
    let cb = Transport::tls().with_channel_binding(exporter(1));
    // Without binding data -PLUS is skipped and the flag is `n`.
    let c = choose(
        &["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1"],
        &ClientPolicy::rfc6120(),
        &Transport::tls().with_advertised_channel_bindings([ChannelBindingType::TlsExporter]),
    )
    .unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha1);
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
    // Server offers -PLUS for another hash only: the flag is `n`, never `y`.
    let p = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha256]);
    let c = choose(&["SCRAM-SHA-256", "SCRAM-SHA-1-PLUS"], &p, &cb).unwrap();
    assert_eq!(c.channel_binding(), &ChannelBindingMode::Unused);
    // Server offers no -PLUS at all while the client could bind: `y`.
    let c = choose(&["SCRAM-SHA-256"], &ClientPolicy::rfc6120(), &cb).unwrap();
    assert_eq!(
        c.channel_binding(),
        &ChannelBindingMode::ServerNotAdvertised
    );
    // Nothing offered; nothing usable.
    assert_eq!(
        choose::<&str>(&[], &ClientPolicy::rfc6120(), &cb),
        Err(NegotiationError::NothingOffered)
    );
    assert!(matches!(
        choose(&["GSSAPI", "X-OTHER"], &ClientPolicy::rfc6120(), &cb),
        Err(NegotiationError::NoCommonMechanism { .. })
    ));
}

/// The server advertises (XEP-0440) what it accepts and can compute, and nothing when it
/// offers no -PLUS mechanism.
#[test]
fn server_advertises_the_binding_types_it_can_compute() {
    let s = ServerSession::new(ServerPolicy::rfc6120());
    assert_eq!(
        s.channel_binding_types(&server_tls()),
        vec![
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsServerEndPoint
        ]
    );
    let tls12 = Transport::tls().with_channel_binding(end_point(2));
    assert_eq!(
        s.channel_binding_types(&tls12),
        vec![ChannelBindingType::TlsServerEndPoint]
    );
    assert!(s.channel_binding_types(&Transport::tls()).is_empty());
    assert!(s.channel_binding_types(&Transport::plaintext()).is_empty());
    let mut no_plus = ServerPolicy::rfc6120();
    no_plus.mechanisms.retain(|m| !m.is_plus());
    assert!(
        ServerSession::new(no_plus)
            .channel_binding_types(&server_tls())
            .is_empty()
    );
}

/// A toy extension mechanism: one challenge "who?" and success on the response "me".
#[derive(Debug)]
struct Toy {
    asked: bool,
}

impl ServerMechanism for Toy {
    fn name(&self) -> &str {
        "X-TOY"
    }
    fn start(
        &mut self,
        _: &mut ServerContext<'_>,
        _: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        self.asked = true;
        Ok(ServerStep::Challenge(b"who?".to_vec()))
    }
    fn step(&mut self, _: &mut ServerContext<'_>, r: &[u8]) -> Result<ServerStep, Failure> {
        if self.asked && r == b"me" {
            Ok(ServerStep::Success(Success {
                additional_data: None,
                identity: Identity::User {
                    authcid: "me".into(),
                    authzid: None,
                },
            }))
        } else {
            Err(Failure::new(
                SaslCondition::NotAuthorized,
                Cause::Extension("not me".into()),
            ))
        }
    }
}

#[derive(Debug)]
struct ToyFactory;

impl ServerMechanismFactory for ToyFactory {
    fn name(&self) -> &str {
        "X-TOY"
    }
    fn is_offered(&self, t: &Transport) -> bool {
        t.tls_active
    }
    fn start(&self) -> Box<dyn ServerMechanism> {
        Box::new(Toy { asked: false })
    }
}

/// The extension point (where GSSAPI plugs in): registered, advertised first, driven like the
/// built-ins, failures counted.
#[test]
fn extension_mechanism_is_advertised_and_driven() {
    let mut s = ServerSession::new(ServerPolicy::rfc6120()).with_extension(Arc::new(ToyFactory));
    assert_eq!(s.offered(&Transport::tls())[0], "X-TOY");
    assert!(!s.offered(&Transport::plaintext()).contains(&"X-TOY"));
    let (f, _) = failure(auth(&mut s, &Transport::plaintext(), Some("X-TOY"), None));
    assert_eq!(f.condition(), SaslCondition::InvalidMechanism);
    let t = Transport::tls();
    let st = store();
    let mut r = rng(1);
    let mut ctx = ServerContext::new(&st, &mut r, &t);
    assert_eq!(
        s.auth(&mut ctx, Some("X-TOY"), None),
        ServerOutcome::Challenge(b"who?".to_vec())
    );
    let (f, _) = failure(s.response(&mut ctx, b"you"));
    assert_eq!(f.cause(), &Cause::Extension("not me".into()));
    assert_eq!(
        s.auth(&mut ctx, Some("X-TOY"), None),
        ServerOutcome::Challenge(b"who?".to_vec())
    );
    assert!(matches!(
        s.response(&mut ctx, b"me"),
        ServerOutcome::Success(_)
    ));
    assert_eq!(s.failures(), 2);
}

#[test]
fn config_debug_redacts_the_unknown_user_key() {
    let c = ServerPolicy::rfc6120().with_unknown_user_key([0x42; 32]);
    let d = format!("{c:?}");
    assert!(d.contains("<redacted>") && !d.contains("66"), "{d}");
}

#[test]
fn credentials_in_client_choice() {
    let choice = choose(&["PLAIN"], &ClientPolicy::rfc6120(), &Transport::tls()).unwrap();
    let mut c = choice
        .start(&Credentials::password("a", "b").unwrap(), &mut rng(0))
        .unwrap();
    assert_eq!(c.name(), "PLAIN");
    assert_eq!(c.initial_response().unwrap(), Some(b"\0a\0b".to_vec()));
}
