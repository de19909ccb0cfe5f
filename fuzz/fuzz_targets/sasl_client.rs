//! The client side of the SASL mechanisms against two kinds of server.
//!
//! Inputs whose first byte is below 0x80 (the original layout, the derive(Arbitrary) encoding of
//! `Input`): every mechanism fed arbitrary server messages, challenges, then the `<success/>`
//! additional data. Besides not panicking: a mechanism that verifies the server (the SCRAM
//! family and DIGEST-MD5) never accepts (`finish` returns `Ok`), because the fuzzer cannot make
//! the signature over the client's nonce without the password (a seed must not carry one made
//! by hand: successful exchanges belong to the second mode); after a failed step `finish`
//! fails; and once `finish` has answered, a second `finish` fails (the exchange is over).
//!
//! Inputs whose first byte is 0x80 or above: a real SCRAM client against a real
//! `xmpp_sasl::ServerSession`, with the fuzzer corrupting messages in flight (see
//! `common/scram_pair.rs` for the layout). Checked: the client accepts only a server-final whose
//! `v=` a server knowing the keys computed over exactly the client's AuthMessage; so any
//! alteration of the server-first or of the signature makes `finish` fail, and a replayed
//! server-final is accepted only for an identical exchange. The server's side is checked too
//! (see sasl_server), and an unaltered exchange succeeds exactly when the setup allows it.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ClientPolicy, Credentials, IterationLimits, Mechanism,
    Transport, choose,
};

include!("common/sasl.rs");
include!("common/scram_pair.rs");

#[derive(Debug, Arbitrary)]
struct Input {
    mechanism: u8,
    binding: bool,
    challenges: Vec<Vec<u8>>,
    success: Option<Vec<u8>>,
}

/// Whether the mechanism's `finish` means "the server proved it knows the credentials".
fn verifies_server(m: Mechanism) -> bool {
    m.scram().is_some() || m.name() == "DIGEST-MD5"
}

fn fuzzer_server(input: Input) {
    let mechanism = pick_mechanism(input.mechanism);
    let mut transport = Transport::tls().with_client_certificate();
    if input.binding {
        transport = transport
            .with_channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsExporter,
                [1u8; 32],
            ))
            .with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
    }
    let mut policy = ClientPolicy::rfc6120().with_preference([mechanism]);
    // Cheap iteration counts: the server's count comes from the fuzzer.
    policy.iteration_limits = IterationLimits { min: 1, max: 64 };
    let Ok(choice) = choose(&[mechanism.name()], &policy, &transport) else {
        return;
    };
    let credentials = Credentials::password("juliet", FUZZ_PASSWORD)
        .expect("valid credentials")
        .with_domain("example.com");
    let Ok(mut client) = choice.start(&credentials, &mut TestRng::new(3)) else {
        return;
    };
    let _ = client.initial_response();
    let mut failed = false;
    for challenge in &input.challenges {
        if client.step(challenge).is_err() {
            failed = true;
            break;
        }
    }
    let result = client.finish(input.success.as_deref());
    if failed {
        assert!(
            result.is_err(),
            "{} accepted after a failed step",
            client.name()
        );
    }
    if verifies_server(mechanism) {
        assert!(
            result.is_err(),
            "{} accepted a server the fuzzer made up (challenges {:?}, success {:?})",
            client.name(),
            input.challenges,
            input.success
        );
    }
    assert!(
        client.finish(input.success.as_deref()).is_err(),
        "{} answered finish twice with success",
        client.name()
    );
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&first, rest)) if first >= PAIR_MARKER => {
            if let Some((setup, run, reference)) = pair_exchange(rest) {
                check_client_accepts(&run, reference.as_ref());
                check_server_accepts(&setup, &run);
            }
        }
        _ => {
            // What `fuzz_target!(|input: Input| ...)` did before the pair mode existed.
            if data.len() < <Input as Arbitrary>::size_hint(0).0 {
                return;
            }
            if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
                fuzzer_server(input);
            }
        }
    }
});
