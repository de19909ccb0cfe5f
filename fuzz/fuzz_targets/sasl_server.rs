//! The server side of the SASL mechanisms against two kinds of client.
//!
//! Inputs whose first byte is below 0x80 (the original layout, the derive(Arbitrary) encoding of
//! `Input`): `<auth/>` with an arbitrary mechanism choice and initial response, then arbitrary
//! `<response/>`s and aborts. Besides not panicking: a mechanism that verifies a proof (the
//! SCRAM family and DIGEST-MD5) never returns `Success`, because the fuzzer cannot make a proof
//! over the server's nonce without the password (a seed must not carry one made by hand:
//! successful exchanges belong to the second mode); a password mechanism's success is for the
//! store's one user, by its stored name; at most one success per session; every failure counts
//! one attempt and `close` is set exactly when the attempts exceed the retry limit.
//!
//! Inputs whose first byte is 0x80 or above: a real SCRAM client against a real `ServerSession`,
//! with the fuzzer corrupting messages in flight (see `common/scram_pair.rs` for the layout).
//! Checked: the server returns `Success` only for a proof the client made over exactly the
//! server's AuthMessage, with the client's channel-binding data equal to the server's data for
//! the type in the gs2 header (a corrupted proof, nonce or binding data, or a client on another
//! TLS channel, fails), with a gs2 flag that fits the mechanism (`y` only when the server cannot
//! bind), for the right user. The client's side is checked too (see sasl_client), and an
//! unaltered exchange succeeds exactly when the setup allows it.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, Identity, Mechanism, ServerPolicy, ServerContext,
    ServerOutcome, ServerSession, Transport,
};

include!("common/sasl.rs");
include!("common/scram_pair.rs");

#[derive(Debug, Arbitrary)]
struct Input {
    mechanism: u8,
    raw_name: Option<String>,
    tls: bool,
    binding: bool,
    peer_identity: bool,
    initial: Option<Vec<u8>>,
    responses: Vec<(bool, Vec<u8>)>,
}

fn fuzzer_client(input: Input) {
    let store = juliet_store();
    let mut transport = if input.tls {
        Transport::tls()
    } else {
        Transport::plaintext()
    };
    if input.binding {
        transport = transport
            .with_channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsExporter,
                [1u8; 32],
            ))
            .with_channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsServerEndPoint,
                [2u8; 32],
            ));
    }
    if input.peer_identity {
        transport = transport.with_peer_identity("example.com");
    }
    let config = ServerPolicy::nato_bcs().with_digest_md5("example.com");
    let max_retries = u32::from(config.max_retries);
    let mut session = ServerSession::new(config);
    let mut rng = TestRng::new(7);
    let mut ctx = ServerContext::new(&*store, &mut rng, &transport);
    let name = match &input.raw_name {
        Some(n) => n.clone(),
        None => pick_mechanism(input.mechanism).name().to_owned(),
    };
    let mut successes = 0u32;
    let mut failures = 0u32;
    let mut outcome = session.auth(&mut ctx, Some(&name), input.initial.as_deref());
    let mut responses = input.responses.iter();
    loop {
        match &outcome {
            ServerOutcome::Success(success) => {
                successes += 1;
                assert_eq!(successes, 1, "two successes in one session");
                let mechanism = session.mechanism().unwrap_or_default();
                let verifies = mechanism
                    .parse::<Mechanism>()
                    .is_ok_and(|m| m.scram().is_some() || m.name() == "DIGEST-MD5");
                assert!(
                    !verifies,
                    "{mechanism} succeeded for a proof the fuzzer made up: {input:?}"
                );
                if let Identity::User { authcid, .. } = &success.identity {
                    assert_eq!(authcid, "juliet", "{mechanism} succeeded for another user");
                }
            }
            ServerOutcome::Failure { close, .. } => {
                failures += 1;
                assert_eq!(session.failures(), failures, "failed attempts miscounted");
                assert_eq!(
                    *close,
                    failures > max_retries,
                    "close flag against the retry limit"
                );
                if *close {
                    break;
                }
            }
            ServerOutcome::Challenge(_) => {}
        }
        let Some((abort, response)) = responses.next() else {
            break;
        };
        outcome = if *abort {
            session.abort()
        } else {
            session.response(&mut ctx, response)
        };
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&first, rest)) if first >= PAIR_MARKER => {
            if let Some((setup, run, reference)) = pair_exchange(rest) {
                check_server_accepts(&setup, &run);
                check_client_accepts(&run, reference.as_ref());
            }
        }
        _ => {
            // What `fuzz_target!(|input: Input| ...)` did before the pair mode existed.
            if data.len() < <Input as Arbitrary>::size_hint(0).0 {
                return;
            }
            if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
                fuzzer_client(input);
            }
        }
    }
});
