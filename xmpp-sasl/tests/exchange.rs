//! Every client against every compatible server of this crate, across hashes and channel
//! binding types, with the failures each tampering must produce.

mod common;

use common::*;
use xmpp_sasl::{
    AccountStatus, Cause, ChannelBindingMode, ChannelBindingType, ClientPolicy, CredentialStore,
    Credentials, Identity, Mechanism, MemoryStore, SaslCondition, ScramCredentials, ScramHash,
    ServerPolicy, ServerSession, StoreError, Transport, choose,
};

fn juliet() -> Credentials {
    Credentials::password("juliet", PASSWORD).unwrap()
}

fn run(
    mechanism: Mechanism,
    credentials: &Credentials,
    client_transport: &Transport,
    server_transport: &Transport,
    store: &dyn CredentialStore,
    config: ServerPolicy,
) -> End {
    let policy = ClientPolicy::rfc6120().with_preference([mechanism]);
    let choice = choose(&[mechanism.name()], &policy, &advertised(client_transport)).unwrap();
    assert_eq!(choice.mechanism(), mechanism);
    let mut client = choice.start(credentials, &mut rng(5)).unwrap();
    let mut session = ServerSession::new(config);
    drive(&mut *client, &mut session, store, server_transport, None)
}

fn run_hooked(
    mechanism: Mechanism,
    credentials: &Credentials,
    client_transport: &Transport,
    server_transport: &Transport,
    c2s: &mut dyn FnMut(usize, &mut Vec<u8>),
    s2c: &mut dyn FnMut(usize, &mut Vec<u8>),
) -> End {
    run_seeded(
        mechanism,
        credentials,
        client_transport,
        server_transport,
        c2s,
        s2c,
        5,
    )
}

fn run_seeded(
    mechanism: Mechanism,
    credentials: &Credentials,
    client_transport: &Transport,
    server_transport: &Transport,
    c2s: &mut dyn FnMut(usize, &mut Vec<u8>),
    s2c: &mut dyn FnMut(usize, &mut Vec<u8>),
    seed: u64,
) -> End {
    let policy = ClientPolicy::rfc6120().with_preference([mechanism]);
    let choice = choose(&[mechanism.name()], &policy, &advertised(client_transport)).unwrap();
    let mut client = choice.start(credentials, &mut rng(seed)).unwrap();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    drive_seeded(
        &mut *client,
        &mut session,
        &store(),
        server_transport,
        Some(Hooks { c2s, s2c }),
        seed + 1000,
    )
}

fn user(authcid: &str) -> Identity {
    Identity::User {
        authcid: authcid.into(),
        authzid: None,
    }
}

const SCRAM: [Mechanism; 3] = [
    Mechanism::ScramSha1,
    Mechanism::ScramSha256,
    Mechanism::ScramSha512,
];

fn plus(m: Mechanism) -> Mechanism {
    let (h, _) = m.scram().unwrap();
    Mechanism::for_scram(h, true)
}

/// UCR-SASL-1: every SCRAM variant, with no binding and with each binding type, succeeds and
/// both sides agree (the client verifies the server signature).
#[test]
fn ucr_sasl_1_scram_matrix_succeeds() {
    let store = store();
    for m in SCRAM {
        let end = run(
            m,
            &juliet(),
            &Transport::tls(),
            &server_tls(),
            &store,
            ServerPolicy::rfc6120(),
        );
        assert_eq!(end.success().identity, user("juliet"), "{m}");
        for binding in [exporter(1), end_point(2)] {
            let client_t = Transport::tls().with_channel_binding(binding.clone());
            let end = run(
                plus(m),
                &juliet(),
                &client_t,
                &server_tls(),
                &store,
                ServerPolicy::rfc6120(),
            );
            assert_eq!(end.success().identity, user("juliet"), "{m} {binding:?}");
        }
    }
}

#[test]
fn scram_wrong_password_and_unknown_user_look_the_same() {
    let store = store();
    for m in SCRAM.into_iter().chain(SCRAM.map(plus)) {
        let client_t = if m.is_plus() {
            Transport::tls().with_channel_binding(exporter(1))
        } else {
            Transport::tls()
        };
        let wrong = Credentials::password("juliet", "nope").unwrap();
        let end = run(
            m,
            &wrong,
            &client_t,
            &server_tls(),
            &store,
            ServerPolicy::rfc6120(),
        );
        let f = end.server_failure();
        assert_eq!(
            (f.condition(), f.cause()),
            (SaslCondition::NotAuthorized, &Cause::InvalidCredentials),
            "{m}"
        );
        let nobody = Credentials::password("romeo", PASSWORD).unwrap();
        let end = run(
            m,
            &nobody,
            &client_t,
            &server_tls(),
            &store,
            ServerPolicy::rfc6120(),
        );
        let f = end.server_failure();
        assert_eq!(
            (f.condition(), f.cause()),
            (SaslCondition::NotAuthorized, &Cause::UnknownUser),
            "{m}"
        );
        assert_eq!(f.text(), None);
    }
}

#[test]
fn unknown_user_salt_is_stable_with_a_key_and_looks_real() {
    let config = ServerPolicy::rfc6120().with_unknown_user_key([9; 32]);
    let mut first = Vec::new();
    for attempt in 0..2 {
        let mut seen = Vec::new();
        let policy = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha256]);
        let choice = choose(&["SCRAM-SHA-256"], &policy, &Transport::tls()).unwrap();
        let mut client = choice
            .start(
                &Credentials::password("ghost", "x").unwrap(),
                &mut rng(attempt),
            )
            .unwrap();
        let mut session = ServerSession::new(config.clone());
        let end = drive(
            &mut *client,
            &mut session,
            &store(),
            &Transport::tls(),
            Some(Hooks {
                c2s: &mut |_, _| {},
                s2c: &mut |n, m| {
                    if n == 0 {
                        seen = m.clone();
                    }
                },
            }),
        );
        assert_eq!(
            end.server_failure().condition(),
            SaslCondition::NotAuthorized
        );
        let text = String::from_utf8(seen).unwrap();
        let salt_and_i = text.split_once(",s=").unwrap().1.to_owned();
        assert!(salt_and_i.ends_with(",i=4096"), "{salt_and_i}");
        if attempt == 0 {
            first = salt_and_i.into_bytes();
        } else {
            assert_eq!(first, salt_and_i.into_bytes());
        }
    }
}

#[test]
fn scram_wrong_channel_binding_data_is_refused() {
    for m in SCRAM.map(plus) {
        for binding in [exporter(7), end_point(7)] {
            let client_t = Transport::tls().with_channel_binding(binding);
            let end = run(
                m,
                &juliet(),
                &client_t,
                &server_tls(),
                &store(),
                ServerPolicy::rfc6120(),
            );
            let f = end.server_failure();
            assert_eq!(
                (f.condition(), f.cause()),
                (SaslCondition::NotAuthorized, &Cause::ChannelBindingMismatch),
                "{m}"
            );
        }
    }
}

#[test]
fn scram_binding_type_the_server_lacks_is_refused() {
    let server_t = Transport::tls().with_channel_binding(exporter(1));
    let client_t = Transport::tls().with_channel_binding(end_point(2));
    let end = run(
        Mechanism::ScramSha256Plus,
        &juliet(),
        &client_t,
        &server_t,
        &store(),
        ServerPolicy::rfc6120(),
    );
    let f = end.server_failure();
    assert_eq!(f.condition(), SaslCondition::NotAuthorized);
    assert_eq!(
        f.cause(),
        &Cause::ChannelBindingUnsupported("tls-server-end-point".into())
    );
}

/// An attacker strips the -PLUS mechanisms from the list: the client (which has binding data)
/// uses the `y` flag and the server, which does support binding, detects the downgrade.
#[test]
fn scram_downgrade_is_detected_by_the_y_flag() {
    let client_t = Transport::tls().with_channel_binding(exporter(1));
    let stripped = ["SCRAM-SHA-256", "SCRAM-SHA-1"];
    let choice = choose(&stripped, &ClientPolicy::rfc6120(), &client_t).unwrap();
    assert_eq!(choice.mechanism(), Mechanism::ScramSha256);
    assert_eq!(
        choice.channel_binding(),
        &ChannelBindingMode::ServerNotAdvertised
    );
    let mut client = choice.start(&juliet(), &mut rng(1)).unwrap();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let end = drive(&mut *client, &mut session, &store(), &server_tls(), None);
    let f = end.server_failure();
    assert_eq!(
        (f.condition(), f.cause()),
        (
            SaslCondition::NotAuthorized,
            &Cause::ChannelBindingDowngrade
        )
    );

    // A server without binding data accepts the same `y` exchange.
    let mut client = choice.start(&juliet(), &mut rng(1)).unwrap();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let end = drive(
        &mut *client,
        &mut session,
        &store(),
        &Transport::tls(),
        None,
    );
    assert_eq!(end.success().identity, user("juliet"));
}

#[test]
fn scram_tampered_server_signature_is_caught_by_the_client() {
    for m in SCRAM {
        let end = run_hooked(
            m,
            &juliet(),
            &Transport::tls(),
            &server_tls(),
            &mut |_, _| {},
            &mut |n, msg| {
                if n == 1 {
                    // Flip one bit inside the base64 of v=.
                    let last = msg.len() - 3;
                    msg[last] = if msg[last] == b'A' { b'B' } else { b'A' };
                }
            },
        );
        let f = end.client_failure();
        assert_eq!(
            (f.condition(), f.cause()),
            (
                SaslCondition::NotAuthorized,
                &Cause::ServerSignatureMismatch
            ),
            "{m}"
        );
    }
}

#[test]
fn scram_server_error_attribute_fails_the_client() {
    let end = run_hooked(
        Mechanism::ScramSha1,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |_, _| {},
        &mut |n, msg| {
            if n == 1 {
                *msg = b"e=invalid-proof".to_vec();
            }
        },
    );
    assert_eq!(
        end.client_failure().cause(),
        &Cause::ServerError("invalid-proof".into())
    );
}

#[test]
fn scram_tampered_nonce_is_refused() {
    // Server side: the client-final carries another nonce.
    let end = run_hooked(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |n, msg| {
            if n == 1 {
                let s = String::from_utf8(msg.clone())
                    .unwrap()
                    .replacen(",r=", ",r=X", 1);
                *msg = s.into_bytes();
            }
        },
        &mut |_, _| {},
    );
    assert_eq!(end.server_failure().cause(), &Cause::NonceMismatch);
    // Client side: the server-first does not extend the client nonce.
    let end = run_hooked(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |_, _| {},
        &mut |n, msg| {
            if n == 0 {
                msg[2] ^= 1;
            }
        },
    );
    assert_eq!(end.client_failure().cause(), &Cause::NonceMismatch);
}

/// A client-final recorded from one exchange is replayed into a new exchange: refused.
#[test]
fn scram_replayed_client_final_is_refused() {
    let mut recorded = Vec::new();
    let end = run_hooked(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |n, msg| {
            if n == 1 {
                recorded = msg.clone();
            }
        },
        &mut |_, _| {},
    );
    end.success();
    // New exchange with fresh nonces on both sides.
    let end = run_seeded(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |n, msg| {
            if n == 1 {
                *msg = recorded.clone();
            }
        },
        &mut |_, _| {},
        6,
    );
    let f = end.server_failure();
    assert_eq!(
        (f.condition(), f.cause()),
        (SaslCondition::NotAuthorized, &Cause::NonceMismatch)
    );
}

#[test]
fn scram_iteration_count_below_minimum_is_refused_by_the_client() {
    let mut weak = MemoryStore::new();
    weak.insert_credentials(
        "juliet",
        ScramCredentials::derive(ScramHash::Sha256, PASSWORD, b"salt", 1024).unwrap(),
    )
    .unwrap();
    let end = run(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &Transport::tls(),
        &weak,
        ServerPolicy::rfc6120(),
    );
    let f = end.client_failure();
    assert_eq!(f.condition(), SaslCondition::MechanismTooWeak);
    assert_eq!(
        f.cause(),
        &Cause::IterationCountTooLow {
            iterations: 1024,
            minimum: 4096
        }
    );
}

#[test]
fn scram_malformed_messages_fail_cleanly() {
    let garbage: [&[u8]; 6] = [
        b"",
        b"\xff\xfe",
        b"n,,",
        b"c=biws",
        b"x=1,y=2",
        b"p=tls-unique,,n=a,r=b",
    ];
    for m in SCRAM {
        for (step, g) in [0usize, 1]
            .iter()
            .flat_map(|s| garbage.iter().map(move |g| (*s, *g)))
        {
            let end = run_hooked(
                m,
                &juliet(),
                &Transport::tls(),
                &server_tls(),
                &mut |n, msg| {
                    if n == step {
                        *msg = g.to_vec();
                    }
                },
                &mut |_, _| {},
            );
            let c = end.server_failure().condition();
            assert!(
                matches!(
                    c,
                    SaslCondition::MalformedRequest | SaslCondition::NotAuthorized
                ),
                "{m} step {step} {g:?}: {c}"
            );
        }
        for g in garbage {
            let end = run_hooked(
                m,
                &juliet(),
                &Transport::tls(),
                &server_tls(),
                &mut |_, _| {},
                &mut |n, msg| {
                    if n == 0 {
                        *msg = g.to_vec();
                    }
                },
            );
            let c = end.client_failure().condition();
            assert!(
                matches!(
                    c,
                    SaslCondition::MalformedRequest | SaslCondition::NotAuthorized
                ),
                "{m} {g:?}: {c}"
            );
        }
    }
}

#[test]
fn scram_plus_flag_rules() {
    // Non-PLUS mechanism with a p= header; PLUS mechanism with n.
    let end = run_hooked(
        Mechanism::ScramSha256,
        &juliet(),
        &Transport::tls(),
        &server_tls(),
        &mut |n, msg| {
            if n == 0 {
                let s =
                    String::from_utf8(msg.clone())
                        .unwrap()
                        .replacen("n,", "p=tls-exporter,", 1);
                *msg = s.into_bytes();
            }
        },
        &mut |_, _| {},
    );
    assert_eq!(end.server_failure().cause(), &Cause::ChannelBindingFlag);
    let client_t = Transport::tls().with_channel_binding(exporter(1));
    let end = run_hooked(
        Mechanism::ScramSha256Plus,
        &juliet(),
        &client_t,
        &server_tls(),
        &mut |n, msg| {
            if n == 0 {
                let s =
                    String::from_utf8(msg.clone())
                        .unwrap()
                        .replacen("p=tls-exporter,", "n,", 1);
                *msg = s.into_bytes();
            }
        },
        &mut |_, _| {},
    );
    assert_eq!(end.server_failure().cause(), &Cause::ChannelBindingFlag);
}

#[test]
fn authzid_allowed_or_refused() {
    for m in [Mechanism::ScramSha1, Mechanism::Plain] {
        let ok = juliet().with_authzid("juliet@example.com").unwrap();
        let end = run(
            m,
            &ok,
            &Transport::tls(),
            &server_tls(),
            &store(),
            ServerPolicy::rfc6120(),
        );
        assert_eq!(
            end.success().identity,
            Identity::User {
                authcid: "juliet".into(),
                authzid: Some("juliet@example.com".into())
            }
        );
        let bad = juliet().with_authzid("romeo@example.com").unwrap();
        let end = run(
            m,
            &bad,
            &Transport::tls(),
            &server_tls(),
            &store(),
            ServerPolicy::rfc6120(),
        );
        assert_eq!(
            end.server_failure().condition(),
            SaslCondition::InvalidAuthzid,
            "{m}"
        );
    }
}

/// UCR-SASL-29: account-disabled and credentials-expired, reported only to someone who knows
/// the password.
#[test]
fn ucr_sasl_29_account_status_after_verification() {
    for (status, condition) in [
        (AccountStatus::Disabled, SaslCondition::AccountDisabled),
        (
            AccountStatus::CredentialsExpired,
            SaslCondition::CredentialsExpired,
        ),
    ] {
        let mut s = store();
        s.set_status("juliet", status);
        for m in [Mechanism::ScramSha256, Mechanism::Plain] {
            let end = run(
                m,
                &juliet(),
                &Transport::tls(),
                &server_tls(),
                &s,
                ServerPolicy::rfc6120(),
            );
            assert_eq!(end.server_failure().condition(), condition, "{m}");
            let wrong = Credentials::password("juliet", "nope").unwrap();
            let end = run(
                m,
                &wrong,
                &Transport::tls(),
                &server_tls(),
                &s,
                ServerPolicy::rfc6120(),
            );
            assert_eq!(
                end.server_failure().condition(),
                SaslCondition::NotAuthorized,
                "{m}"
            );
        }
    }
}

struct Down;
impl CredentialStore for Down {
    fn scram_credentials(&self, _: &str, _: ScramHash) -> Result<ScramCredentials, StoreError> {
        Err(StoreError::Unavailable("directory down".into()))
    }
}

/// UCR-SASL-29: a store that cannot answer gives temporary-auth-failure.
#[test]
fn ucr_sasl_29_store_unavailable_is_temporary() {
    for m in [Mechanism::ScramSha256, Mechanism::Plain] {
        let end = run(
            m,
            &juliet(),
            &Transport::tls(),
            &server_tls(),
            &Down,
            ServerPolicy::rfc6120(),
        );
        assert_eq!(
            end.server_failure().condition(),
            SaslCondition::TemporaryAuthFailure,
            "{m}"
        );
    }
}

/// UCR-SASL-5, UCR-SASL-9, UCR-SASL-10: PLAIN over TLS with the RFC 4616 message.
#[test]
fn ucr_sasl_5_plain_over_tls() {
    let end = run(
        Mechanism::Plain,
        &juliet(),
        &Transport::tls(),
        &Transport::tls(),
        &store(),
        ServerPolicy::dod_ucr_2008(),
    );
    assert_eq!(end.success().identity, user("juliet"));
    assert_eq!(end.success().additional_data, None);
    let wrong = Credentials::password("juliet", "nope").unwrap();
    let end = run(
        Mechanism::Plain,
        &wrong,
        &Transport::tls(),
        &Transport::tls(),
        &store(),
        ServerPolicy::dod_ucr_2008(),
    );
    assert_eq!(
        end.server_failure().condition(),
        SaslCondition::NotAuthorized
    );
}

/// RFC 4616 §4 second example, verified by the server: Kurt acting as Ursel.
#[test]
fn ucr_sasl_10_rfc4616_authzid_example_verified() {
    let mut s = MemoryStore::new();
    s.add_user("Kurt", "xipj3plmq", 4096, &mut rng(3)).unwrap();
    s.grant("Kurt", "Ursel");
    let creds = Credentials::password("Kurt", "xipj3plmq")
        .unwrap()
        .with_authzid("Ursel")
        .unwrap();
    let end = run(
        Mechanism::Plain,
        &creds,
        &Transport::tls(),
        &Transport::tls(),
        &s,
        ServerPolicy::rfc6120(),
    );
    assert_eq!(
        end.success().identity,
        Identity::User {
            authcid: "Kurt".into(),
            authzid: Some("Ursel".into())
        }
    );
}

/// RFC 4013 through PLAIN: the server prepares the password, so "I<SOFT HYPHEN>X" matches "IX".
#[test]
fn saslprep_applies_on_the_server_side() {
    let mut s = MemoryStore::new();
    s.add_user("user", "IX", 4096, &mut rng(3)).unwrap();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let mut r = rng(4);
    let t = Transport::tls();
    let mut ctx = xmpp_sasl::ServerContext::new(&s, &mut r, &t);
    let out = session.auth(
        &mut ctx,
        Some("PLAIN"),
        Some("\0user\0I\u{00AD}X".as_bytes()),
    );
    assert!(
        matches!(out, xmpp_sasl::ServerOutcome::Success(_)),
        "{out:?}"
    );
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let out = session.auth(&mut ctx, Some("PLAIN"), Some("\0user\0\u{0007}".as_bytes()));
    match out {
        xmpp_sasl::ServerOutcome::Failure { failure, .. } => {
            assert_eq!(failure.cause(), &Cause::Saslprep)
        }
        other => panic!("{other:?}"),
    }
    // The SCRAM client prepares "\u{2168}" (ROMAN NUMERAL NINE) to "IX" as well.
    let creds = Credentials::password("user", "\u{2168}").unwrap();
    let end = run(
        Mechanism::ScramSha256,
        &creds,
        &Transport::tls(),
        &Transport::tls(),
        &s,
        ServerPolicy::rfc6120(),
    );
    assert_eq!(end.success().identity, user("user"));
}

#[test]
fn plain_malformed_messages() {
    let t = Transport::tls();
    let s = store();
    for bad in [
        &b""[..],
        b"juliet",
        b"\0juliet",
        b"\0\0pw",
        b"\0juliet\0",
        b"a\0b\0c\0d",
        b"\0\xff\0pw",
    ] {
        let mut session = ServerSession::new(ServerPolicy::rfc6120());
        let mut r = rng(4);
        let mut ctx = xmpp_sasl::ServerContext::new(&s, &mut r, &t);
        match session.auth(&mut ctx, Some("PLAIN"), Some(bad)) {
            xmpp_sasl::ServerOutcome::Failure { failure, .. } => {
                assert_eq!(
                    failure.condition(),
                    SaslCondition::MalformedRequest,
                    "{bad:?}"
                )
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

/// UCR-SASL-19: EXTERNAL with the empty response `=`: the identity comes from the certificate.
/// UCR-XEP-7: SASL EXTERNAL (RFC 4422 Appendix A) on the server side.
/// UCR-XEP-13: the XEP-0178 empty response.
#[test]
fn ucr_sasl_19_ucr_xep_7_ucr_xep_13_external_empty_response() {
    let client_t = Transport::tls().with_client_certificate();
    let server_t = Transport::tls().with_peer_identity("example.com");
    let policy = ClientPolicy::rfc6120();
    let offered = ServerSession::new(ServerPolicy::dod_ucr_2008())
        .offered(&server_t)
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    let choice = choose(&offered, &policy, &client_t).unwrap();
    assert_eq!(choice.mechanism(), Mechanism::External);
    let mut client = choice
        .start(&Credentials::certificate(), &mut rng(1))
        .unwrap();
    assert_eq!(client.initial_response().unwrap(), Some(Vec::new()));
    assert_eq!(xmpp_sasl::wire::encode_auth(Some(&[])), "=");
    let mut client = choice
        .start(&Credentials::certificate(), &mut rng(1))
        .unwrap();
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    let end = drive(&mut *client, &mut session, &store(), &server_t, None);
    assert_eq!(
        end.success().identity,
        Identity::External {
            identity: "example.com".into(),
            authzid: None
        }
    );
}

/// UCR-SASL-20: EXTERNAL with an explicit authzid equal to the stream `from` (the certificate
/// identity) is accepted too; a different one is refused with invalid-authzid.
/// UCR-XEP-13: the XEP-0178 authzid-equals-`from` form.
#[test]
fn ucr_sasl_20_ucr_xep_13_external_explicit_authzid() {
    let client_t = Transport::tls().with_client_certificate();
    let server_t = Transport::tls().with_peer_identity("example.com");
    let same = Credentials::certificate()
        .with_authzid("example.com")
        .unwrap();
    let end = run(
        Mechanism::External,
        &same,
        &client_t,
        &server_t,
        &store(),
        ServerPolicy::dod_ucr_2008(),
    );
    assert_eq!(
        end.success().identity,
        Identity::External {
            identity: "example.com".into(),
            authzid: Some("example.com".into())
        }
    );
    let other = Credentials::certificate()
        .with_authzid("example.org")
        .unwrap();
    let end = run(
        Mechanism::External,
        &other,
        &client_t,
        &server_t,
        &store(),
        ServerPolicy::dod_ucr_2008(),
    );
    assert_eq!(
        end.server_failure().condition(),
        SaslCondition::InvalidAuthzid
    );
}

/// The 2007 draft's s2s EXTERNAL vector sends `example.com\n` (trailing LF): that is not the
/// certificate identity, so it is refused rather than silently trimmed.
#[test]
fn draft_external_vector_with_trailing_lf_is_refused() {
    let data = xmpp_sasl::wire::decode_auth("ZXhhbXBsZS5jb20K")
        .unwrap()
        .unwrap();
    assert_eq!(data, b"example.com\n");
    let server_t = Transport::tls().with_peer_identity("example.com");
    let mut session = ServerSession::new(ServerPolicy::dod_ucr_2008());
    let mut r = rng(1);
    let s = store();
    let mut ctx = xmpp_sasl::ServerContext::new(&s, &mut r, &server_t);
    match session.auth(&mut ctx, Some("EXTERNAL"), Some(&data)) {
        xmpp_sasl::ServerOutcome::Failure { failure, .. } => {
            assert_eq!(failure.condition(), SaslCondition::InvalidAuthzid)
        }
        other => panic!("{other:?}"),
    }
}

/// EXTERNAL when the server sends an empty challenge because the client sent no data.
#[test]
fn external_without_initial_response_uses_a_challenge() {
    let server_t = Transport::tls().with_peer_identity("juliet@example.com");
    let s = store();
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    let mut r = rng(1);
    let mut ctx = xmpp_sasl::ServerContext::new(&s, &mut r, &server_t);
    assert_eq!(
        session.auth(&mut ctx, Some("EXTERNAL"), None),
        xmpp_sasl::ServerOutcome::Challenge(vec![])
    );
    match session.response(&mut ctx, b"") {
        xmpp_sasl::ServerOutcome::Success(s) => assert_eq!(
            s.identity,
            Identity::External {
                identity: "juliet@example.com".into(),
                authzid: None
            }
        ),
        other => panic!("{other:?}"),
    }
}

/// ANONYMOUS works where it is enabled (NATO BCS, S-13).
#[test]
fn anonymous_under_nato_profile() {
    let creds = Credentials::anonymous().with_trace("sirhc").unwrap();
    let end = run(
        Mechanism::Anonymous,
        &creds,
        &Transport::tls(),
        &Transport::tls(),
        &store(),
        ServerPolicy::nato_bcs(),
    );
    assert_eq!(
        end.success().identity,
        Identity::Anonymous {
            trace: Some("sirhc".into())
        }
    );
    let end = run(
        Mechanism::Anonymous,
        &Credentials::anonymous(),
        &Transport::tls(),
        &Transport::tls(),
        &store(),
        ServerPolicy::nato_bcs(),
    );
    assert_eq!(end.success().identity, Identity::Anonymous { trace: None });
}

#[test]
fn every_mechanism_fails_the_client_on_junk_success_data() {
    for m in [Mechanism::Plain, Mechanism::External, Mechanism::Anonymous] {
        let client_t = Transport::tls().with_client_certificate();
        let policy = ClientPolicy::rfc6120().with_preference([m]);
        let mut client = choose(&[m.name()], &policy, &client_t)
            .unwrap()
            .start(&juliet(), &mut rng(1))
            .unwrap();
        client.initial_response().unwrap();
        assert_eq!(
            client.finish(Some(b"junk")).unwrap_err().condition(),
            SaslCondition::MalformedRequest,
            "{m}"
        );
        assert!(client.step(b"more").is_err());
    }
}

#[test]
fn choice_start_needs_matching_credentials() {
    let policy = ClientPolicy::rfc6120();
    let choice = choose(&["SCRAM-SHA-1"], &policy, &Transport::tls()).unwrap();
    assert!(
        choice
            .start(&Credentials::certificate(), &mut rng(1))
            .is_err()
    );
    assert_eq!(ChannelBindingType::TlsExporter.name(), "tls-exporter");
}
