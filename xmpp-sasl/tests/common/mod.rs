//! Shared helpers for the integration tests: an in-memory driver that runs a client mechanism
//! against a server session, with hooks to tamper with messages in flight.
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ClientMechanism, CredentialStore, Failure, MemoryStore,
    ServerContext, ServerOutcome, ServerSession, Success, Transport,
};

pub const PASSWORD: &str = "r0m30myr0m30";

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A store with juliet (password [`PASSWORD`]) at 4096 iterations, domain example.com.
pub fn store() -> MemoryStore {
    static STORE: std::sync::OnceLock<MemoryStore> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut s = MemoryStore::new().with_domain("example.com");
            s.add_user("juliet", PASSWORD, 4096, &mut rng(99)).unwrap();
            s
        })
        .clone()
}

pub fn exporter(byte: u8) -> ChannelBinding {
    ChannelBinding::new(ChannelBindingType::TlsExporter, vec![byte; 32])
}

pub fn end_point(byte: u8) -> ChannelBinding {
    ChannelBinding::new(ChannelBindingType::TlsServerEndPoint, vec![byte; 32])
}

/// A server transport with TLS and both binding types.
pub fn server_tls() -> Transport {
    Transport::tls()
        .with_channel_binding(exporter(1))
        .with_channel_binding(end_point(2))
}

/// The client's transport as it is when the server advertised (XEP-0440) every binding type the
/// client has data for: a -PLUS mechanism named in the policy is then used exactly.
pub fn advertised(client: &Transport) -> Transport {
    if client.advertised_channel_bindings.is_some() {
        return client.clone();
    }
    let types: Vec<_> = client.channel_bindings.iter().map(|b| b.kind()).collect();
    client.clone().with_advertised_channel_bindings(types)
}

/// How an exchange ended.
#[derive(Debug)]
pub enum End {
    /// The server sent success; the client's verdict on it.
    Success(Success, Result<(), Failure>),
    /// The server sent failure.
    ServerFailure(Failure, bool),
    /// The client gave up (would send `<abort/>`).
    ClientFailure(Failure),
}

impl End {
    pub fn server_failure(&self) -> &Failure {
        match self {
            End::ServerFailure(f, _) => f,
            other => panic!("expected a server failure, got {other:?}"),
        }
    }

    pub fn client_failure(&self) -> &Failure {
        match self {
            End::ClientFailure(f) => f,
            End::Success(_, Err(f)) => f,
            other => panic!("expected a client failure, got {other:?}"),
        }
    }

    pub fn success(&self) -> &Success {
        match self {
            End::Success(s, Ok(())) => s,
            other => panic!("expected success, got {other:?}"),
        }
    }
}

/// A message tampering hook.
pub type Tamper<'a> = dyn FnMut(usize, &mut Vec<u8>) + 'a;

/// Message tampering hooks: `c2s(n, msg)` for the n-th client message (0 = initial response),
/// `s2c(n, msg)` for the n-th server message (challenges, then success data).
pub struct Hooks<'a> {
    pub c2s: &'a mut dyn FnMut(usize, &mut Vec<u8>),
    pub s2c: &'a mut dyn FnMut(usize, &mut Vec<u8>),
}

/// Runs `client` against `session` until the exchange ends.
pub fn drive(
    client: &mut dyn ClientMechanism,
    session: &mut ServerSession,
    store: &dyn CredentialStore,
    transport: &Transport,
    hooks: Option<Hooks<'_>>,
) -> End {
    drive_seeded(client, session, store, transport, hooks, 1234)
}

/// [`drive`] with the server's random source seeded by `seed`.
pub fn drive_seeded(
    client: &mut dyn ClientMechanism,
    session: &mut ServerSession,
    store: &dyn CredentialStore,
    transport: &Transport,
    hooks: Option<Hooks<'_>>,
    seed: u64,
) -> End {
    let mut nothing_c = |_: usize, _: &mut Vec<u8>| {};
    let mut nothing_s = |_: usize, _: &mut Vec<u8>| {};
    let (c2s, s2c): (&mut Tamper<'_>, &mut Tamper<'_>) = match hooks {
        Some(h) => (h.c2s, h.s2c),
        None => (&mut nothing_c, &mut nothing_s),
    };
    let mut rng = rng(seed);
    let mut ctx = ServerContext::new(store, &mut rng, transport);
    let initial = match client.initial_response() {
        Ok(i) => i.map(|mut d| {
            c2s(0, &mut d);
            d
        }),
        Err(f) => return End::ClientFailure(f),
    };
    let name = client.name().to_owned();
    let mut outcome = session.auth(&mut ctx, Some(&name), initial.as_deref());
    let (mut cn, mut sn) = (1, 0);
    for _ in 0..10 {
        match outcome {
            ServerOutcome::Challenge(mut c) => {
                s2c(sn, &mut c);
                sn += 1;
                match client.step(&c) {
                    Ok(mut r) => {
                        c2s(cn, &mut r);
                        cn += 1;
                        outcome = session.response(&mut ctx, &r);
                    }
                    Err(f) => return End::ClientFailure(f),
                }
            }
            ServerOutcome::Success(mut s) => {
                if let Some(d) = &mut s.additional_data {
                    s2c(sn, d);
                }
                let verdict = client.finish(s.additional_data.as_deref());
                return End::Success(s, verdict);
            }
            ServerOutcome::Failure { failure, close } => return End::ServerFailure(failure, close),
        }
    }
    panic!("exchange did not end in 10 rounds");
}
