//! Connection machines for the common setups: [`client`], [`server`], [`component_pair`],
//! their options and the test credentials.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;

use crate::connection::{Connection, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig};
use crate::header::StreamKind;
use crate::profile::{Profile, TlsPolicy};

use super::*;

/// The account of the example setups: `juliet@example.com`.
pub const USER: &str = "juliet";
/// The domain of the example c2s setups.
pub const DOMAIN: &str = "example.com";
/// The password of [`USER`] in [`store`].
pub const PASSWORD: &str = "r0m30myr0m30";
/// The resource [`BindPolicy::AcceptRequested`] binds when the client asks for none.
pub const GENERATED_RESOURCE: &str = "generated";

/// A profile without TLS (and with PLAIN allowed, no legacy session), for byte-exact
/// transcripts. Every preset requires TLS; this one is for tests only.
pub fn plaintext_profile() -> Profile {
    let mut p = Profile::rfc6120();
    p.tls = TlsPolicy::Disabled;
    p.allow_plaintext_auth = true;
    p.legacy_session = false;
    p
}

/// The server's credential store: [`USER`] with [`PASSWORD`] in [`DOMAIN`] (SCRAM, 4096
/// iterations). Made once per process (PBKDF2 is slow in debug builds) and shared, like a
/// real server shares its store between connections.
pub fn store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut s = xmpp_sasl::MemoryStore::new().with_domain(DOMAIN);
            s.add_user(USER, PASSWORD, 4096, &mut TestRng(99))
                .expect("valid user");
            Arc::new(s)
        })
        .clone()
}

/// How [`client`] sets up the c2s initiator for `juliet@example.com`.
#[derive(Debug, Clone)]
pub struct ClientOpts {
    /// The policy.
    pub profile: Profile,
    /// TLS (`None` with a profile that disables it).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// XEP-0368 Direct TLS.
    pub direct_tls: bool,
    /// The resource to ask for (`None`: let the server generate one).
    pub resource: Option<String>,
    /// The password to log in with.
    pub password: &'static str,
}

impl ClientOpts {
    /// No TLS ([`plaintext_profile`]), resource `balcony`, the right password.
    pub fn plaintext() -> Self {
        ClientOpts {
            profile: plaintext_profile(),
            tls: None,
            direct_tls: false,
            resource: Some("balcony".into()),
            password: PASSWORD,
        }
    }

    /// STARTTLS trusting `pki`'s CA (no client certificate) with the RFC 6120 profile,
    /// resource `balcony`, the right password.
    pub fn tls(pki: &TestPki) -> Self {
        ClientOpts {
            profile: Profile::rfc6120(),
            tls: Some(pki.client_config()),
            direct_tls: false,
            resource: Some("balcony".into()),
            password: PASSWORD,
        }
    }
}

/// A c2s initiator for `juliet@example.com` (random seed 1, starting at [`t0`]).
pub fn client(opts: ClientOpts) -> Connection {
    let cfg = InitiatorConfig {
        kind: StreamKind::Client,
        to: DOMAIN.into(),
        from: Some(format!("{USER}@{DOMAIN}")),
        tls: opts.tls,
        direct_tls: opts.direct_tls,
        auth: InitiatorAuth::Sasl(
            xmpp_sasl::Credentials::password(USER, opts.password).expect("valid credentials"),
        ),
        resource: opts.resource,
    };
    Connection::initiator(cfg, Arc::new(opts.profile), rng(1), t0()).expect("valid config")
}

/// A c2s receiver for `example.com` authenticating against [`store`] (random seed 2,
/// starting at [`t0`]). `tls` is what [`TestPki::server_config`] returns.
pub fn server(
    profile: Profile,
    tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    direct_tls: bool,
) -> Connection {
    let cfg = ReceiverConfig {
        kind: StreamKind::Client,
        domains: vec![DOMAIN.into()],
        tls,
        direct_tls,
        auth: ReceiverAuth::Sasl(store()),
    };
    Connection::receiver(cfg, Arc::new(profile), rng(2), t0()).expect("valid config")
}

/// [`server`] with [`plaintext_profile`] and no TLS.
pub fn plaintext_server() -> Connection {
    server(plaintext_profile(), None, false)
}

/// A XEP-0114 component `plays.shakespeare.lit` logging in with `secret`, and the server of
/// `shakespeare.lit` that knows it with the secret `"secret"` (no TLS; random seeds 21 and
/// 22, starting at [`t0`]). Returns (component, server).
pub fn component_pair(secret: &str) -> (Connection, Connection) {
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    let profile = Arc::new(profile);
    let component = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Component,
            to: "plays.shakespeare.lit".into(),
            from: None,
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::ComponentSecret(secret.into()),
            resource: None,
        },
        profile.clone(),
        rng(21),
        t0(),
    )
    .expect("valid config");
    let server = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Component,
            domains: vec!["shakespeare.lit".into()],
            tls: None,
            direct_tls: false,
            auth: ReceiverAuth::Components(vec![("plays.shakespeare.lit".into(), "secret".into())]),
        },
        profile,
        rng(22),
        t0(),
    )
    .expect("valid config");
    (component, server)
}
