//! The NATO BCS rules the SASL presets carry (`ServerPolicy::nato_bcs`, `ClientPolicy::nato_bcs`),
//! one rule per test, named with the profile's requirement id.

use xmpp_sasl::{
    ClientPolicy, Mechanism, NegotiationError, SaslCondition, ServerContext, ServerOutcome,
    ServerPolicy, ServerSession, Transport, choose,
};

fn offered(policy: ServerPolicy, transport: &Transport) -> Vec<String> {
    ServerSession::new(policy)
        .offered(transport)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn nato_s_13_the_nato_server_preset_offers_anonymous_plain_and_external() {
    let over_tls = Transport::tls().with_peer_identity("client.example");
    let offered = offered(ServerPolicy::nato_bcs(), &over_tls);
    for m in ["ANONYMOUS", "PLAIN", "EXTERNAL"] {
        assert!(offered.iter().any(|o| o == m), "{m} in {offered:?}");
    }
    // The DoD preset, from the same code, never offers ANONYMOUS.
    assert!(
        !self::offered(ServerPolicy::dod_ucr_2008(), &over_tls)
            .iter()
            .any(|o| o == "ANONYMOUS")
    );
}

#[test]
fn nato_s_14_plain_and_external_need_tls_in_the_nato_presets() {
    let server = ServerPolicy::nato_bcs();
    assert!(server.plain_requires_tls && server.external_requires_tls);
    let in_clear = Transport::plaintext().with_peer_identity("client.example");
    let offered = offered(server, &in_clear);
    assert!(
        !offered.iter().any(|o| o == "PLAIN" || o == "EXTERNAL"),
        "{offered:?}"
    );
    // Asked for anyway, PLAIN is refused with encryption-required.
    let mut session = ServerSession::new(ServerPolicy::nato_bcs());
    let store = xmpp_sasl::MemoryStore::new();
    let mut rng = <rand_chacha::ChaCha8Rng as rand_core::SeedableRng>::seed_from_u64(1);
    let mut ctx = ServerContext::new(&store, &mut rng, &in_clear);
    let outcome = session.auth(&mut ctx, Some("PLAIN"), Some(b"\0juliet\0secret"));
    assert!(
        matches!(&outcome, ServerOutcome::Failure { failure, .. } if failure.condition() == SaslCondition::EncryptionRequired),
        "{outcome:?}"
    );
    // The client preset does not authenticate at all before TLS.
    let client = ClientPolicy::nato_bcs();
    assert!(client.require_tls && !client.allow_plain_without_tls);
    assert_eq!(
        choose(&["PLAIN"], &client, &Transport::plaintext()),
        Err(NegotiationError::EncryptionRequired)
    );
    assert!(client.preference.contains(&Mechanism::Plain));
}
