//! Property tests: arbitrary bytes at every step of every mechanism, on both sides, end in a
//! defined outcome (never a panic) and never in a success that needed a secret; valid
//! credentials always authenticate.

mod common;

use common::*;
use proptest::prelude::*;
use xmpp_sasl::{
    ChannelBindingType, ClientPolicy, Credentials, Identity, IterationLimits, Mechanism,
    MemoryStore, ServerContext, ServerOutcome, ServerPolicy, ServerSession, Transport, choose,
};

fn all_mechanisms() -> Vec<Mechanism> {
    Mechanism::ALL.to_vec()
}

fn nato_with_everything() -> ServerPolicy {
    let c = ServerPolicy::nato_bcs();
    #[cfg(feature = "legacy-digest-md5")]
    let c = c.with_digest_md5("example.com");
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Server side: arbitrary initial response and responses for each mechanism.
    #[test]
    fn server_survives_arbitrary_client_messages(
        mech in proptest::sample::select(all_mechanisms()),
        initial in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..128)),
        responses in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..128), 0..4),
    ) {
        let s = store();
        let t = server_tls().with_peer_identity("example.com");
        let mut r = rng(1);
        let mut ctx = ServerContext::new(&s, &mut r, &t);
        let mut session = ServerSession::new(nato_with_everything());
        let mut outcome = session.auth(&mut ctx, Some(mech.name()), initial.as_deref());
        for resp in &responses {
            match outcome {
                ServerOutcome::Challenge(_) => outcome = session.response(&mut ctx, resp),
                _ => break,
            }
        }
        match &outcome {
            // Arbitrary bytes cannot know a password: only the mechanisms that need none (the
            // certificate's identity, or nobody) may succeed.
            ServerOutcome::Success(_) => prop_assert!(
                matches!(mech, Mechanism::Anonymous | Mechanism::External),
                "{} succeeded with arbitrary bytes", mech
            ),
            ServerOutcome::Failure { failure, close } => {
                prop_assert!(failure.text().is_none());
                prop_assert!(!close, "one failure is within every retry limit");
                prop_assert_eq!(session.failures(), 1);
                prop_assert!(!session.in_progress());
            }
            ServerOutcome::Challenge(_) => prop_assert!(session.in_progress()),
        }
    }

    /// Server side: a SCRAM client-first that is well formed, followed by arbitrary finals.
    #[test]
    fn scram_server_survives_arbitrary_client_final(
        final_msg in "[a-z]=[ -~]{0,40}(,[a-z]=[ -~]{0,40}){0,4}",
    ) {
        let s = store();
        let t = Transport::tls();
        let mut r = rng(1);
        let mut ctx = ServerContext::new(&s, &mut r, &t);
        let mut session = ServerSession::new(ServerPolicy::rfc6120());
        let first = session.auth(&mut ctx, Some("SCRAM-SHA-1"), Some(b"n,,n=juliet,r=abc"));
        prop_assert!(matches!(first, ServerOutcome::Challenge(_)));
        let end = session.response(&mut ctx, final_msg.as_bytes());
        prop_assert!(matches!(end, ServerOutcome::Failure { .. }), "{:?}", end);
    }

    /// Client side: arbitrary challenges and success data for each mechanism.
    #[test]
    fn client_survives_arbitrary_server_messages(
        mech in proptest::sample::select(all_mechanisms()),
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..128), 0..3),
        success in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        // GSSAPI (feature `gssapi`) starts from Kerberos credentials and a KDC: tests/gssapi.rs.
        if mech.name() == "GSSAPI" {
            return Ok(());
        }
        let t = Transport::tls()
            .with_client_certificate()
            .with_channel_binding(exporter(1))
            .with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
        let policy = ClientPolicy::rfc6120().with_preference([mech]);
        let Ok(choice) = choose(&[mech.name()], &policy, &t) else {
            return Ok(());
        };
        let creds = Credentials::password("juliet", PASSWORD).unwrap().with_domain("example.com");
        let mut client = choice.start(&creds, &mut rng(2)).unwrap();
        // The first message depends on nothing the server said.
        let initial = client.initial_response();
        prop_assert!(initial.is_ok(), "{:?}", initial);
        for c in &challenges {
            if client.step(c).is_err() {
                break;
            }
        }
        let verdict = client.finish(success.as_deref());
        // A mechanism that authenticates the server (SCRAM's signature, DIGEST-MD5's rspauth)
        // never accepts arbitrary bytes as proof.
        if mech.name().starts_with("SCRAM-") || mech.name() == "DIGEST-MD5" {
            prop_assert!(verdict.is_err(), "{} accepted an arbitrary server", mech);
        }
        // After finishing (either way) the machine refuses to go on.
        prop_assert!(client.finish(None).is_err());
    }

    /// Client side: a syntactically valid server-first with arbitrary values.
    #[test]
    fn scram_client_survives_arbitrary_server_first(
        nonce_tail in "[!-+\\--~]{0,20}",
        salt in prop_oneof![
            "[A-Za-z0-9+/=]{0,24}",
            proptest::collection::vec(any::<u8>(), 1..16).prop_map(|s| xmpp_sasl::wire::encode(&s)),
        ],
        iterations in prop_oneof!["[0-9]{0,12}", (4000u32..5100).prop_map(|i| i.to_string())],
    ) {
        let creds = Credentials::password("juliet", PASSWORD).unwrap();
        let limits = IterationLimits { max: 5000, ..IterationLimits::default() };
        let mut policy = ClientPolicy::rfc6120().with_preference([Mechanism::ScramSha1]);
        policy.iteration_limits = limits;
        let choice = choose(&["SCRAM-SHA-1"], &policy, &Transport::tls()).unwrap();
        let mut client = choice.start(&creds, &mut rng(3)).unwrap();
        let first = String::from_utf8(client.initial_response().unwrap().unwrap()).unwrap();
        let cnonce = first.rsplit("r=").next().unwrap().to_owned();
        let msg = format!("r={cnonce}{nonce_tail},s={salt},i={iterations}");
        // Accepted exactly when the server extended our nonce, the salt is canonical base64 of
        // at least one byte and the count is a number within the limits.
        let acceptable = !nonce_tail.is_empty()
            && xmpp_sasl::wire::decode(&salt).is_ok_and(|s| !s.is_empty())
            && !iterations.is_empty()
            && iterations.parse::<u32>().is_ok_and(|i| (limits.min..=limits.max).contains(&i));
        match client.step(msg.as_bytes()) {
            Ok(response) => {
                prop_assert!(acceptable, "accepted {}", msg);
                let response = String::from_utf8(response).unwrap();
                prop_assert!(
                    response.starts_with("c=") && response.contains(&format!(",r={cnonce}{nonce_tail},p=")),
                    "{}", response
                );
            }
            Err(failure) => prop_assert!(!acceptable, "refused {}: {:?}", msg, failure),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Any username and password that survive SASLprep authenticate with SCRAM and PLAIN.
    #[test]
    fn valid_credentials_always_authenticate(
        user in "[a-zA-Z0-9=,@.\u{e9}\u{4e2d}-]{1,12}",
        password in "[ -~\u{e9}\u{4e2d}\u{2168}]{1,16}",
    ) {
        let Ok(creds) = Credentials::password(&user, &password) else {
            return Ok(());
        };
        let mut store = MemoryStore::new();
        store.add_user(&user, &password, 4096, &mut rng(8)).unwrap();
        for m in [Mechanism::ScramSha256, Mechanism::Plain] {
            let policy = ClientPolicy::rfc6120().with_preference([m]);
            let mut client = choose(&[m.name()], &policy, &Transport::tls())
                .unwrap()
                .start(&creds, &mut rng(9))
                .unwrap();
            let mut session = ServerSession::new(ServerPolicy::rfc6120());
            let end = drive(&mut *client, &mut session, &store, &Transport::tls(), None);
            let expected = Identity::User { authcid: creds.username().unwrap().to_owned(), authzid: None };
            prop_assert_eq!(&end.success().identity, &expected);
        }
    }
}
