//! The server side of every mechanism fed arbitrary client messages: `<auth/>` with an
//! arbitrary mechanism choice and initial response, then arbitrary `<response/>`s and aborts.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ServerConfig, ServerContext, ServerOutcome,
    ServerSession, Transport,
};

include!("common/sasl.rs");

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

fuzz_target!(|input: Input| {
    let store = fuzz_store();
    let mut transport = if input.tls { Transport::tls() } else { Transport::plaintext() };
    if input.binding {
        transport = transport
            .with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, [1u8; 32]))
            .with_channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsServerEndPoint,
                [2u8; 32],
            ));
    }
    if input.peer_identity {
        transport = transport.with_peer_identity("example.com");
    }
    let config = ServerConfig::nato_bcs().with_digest_md5("example.com");
    let mut session = ServerSession::new(config);
    let mut rng = FuzzRng(7);
    let mut ctx = ServerContext::new(&store, &mut rng, &transport);
    let name = match &input.raw_name {
        Some(n) => n.clone(),
        None => pick_mechanism(input.mechanism).name().to_owned(),
    };
    let mut outcome = session.auth(&mut ctx, Some(&name), input.initial.as_deref());
    for (abort, response) in &input.responses {
        outcome = if *abort {
            session.abort()
        } else {
            session.response(&mut ctx, response)
        };
        if let ServerOutcome::Failure { close: true, .. } = outcome {
            break;
        }
    }
    let _ = outcome;
});
