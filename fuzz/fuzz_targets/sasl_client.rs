//! The client side of every mechanism fed arbitrary server messages: challenges, then the
//! `<success/>` additional data.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ClientPolicy, Credentials, IterationLimits, Transport,
    choose,
};

include!("common/sasl.rs");

#[derive(Debug, Arbitrary)]
struct Input {
    mechanism: u8,
    binding: bool,
    challenges: Vec<Vec<u8>>,
    success: Option<Vec<u8>>,
}

fuzz_target!(|input: Input| {
    let mechanism = pick_mechanism(input.mechanism);
    let mut transport = Transport::tls().with_client_certificate();
    if input.binding {
        transport = transport
            .with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, [1u8; 32]))
            .with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
    }
    let mut policy = ClientPolicy::rfc6120().with_preference([mechanism]);
    // Cheap iteration counts: the server's count comes from the fuzzer.
    policy.iteration_limits = IterationLimits { min: 1, max: 64 };
    let Ok(choice) = choose(&[mechanism.name()], &policy, &transport) else {
        return;
    };
    let credentials = Credentials::password("juliet", "r0m30")
        .expect("valid credentials")
        .with_domain("example.com");
    let Ok(mut client) = choice.start(&credentials, &mut FuzzRng(3)) else {
        return;
    };
    let _ = client.initial_response();
    for challenge in &input.challenges {
        if client.step(challenge).is_err() {
            return;
        }
    }
    let _ = client.finish(input.success.as_deref());
});
