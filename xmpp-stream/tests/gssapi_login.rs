//! A full c2s login with GSSAPI (Kerberos V5, RFC 4752): two connection machines in memory,
//! STARTTLS, then SASL GSSAPI against a real MIT KDC on loopback, then resource binding. Run
//! with the KDC of `scripts/interop/kdc.sh`:
//!
//! ```text
//! scripts/interop/kdc.sh run cargo test -p xmpp-stream --features gssapi --test gssapi_login --locked
//! ```
//!
//! Without the script's environment the tests say they skipped, except on CI, where a missing
//! KDC fails them.
#![cfg(feature = "gssapi")]

use std::sync::Arc;

use xmpp_sasl::gssapi::{GssapiConfig, GssapiServer};
use xmpp_sasl::{Credentials, ExtendedStore, Mechanism, MemoryStore, SaslCondition};
use xmpp_stream::connection::{
    AuthMethod, Connection, Event, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::{Pair, TestPki, rng, t0};

/// The KDC of `scripts/interop/kdc.sh`, from its environment.
struct Kdc {
    realm: String,
    host: String,
    user: String,
}

/// `None` (saying so) when the KDC's environment is absent and this is not CI.
fn kdc() -> Option<Kdc> {
    let vars = [
        "KRB5_CONFIG",
        "KRB5_KTNAME",
        "KRB5CCNAME",
        "XMPP_KDC_REALM",
        "XMPP_KDC_HOST",
        "XMPP_KDC_USER",
    ];
    let missing: Vec<&str> = vars
        .into_iter()
        .filter(|v| std::env::var_os(v).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no KDC on this CI run (missing {missing:?}): scripts/test runs this under \
             scripts/interop/kdc.sh"
        );
        eprintln!(
            "SKIPPED: the GSSAPI login needs a KDC (missing {missing:?}); run it with \
             `scripts/interop/kdc.sh run cargo test -p xmpp-stream --features gssapi --test gssapi_login`"
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

/// The NATO profile, with GSSAPI first among the mechanisms the client may use.
fn nato_with_gssapi() -> Profile {
    let mut profile = Profile::nato_bcs();
    if !profile.mechanisms.contains(&Mechanism::Gssapi) {
        profile.mechanisms.insert(0, Mechanism::Gssapi);
    }
    profile
}

/// A client for `user@host` with Kerberos credentials, and a receiver for `host` whose store
/// carries the GSSAPI server side with `config`, both over STARTTLS with a test PKI for `host`.
fn pair(kdc: &Kdc, config: GssapiConfig) -> Pair {
    let pki = TestPki::new(&[&kdc.host]);
    let profile = Arc::new(nato_with_gssapi());
    let jid = format!("{}@{}", kdc.user, kdc.host).parse().unwrap();
    let credentials = Credentials::kerberos(&kdc.host).unwrap();
    let client = Connection::initiator(
        InitiatorConfig::client(&jid, credentials, pki.client_config()).with_resource("balcony"),
        profile.clone(),
        rng(1),
        t0(),
    )
    .unwrap();
    let store = ExtendedStore::new(MemoryStore::new().with_domain(&kdc.host))
        .with_extension(Arc::new(GssapiServer::new(config)));
    let server = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Client,
            domains: vec![kdc.host.clone()],
            tls: Some(pki.server_config()),
            direct_tls: false,
            auth: ReceiverAuth::Sasl(Arc::new(store)),
        },
        profile,
        rng(2),
        t0(),
    )
    .unwrap();
    Pair::new(client, server)
}

/// NATO S-13 over a whole stream: the receiver offers GSSAPI after STARTTLS, the client logs in
/// with its Kerberos ticket, both machines report the account's JID authenticated by GSSAPI,
/// and the session is bound and established.
#[test]
fn nato_s_13_gssapi_stream_login_against_a_real_kdc() {
    let Some(kdc) = kdc() else { return };
    let mut pair = pair(&kdc, GssapiConfig::new(&kdc.host, &kdc.realm));
    pair.pump();
    let t = pair.take_transcript();
    assert!(pair.is_established(), "{t:#?}");
    let account = format!("{}@{}", kdc.user, kdc.host);
    assert_eq!(
        pair.client.bound_jid().unwrap().as_str(),
        format!("{account}/balcony")
    );
    assert_eq!(pair.server.bound_jid(), pair.client.bound_jid());
    let authenticated = Event::Authenticated {
        mechanism: AuthMethod::Sasl(Mechanism::Gssapi),
        identity: account,
    };
    assert!(t.client_events.contains(&authenticated), "{t:#?}");
    assert!(t.server_events.contains(&authenticated), "{t:#?}");
}

/// A principal the server's mapping does not accept is refused with `not-authorized`, and the
/// session is not established.
#[test]
fn gssapi_stream_login_refused_for_a_principal_of_another_realm() {
    let Some(kdc) = kdc() else { return };
    let mut pair = pair(&kdc, GssapiConfig::new(&kdc.host, "OTHER.ORG"));
    pair.pump();
    let t = pair.take_transcript();
    assert!(!pair.client.is_established());
    assert!(pair.client.bound_jid().is_none());
    let refused = |events: &[Event]| {
        events.iter().any(|e| {
            matches!(
                e,
                Event::AuthFailed {
                    condition: SaslCondition::NotAuthorized,
                    ..
                }
            )
        })
    };
    assert!(refused(&t.client_events), "{t:#?}");
    assert!(refused(&t.server_events), "{t:#?}");
}
