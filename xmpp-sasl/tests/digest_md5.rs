//! DIGEST-MD5 (feature `legacy-digest-md5`): client against server, tampering, and the 2007
//! draft's example exchange.
#![cfg(feature = "legacy-digest-md5")]

mod common;

use common::*;
use xmpp_sasl::digest_md5::{DigestMd5Client, DigestMd5Server};
use xmpp_sasl::{
    Cause, ClientMechanism, ClientPolicy, Credentials, Identity, Mechanism, SaslCondition,
    ServerContext, ServerMechanism, ServerOutcome, ServerPolicy, ServerSession, ServerStep,
    Transport, choose, wire,
};

fn config() -> ServerPolicy {
    ServerPolicy::rfc6120().with_digest_md5("example.com")
}

fn client(user: &str, pw: &str) -> Box<dyn ClientMechanism> {
    let creds = Credentials::password(user, pw)
        .unwrap()
        .with_domain("example.com");
    let p = ClientPolicy::rfc6120().with_preference([Mechanism::DigestMd5]);
    choose(&["DIGEST-MD5"], &p, &Transport::tls())
        .unwrap()
        .start(&creds, &mut rng(3))
        .unwrap()
}

#[test]
fn digest_md5_client_against_server() {
    let s = store();
    let mut c = client("juliet", PASSWORD);
    assert_eq!(c.initial_response().unwrap(), None);
    let mut c = client("juliet", PASSWORD);
    let end = drive(
        &mut *c,
        &mut ServerSession::new(config()),
        &s,
        &Transport::tls(),
        None,
    );
    assert_eq!(
        end.success().identity,
        Identity::User {
            authcid: "juliet".into(),
            authzid: None
        }
    );
}

#[test]
fn digest_md5_wrong_password_unknown_user_and_tampering() {
    let s = store();
    let mut c = client("juliet", "nope");
    let end = drive(
        &mut *c,
        &mut ServerSession::new(config()),
        &s,
        &Transport::tls(),
        None,
    );
    assert_eq!(end.server_failure().cause(), &Cause::InvalidCredentials);
    let mut c = client("romeo", PASSWORD);
    let end = drive(
        &mut *c,
        &mut ServerSession::new(config()),
        &s,
        &Transport::tls(),
        None,
    );
    assert_eq!(
        end.server_failure().condition(),
        SaslCondition::NotAuthorized
    );
    // Tampered rspauth.
    let mut c = client("juliet", PASSWORD);
    let end = drive(
        &mut *c,
        &mut ServerSession::new(config()),
        &s,
        &Transport::tls(),
        Some(Hooks {
            c2s: &mut |_, _| {},
            s2c: &mut |n, m| {
                if n == 1 {
                    let last = m.len() - 1;
                    m[last] = if m[last] == b'0' { b'1' } else { b'0' };
                }
            },
        }),
    );
    assert_eq!(
        end.client_failure().cause(),
        &Cause::ServerSignatureMismatch
    );
    // Tampered nonce in the response.
    let mut c = client("juliet", PASSWORD);
    let end = drive(
        &mut *c,
        &mut ServerSession::new(config()),
        &s,
        &Transport::tls(),
        Some(Hooks {
            c2s: &mut |n, m| {
                if n == 1 {
                    *m = String::from_utf8(m.clone())
                        .unwrap()
                        .replacen("nonce=\"", "nonce=\"x", 1)
                        .into_bytes();
                }
            },
            s2c: &mut |_, _| {},
        }),
    );
    assert_eq!(end.server_failure().cause(), &Cause::NonceMismatch);
}

#[test]
fn digest_md5_initial_response_rules_and_offering() {
    let s = store();
    let t = Transport::tls();
    let mut r = rng(1);
    let mut ctx = ServerContext::new(&s, &mut r, &t);
    let mut session = ServerSession::new(config());
    match session.auth(&mut ctx, Some("DIGEST-MD5"), Some(b"username=x")) {
        ServerOutcome::Failure { failure, .. } => {
            assert_eq!(failure.condition(), SaslCondition::MalformedRequest)
        }
        other => panic!("{other:?}"),
    }
    // `=` (zero-length initial response, as in the draft's example) is taken as none.
    let mut session = ServerSession::new(config());
    assert!(matches!(
        session.auth(&mut ctx, Some("DIGEST-MD5"), Some(b"")),
        ServerOutcome::Challenge(_)
    ));
    // Not offered without a realm, nor by default.
    assert!(
        !ServerSession::new(ServerPolicy::rfc6120())
            .offered(&t)
            .contains(&"DIGEST-MD5")
    );
    assert!(
        ServerSession::new(config())
            .offered(&t)
            .contains(&"DIGEST-MD5")
    );
    assert!(
        !ClientPolicy::rfc6120()
            .preference
            .contains(&Mechanism::DigestMd5)
    );
}

#[test]
fn digest_md5_malformed_responses_fail_cleanly() {
    let s = store();
    let t = Transport::tls();
    for bad in [
        &b""[..],
        b"\xff",
        b"username=\"juliet\"",
        b"username=\"juliet\",username=\"x\"",
        b"a=\"unterminated",
    ] {
        let mut r = rng(1);
        let mut ctx = ServerContext::new(&s, &mut r, &t);
        let mut m = DigestMd5Server::new("example.com");
        assert!(matches!(
            m.start(&mut ctx, None),
            Ok(ServerStep::Challenge(_))
        ));
        let f = m.step(&mut ctx, bad).unwrap_err();
        assert!(
            matches!(
                f.condition(),
                SaslCondition::MalformedRequest | SaslCondition::NotAuthorized
            ),
            "{bad:?}"
        );
    }
}

/// The 2007 draft's C2S SASL example (vector 02): the client accepts the challenge (with its
/// trailing LF), answers with the same directives, and takes `rspauth` from `<success/>`.
#[test]
fn draft_vector_02_challenge_and_success_shape() {
    let challenge = wire::decode(
        "cmVhbG09ImV4YW1wbGUuY29tIixub25jZT0iT0E2TUc5dEVRR20yaGgiLHFvcD0i\
         YXV0aCIsY2hhcnNldD11dGYtOCxhbGdvcml0aG09bWQ1LXNlc3MK",
    )
    .unwrap();
    assert!(challenge.ends_with(b"md5-sess\n"));
    let creds = Credentials::password("juliet", "secret")
        .unwrap()
        .with_domain("example.com");
    let mut c = DigestMd5Client::new(&creds, &mut rng(1)).unwrap();
    assert_eq!(c.initial_response().unwrap(), None);
    let response = String::from_utf8(c.step(&challenge).unwrap()).unwrap();
    for part in [
        "username=\"juliet\"",
        "realm=\"example.com\"",
        "nonce=\"OA6MG9tEQGm2hh\"",
        "nc=00000001",
        "qop=auth",
        "digest-uri=\"xmpp/example.com\"",
        "charset=utf-8",
    ] {
        assert!(response.contains(part), "{part} in {response}");
    }
    // The draft's rspauth was computed for another password: the client must refuse it.
    let success = wire::decode_auth("cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZAo=")
        .unwrap()
        .unwrap();
    assert_eq!(
        c.finish(Some(&success)).unwrap_err().cause(),
        &Cause::ServerSignatureMismatch
    );
}
