//! GSSAPI (Kerberos V5, RFC 4752) through our client and server code against a real MIT KDC on
//! loopback. Run them with the KDC of `scripts/interop/kdc.sh`:
//!
//! ```text
//! scripts/interop/kdc.sh run cargo test -p xmpp-sasl --features gssapi --locked
//! ```
//!
//! The script exports what the tests read (`KRB5_CONFIG`, `KRB5_KTNAME`, `KRB5CCNAME`,
//! `XMPP_KDC_REALM`, `XMPP_KDC_HOST`, `XMPP_KDC_USER`); without it every test here says it
//! skipped, except on CI, where a missing KDC fails them.
#![cfg(feature = "gssapi")]

mod common;

use std::sync::Arc;

use common::*;
use xmpp_sasl::gssapi::{GssapiConfig, GssapiError, GssapiServer, PrincipalMapping};
use xmpp_sasl::{
    AccountStatus, Cause, ClientMechanism, ClientPolicy, Credentials, Identity, Mechanism,
    MemoryStore, SaslCondition, ServerContext, ServerOutcome, ServerPolicy, ServerSession,
    Transport, choose,
};

/// The KDC of `scripts/interop/kdc.sh`, from its environment.
struct Kdc {
    realm: String,
    host: String,
    user: String,
}

const KDC_VARS: [&str; 6] = [
    "KRB5_CONFIG",
    "KRB5_KTNAME",
    "KRB5CCNAME",
    "XMPP_KDC_REALM",
    "XMPP_KDC_HOST",
    "XMPP_KDC_USER",
];

/// `None` (saying so) when the KDC's environment is absent and this is not CI.
fn kdc() -> Option<Kdc> {
    let missing: Vec<&str> = KDC_VARS
        .into_iter()
        .filter(|v| std::env::var_os(v).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no KDC on this CI run (missing {missing:?}): scripts/test runs these tests under \
             scripts/interop/kdc.sh"
        );
        eprintln!(
            "SKIPPED: the GSSAPI tests need a KDC (missing {missing:?}); run them with \
             `scripts/interop/kdc.sh run cargo test -p xmpp-sasl --features gssapi`"
        );
        return None;
    }
    let var = |v: &str| std::env::var(v).unwrap_or_default();
    Some(Kdc {
        realm: var("XMPP_KDC_REALM"),
        host: var("XMPP_KDC_HOST"),
        user: var("XMPP_KDC_USER"),
    })
}

impl Kdc {
    fn server(&self, config: GssapiConfig) -> ServerSession {
        ServerSession::new(ServerPolicy::nato_bcs())
            .with_extension(Arc::new(GssapiServer::new(config)))
    }

    fn default_server(&self) -> ServerSession {
        self.server(GssapiConfig::new(&self.host, &self.realm))
    }

    fn client_with(&self, credentials: &Credentials) -> Box<dyn ClientMechanism> {
        let choice = choose(
            &["GSSAPI"],
            &ClientPolicy::nato_bcs().for_credentials(credentials),
            &Transport::tls(),
        )
        .unwrap();
        choice.start(credentials, &mut rng(1)).unwrap()
    }

    fn client(&self) -> Box<dyn ClientMechanism> {
        self.client_with(&Credentials::kerberos(&self.host).unwrap())
    }

    fn user(&self) -> Identity {
        Identity::User {
            authcid: self.user.clone(),
            authzid: None,
        }
    }

    /// The messages of one successful exchange: (client messages, server challenges).
    fn recorded_login(&self) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
        let end = drive(
            &mut *self.client(),
            &mut self.default_server(),
            &MemoryStore::new(),
            &Transport::tls(),
            Some(Hooks {
                c2s: &mut |_, m| c2s.push(m.clone()),
                s2c: &mut |_, m| s2c.push(m.clone()),
            }),
        );
        assert_eq!(end.success().identity, self.user());
        (c2s, s2c)
    }
}

fn gssapi_cause(failure: &xmpp_sasl::Failure) -> &GssapiError {
    match failure.cause() {
        Cause::Gssapi(e) => e,
        other => panic!("not a GSSAPI cause: {other:?}"),
    }
}

/// NATO S-13: GSSAPI (Kerberos V5, RFC 4752) is offered with the NATO policy over TLS, chosen
/// by a client with Kerberos credentials, and logs the KDC's user in: the AP-REQ in the
/// initial response, the AP-REP (mutual authentication) in a challenge answered with nothing,
/// then the wrapped security-layer offer and the client's wrapped choice.
#[test]
fn nato_s_13_gssapi_logs_in_against_a_real_kdc() {
    let Some(kdc) = kdc() else { return };
    let mut session = kdc.default_server();
    let offered = session.offered(&Transport::tls());
    assert_eq!(offered[0], "GSSAPI");
    assert!(offered.contains(&"ANONYMOUS") && offered.contains(&"PLAIN"));
    // No security layer is negotiated: without TLS GSSAPI is not offered.
    assert!(!session.offered(&Transport::plaintext()).contains(&"GSSAPI"));

    let credentials = Credentials::kerberos(&kdc.host).unwrap();
    let policy = ClientPolicy::nato_bcs().for_credentials(&credentials);
    let choice = choose(&offered, &policy, &Transport::tls()).unwrap();
    assert_eq!(choice.mechanism(), Mechanism::Gssapi);
    let mut client = choice.start(&credentials, &mut rng(1)).unwrap();
    assert_eq!(client.name(), "GSSAPI");

    let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
    let end = drive(
        &mut *client,
        &mut session,
        &MemoryStore::new(),
        &Transport::tls(),
        Some(Hooks {
            c2s: &mut |_, m| c2s.push(m.clone()),
            s2c: &mut |_, m| s2c.push(m.clone()),
        }),
    );
    let success = end.success();
    assert_eq!(success.identity, kdc.user());
    assert_eq!(success.additional_data, None);
    assert!(session.is_authenticated());
    assert_eq!(session.mechanism(), Some("GSSAPI"));
    // Three client messages, two challenges; the answer to the AP-REP is empty.
    assert_eq!((c2s.len(), s2c.len()), (3, 2));
    // RFC 2743 §3.1 framing of the initial context token.
    assert_eq!(c2s[0][0], 0x60);
    assert!(c2s[1].is_empty());
    assert!(!s2c[0].is_empty() && !s2c[1].is_empty());
}

/// The server's default rule with any `xmpp/...` key of the keytab (a server of several
/// domains).
#[test]
fn gssapi_server_may_accept_any_xmpp_key_of_its_keytab() {
    let Some(kdc) = kdc() else { return };
    let config = GssapiConfig::new(&kdc.host, &kdc.realm).with_any_host();
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.server(config),
        &MemoryStore::new(),
        &Transport::tls(),
        None,
    );
    assert_eq!(end.success().identity, kdc.user());
}

/// The client's authorization identity travels in the wrapped choice and is checked by the
/// store (its own JID is allowed, another account's is not).
#[test]
fn gssapi_authorization_identity_is_checked_by_the_store() {
    let Some(kdc) = kdc() else { return };
    let store = MemoryStore::new().with_domain(&kdc.host);
    let own = format!("{}@{}", kdc.user, kdc.host);
    let credentials = Credentials::kerberos(&kdc.host)
        .unwrap()
        .with_authzid(&own)
        .unwrap();
    let end = drive(
        &mut *kdc.client_with(&credentials),
        &mut kdc.default_server(),
        &store,
        &Transport::tls(),
        None,
    );
    assert_eq!(
        end.success().identity,
        Identity::User {
            authcid: kdc.user.clone(),
            authzid: Some(own)
        }
    );

    let other = Credentials::kerberos(&kdc.host)
        .unwrap()
        .with_authzid(&format!("romeo@{}", kdc.host))
        .unwrap();
    let end = drive(
        &mut *kdc.client_with(&other),
        &mut kdc.default_server(),
        &store,
        &Transport::tls(),
        None,
    );
    let failure = end.server_failure();
    assert_eq!(failure.condition(), SaslCondition::InvalidAuthzid);
    assert_eq!(failure.cause(), &Cause::AuthzidRefused);
}

/// The principal mapping decides who logs in as whom: a server configured for another realm
/// refuses the KDC's user; an explicit entry maps it to another account.
#[test]
fn gssapi_server_maps_principals_by_its_configured_rule() {
    let Some(kdc) = kdc() else { return };
    let principal = format!("{}@{}", kdc.user, kdc.realm);
    let elsewhere = GssapiConfig::new(&kdc.host, "OTHER.ORG");
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.server(elsewhere.clone()),
        &MemoryStore::new(),
        &Transport::tls(),
        None,
    );
    let failure = end.server_failure();
    assert_eq!(failure.condition(), SaslCondition::NotAuthorized);
    assert_eq!(
        gssapi_cause(failure),
        &GssapiError::PrincipalNotMapped(principal.clone())
    );

    let explicit = elsewhere.with_mapping(
        PrincipalMapping::realm("OTHER.ORG")
            .with_principal(&principal, "capulet")
            .unwrap(),
    );
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.server(explicit),
        &MemoryStore::new(),
        &Transport::tls(),
        None,
    );
    assert_eq!(
        end.success().identity,
        Identity::User {
            authcid: "capulet".into(),
            authzid: None
        }
    );
}

/// Kerberos vouches for the user, the store still decides whether the account may log in.
#[test]
fn gssapi_disabled_account_is_refused() {
    let Some(kdc) = kdc() else { return };
    let mut store = MemoryStore::new();
    store
        .add_user(&kdc.user, "unused-password", 4096, &mut rng(3))
        .unwrap();
    assert!(store.set_status(&kdc.user, AccountStatus::Disabled));
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.default_server(),
        &store,
        &Transport::tls(),
        None,
    );
    assert_eq!(
        end.server_failure().condition(),
        SaslCondition::AccountDisabled
    );
}

/// A server whose keytab lacks its key cannot authenticate anyone now: a temporary failure,
/// not the client's fault.
#[test]
fn gssapi_server_without_its_key_fails_temporarily() {
    let Some(kdc) = kdc() else { return };
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.server(GssapiConfig::new("no-key.invalid", &kdc.realm)),
        &MemoryStore::new(),
        &Transport::tls(),
        None,
    );
    let failure = end.server_failure();
    assert_eq!(failure.condition(), SaslCondition::TemporaryAuthFailure);
    assert!(matches!(
        gssapi_cause(failure),
        GssapiError::Gss {
            call: "gss_acquire_cred",
            ..
        }
    ));
}

/// One client message against a fresh server session: the outcome.
fn answer(kdc: &Kdc, messages: &[Option<&[u8]>]) -> (ServerOutcome, u32) {
    let mut session = kdc.default_server();
    let store = MemoryStore::new();
    let transport = Transport::tls();
    let mut r = rng(5);
    let mut ctx = ServerContext::new(&store, &mut r, &transport);
    let mut outcome = session.auth(&mut ctx, Some("GSSAPI"), messages[0]);
    for m in &messages[1..] {
        outcome = session.response(&mut ctx, m.unwrap_or_default());
    }
    (outcome, session.failures())
}

fn failed_with(outcome: &ServerOutcome) -> SaslCondition {
    match outcome {
        ServerOutcome::Failure { failure, close } => {
            assert!(!close);
            // The cause stays local; nothing about it is sent.
            assert!(failure.text().is_none());
            failure.condition()
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Tokens that are not tokens, are cut short, are tampered with or replayed end the exchange
/// with the condition that says so, never in a panic or a success.
#[test]
fn gssapi_server_refuses_bad_tokens_with_the_right_condition() {
    let Some(kdc) = kdc() else { return };
    let (c2s, _) = kdc.recorded_login();
    let ap_req = &c2s[0];

    for (what, token, expected) in [
        (
            "garbage",
            b"not a token".to_vec(),
            SaslCondition::MalformedRequest,
        ),
        ("empty", Vec::new(), SaslCondition::MalformedRequest),
        (
            "truncated",
            ap_req[..ap_req.len() / 2].to_vec(),
            SaslCondition::MalformedRequest,
        ),
        (
            "tampered checksum",
            {
                let mut t = ap_req.clone();
                let last = t.len() - 1;
                t[last] ^= 0x01;
                t
            },
            SaslCondition::NotAuthorized,
        ),
        // Accepted once by `recorded_login`: the replay cache refuses it now.
        ("replayed", ap_req.clone(), SaslCondition::NotAuthorized),
    ] {
        let (outcome, failures) = answer(&kdc, &[Some(&token)]);
        assert_eq!(failed_with(&outcome), expected, "{what}");
        assert_eq!(failures, 1, "{what}");
    }

    // No initial response: an empty challenge asks for the token.
    let (outcome, _) = answer(&kdc, &[None]);
    assert_eq!(outcome, ServerOutcome::Challenge(Vec::new()));
}

/// After the context is established the client must answer the AP-REP with nothing, then send
/// a choice that unwraps under the context's key.
#[test]
fn gssapi_server_refuses_bad_answers_after_the_context() {
    let Some(kdc) = kdc() else { return };
    // Data where the client answers with none.
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.default_server(),
        &MemoryStore::new(),
        &Transport::tls(),
        Some(Hooks {
            c2s: &mut |n, m| {
                if n == 1 {
                    m.push(0);
                }
            },
            s2c: &mut |_, _| {},
        }),
    );
    assert_eq!(
        end.server_failure().condition(),
        SaslCondition::MalformedRequest
    );
    // A choice whose integrity check fails.
    let end = drive(
        &mut *kdc.client(),
        &mut kdc.default_server(),
        &MemoryStore::new(),
        &Transport::tls(),
        Some(Hooks {
            c2s: &mut |n, m| {
                if n == 2 {
                    let last = m.len() - 1;
                    m[last] ^= 0x01;
                }
            },
            s2c: &mut |_, _| {},
        }),
    );
    let failure = end.server_failure();
    assert_eq!(failure.condition(), SaslCondition::NotAuthorized);
    assert!(matches!(
        gssapi_cause(failure),
        GssapiError::Gss {
            call: "gss_unwrap",
            ..
        }
    ));
}

/// The client accepts the server only once mutual authentication and the wrapped offer
/// checked out: a tampered AP-REP or offer, or a success before the layers, is refused.
#[test]
fn gssapi_client_refuses_a_server_it_cannot_verify() {
    let Some(kdc) = kdc() else { return };
    for n in [0, 1] {
        let end = drive(
            &mut *kdc.client(),
            &mut kdc.default_server(),
            &MemoryStore::new(),
            &Transport::tls(),
            Some(Hooks {
                c2s: &mut |_, _| {},
                s2c: &mut |i, m| {
                    if i == n {
                        let last = m.len() - 1;
                        m[last] ^= 0x01;
                    }
                },
            }),
        );
        let failure = end.client_failure();
        assert!(
            matches!(gssapi_cause(failure), GssapiError::Gss { .. }),
            "challenge {n}: {failure:?}"
        );
    }

    // `<success/>` right after the AP-REQ: nothing about the server was verified.
    let mut client = kdc.client();
    client.initial_response().unwrap();
    let failure = client.finish(None).unwrap_err();
    assert_eq!(failure.cause(), &Cause::MissingServerVerification);
    assert!(client.step(b"").is_err());
}

/// A service the KDC does not know: the client fails before sending anything, with a typed
/// error.
#[test]
fn gssapi_client_fails_cleanly_for_an_unknown_service() {
    let Some(kdc) = kdc() else { return };
    let mut client = kdc.client_with(&Credentials::kerberos("unknown.invalid").unwrap());
    let failure = client.initial_response().unwrap_err();
    assert!(
        matches!(
            gssapi_cause(&failure),
            GssapiError::Gss {
                call: "gss_init_sec_context",
                ..
            }
        ),
        "{failure:?}"
    );
    assert!(client.initial_response().is_err());
}
