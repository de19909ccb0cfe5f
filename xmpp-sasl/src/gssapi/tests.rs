//! Our GSSAPI client and server against a peer made directly with the GSS-API library, on the
//! KDC of `scripts/interop/kdc.sh` (skipped, saying so, without its environment): the bytes of
//! the security-layer messages as the other side unwraps them, and peers that break RFC 4752.

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext, ServerCtx};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;
use crate::client::ClientMechanism;
use crate::condition::SaslCondition;
use crate::credentials::Credentials;
use crate::failure::{Cause, Failure};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep};
use crate::session::ServerMechanismFactory;
use crate::store::MemoryStore;
use crate::transport::Transport;

struct Kdc {
    realm: String,
    host: String,
    user: String,
}

/// The KDC's environment, or `None` (saying so) outside `kdc.sh` and outside CI.
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
            "no KDC on this CI run (missing {missing:?})"
        );
        eprintln!(
            "SKIPPED: needs the KDC of scripts/interop/kdc.sh (missing {missing:?}): \
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
    /// A client context made with the library, for `xmpp@host`.
    fn raw_client(&self, flags: CtxFlags) -> ClientCtx {
        let target = Name::new(
            format!("xmpp@{}", self.host).as_bytes(),
            Some(GSS_NT_HOSTBASED_SERVICE),
        )
        .unwrap();
        ClientCtx::new(None, target, flags, Some(GSS_MECH_KRB5))
    }

    fn our_server(&self) -> Box<dyn ServerMechanism> {
        GssapiServer::new(GssapiConfig::new(&self.host, &self.realm)).start()
    }

    fn our_client(&self, authzid: &str) -> GssapiClient {
        let credentials = Credentials::kerberos(&self.host)
            .unwrap()
            .with_authzid(authzid)
            .unwrap();
        GssapiClient::new(&credentials).unwrap()
    }
}

fn challenge(step: Result<ServerStep, Failure>) -> Vec<u8> {
    match step {
        Ok(ServerStep::Challenge(c)) => c,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn gssapi_cause(failure: &Failure) -> &GssapiError {
    match failure.cause() {
        Cause::Gssapi(e) => e,
        other => panic!("not a GSSAPI cause: {other:?}"),
    }
}

/// A library client with `flags` against our server, up to the server's layer offer; returns
/// the client context, the server exchange and the offer as the client unwrapped it.
fn to_offer(
    kdc: &Kdc,
    flags: CtxFlags,
    store: &MemoryStore,
) -> (ClientCtx, Box<dyn ServerMechanism>, Vec<u8>) {
    let transport = Transport::tls();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut ctx = ServerContext::new(store, &mut rng, &transport);
    let mut client = kdc.raw_client(flags);
    let mut server = kdc.our_server();
    let ap_req = client.step(None, None).unwrap().unwrap().to_vec();
    let mut reply = challenge(server.start(&mut ctx, Some(&ap_req)));
    if flags.contains(CtxFlags::GSS_C_MUTUAL_FLAG) {
        // The AP-REP; the client answers it with nothing.
        assert!(client.step(Some(&reply), None).unwrap().is_none());
        reply = challenge(server.step(&mut ctx, b""));
    }
    assert!(client.is_complete());
    let offer = client.unwrap(&reply).unwrap().to_vec();
    (client, server, offer)
}

/// Our server's offer is the 4 octets "no layer, size 0", wrapped; a choice of no layer with
/// an authorization identity logs in; without mutual authentication the offer comes at once.
#[test]
fn server_offer_and_client_choice_on_the_wire() {
    let Some(kdc) = kdc() else { return };
    let store = MemoryStore::new().with_domain(&kdc.host);
    for flags in [
        CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_INTEG_FLAG,
        CtxFlags::GSS_C_INTEG_FLAG,
    ] {
        let (mut client, mut server, offer) = to_offer(&kdc, flags, &store);
        assert_eq!(offer, [1, 0, 0, 0], "{flags:?}");
        let authzid = format!("{}@{}", kdc.user, kdc.host);
        let mut choice = vec![1, 0, 0, 0];
        choice.extend_from_slice(authzid.as_bytes());
        let wrapped = client.wrap(false, &choice).unwrap();
        let transport = Transport::tls();
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut ctx = ServerContext::new(&store, &mut rng, &transport);
        match server.step(&mut ctx, &wrapped) {
            Ok(ServerStep::Success(s)) => assert_eq!(
                s.identity,
                Identity::User {
                    authcid: kdc.user.clone(),
                    authzid: Some(authzid)
                }
            ),
            other => panic!("{flags:?}: {other:?}"),
        }
    }
}

/// Choices the server did not offer, or that break the message rules, are `malformed-request`.
#[test]
fn server_refuses_choices_it_did_not_offer() {
    let Some(kdc) = kdc() else { return };
    let store = MemoryStore::new();
    let flags = CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_INTEG_FLAG;
    for (choice, expected) in [
        (
            vec![2, 0, 0x10, 0],
            GssapiError::LayerNotOffered(SecurityLayers::INTEGRITY.bits()),
        ),
        (
            vec![4, 0, 0x10, 0],
            GssapiError::LayerNotOffered(SecurityLayers::CONFIDENTIALITY.bits()),
        ),
        (
            vec![1, 0, 0, 5],
            GssapiError::Layer(LayerError::MaxSizeWithoutLayer(5)),
        ),
        (
            vec![3, 0, 0, 0],
            GssapiError::Layer(LayerError::NotOneLayer(3)),
        ),
        (
            vec![1, 0],
            GssapiError::Layer(LayerError::ChoiceTooShort { len: 2 }),
        ),
    ] {
        let (mut client, mut server, _) = to_offer(&kdc, flags, &store);
        let wrapped = client.wrap(false, &choice).unwrap();
        let transport = Transport::tls();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut ctx = ServerContext::new(&store, &mut rng, &transport);
        let failure = server.step(&mut ctx, &wrapped).unwrap_err();
        assert_eq!(failure.condition(), SaslCondition::MalformedRequest);
        assert_eq!(gssapi_cause(&failure), &expected);
        // The exchange is over.
        assert!(server.step(&mut ctx, b"").is_err());
    }
}

/// Our client against a library server: its choice unwraps to "no layer, size 0" and the
/// authorization identity; an offer without the no-layer option, or not 4 octets, is refused.
#[test]
fn client_choice_on_the_wire_and_bad_offers() {
    let Some(kdc) = kdc() else { return };
    let offers: [(&[u8], Option<GssapiError>); 4] = [
        (&[1, 0, 0, 0], None),
        // Every layer offered: we still take none, size 0.
        (&[7, 0, 0x10, 0], None),
        (
            &[2, 0, 0x10, 0],
            Some(GssapiError::NoAcceptableLayer(
                SecurityLayers::INTEGRITY.bits(),
            )),
        ),
        (
            &[1, 0, 0, 0, 0],
            Some(GssapiError::Layer(LayerError::OfferLength { len: 5 })),
        ),
    ];
    for (offer, expected) in offers {
        let mut client = kdc.our_client("juliet@example.com");
        let mut server = ServerCtx::new(None);
        let ap_req = client.initial_response().unwrap().unwrap();
        let ap_rep = server.step(&ap_req, None).unwrap().unwrap();
        assert!(server.is_complete());
        assert_eq!(client.step(&ap_rep).unwrap(), b"");
        let wrapped = server.wrap(false, offer).unwrap();
        match (client.step(&wrapped), expected) {
            (Ok(reply), None) => {
                let choice = server.unwrap(&reply).unwrap();
                assert_eq!(&choice[..], b"\x01\x00\x00\x00juliet@example.com");
                assert_eq!(client.finish(None), Ok(()));
            }
            (Err(failure), Some(expected)) => {
                assert_eq!(failure.condition(), SaslCondition::MalformedRequest);
                assert_eq!(gssapi_cause(&failure), &expected);
                assert!(client.finish(None).is_err());
            }
            (other, expected) => panic!("offer {offer:?}: {other:?}, expected {expected:?}"),
        }
    }
}
