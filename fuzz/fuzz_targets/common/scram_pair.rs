// Shared by sasl_client and sasl_server (included with `include!`, after common/sasl.rs): a
// real SCRAM client (`xmpp_sasl::scram::ScramClient`) and a real `xmpp_sasl::ServerSession`
// exchange their four messages, and the fuzzer plays the man in the middle: it chooses which
// messages to corrupt in flight and how, whether the client's TLS channel is the server's
// (channel-binding data equal or not), the gs2 flag, and for the client whether it is shown an
// old server-final (a replay of an honest exchange) when the server refused.
//
// Both sides' views of the exchange are recorded, so the targets can say what an honest
// success requires:
// - the client accepts a server-final only if a server that knows the user's keys computed
//   that signature over exactly the AuthMessage the client computed (same client-first-bare,
//   server-first and client-final-without-proof), see `check_client_accepts`;
// - the server accepts a client-final only if the client computed that proof over exactly the
//   server's AuthMessage and the channel-binding data the client bound to is the server's, see
//   `check_server_accepts`.
// The password is only known to the client and the store, so no mutation can forge either.
//
// Input layout (after the marker byte >= 0x80 that selects this mode in both targets): hash
// and variant (% 6: 0 SCRAM-SHA-1, 1 -256, 2 -512, 3-5 their -PLUS), flags (1 the client's
// binding data differs from the server's, 2 the plain variant says gs2 `y`, 4 the server has no
// binding data, 8 bind to tls-server-end-point instead of tls-exporter, 16 the server-final goes
// to the client as a challenge followed by an empty success, 32 when the server refuses, the
// client gets the server-final of an honest exchange instead), then up to 16 corruptions of 5
// bytes each: message (% 4: client-first, server-first, client-final, server-final), kind
// (% 5: flip a bit, truncate, insert a byte, delete bytes, overwrite a byte), position (2 bytes,
// little-endian, modulo the length), parameter. Set `SASL_PAIR_TRACE=1` to print each exchange
// (what each side received) and its outcome.

// Everything from xmpp_sasl is named by its path: the including targets have their own imports.

const PAIR_MARKER: u8 = 0x80;
const PAIR_MAX_CORRUPTIONS: usize = 16;
/// Bytes the insert and overwrite corruptions use (parameter modulo their number): SCRAM
/// syntax, base64, digits, and invalid UTF-8.
const PAIR_BYTES: &[u8] = b",=pynvrcsie0Aa+/19\x00\xc3\xff";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PairMsg {
    ClientFirst,
    ServerFirst,
    ClientFinal,
    ServerFinal,
}

#[derive(Debug, Clone, Copy)]
enum Corruption {
    Flip { pos: u16, bit: u8 },
    Truncate { pos: u16 },
    Insert { pos: u16, byte: u8 },
    Delete { pos: u16, len: u8 },
    Overwrite { pos: u16, byte: u8 },
}

impl Corruption {
    fn apply(self, bytes: &mut Vec<u8>) {
        let at = |pos: u16, len: usize| usize::from(pos) % len.max(1);
        let pick = |p: u8| PAIR_BYTES[usize::from(p) % PAIR_BYTES.len()];
        match self {
            Corruption::Insert { pos, byte } => {
                let i = at(pos, bytes.len() + 1);
                bytes.insert(i, pick(byte));
            }
            _ if bytes.is_empty() => {}
            Corruption::Flip { pos, bit } => {
                let i = at(pos, bytes.len());
                bytes[i] ^= 1 << (bit % 8);
            }
            Corruption::Truncate { pos } => bytes.truncate(at(pos, bytes.len())),
            Corruption::Delete { pos, len } => {
                let i = at(pos, bytes.len());
                let end = (i + usize::from(len).max(1)).min(bytes.len());
                bytes.drain(i..end);
            }
            Corruption::Overwrite { pos, byte } => {
                let i = at(pos, bytes.len());
                bytes[i] = pick(byte);
            }
        }
    }
}

#[derive(Debug)]
struct PairSetup {
    hash: xmpp_sasl::ScramHash,
    plus: bool,
    binding_type: xmpp_sasl::ChannelBindingType,
    /// The client's TLS channel is not the server's (a man in the middle terminating TLS).
    binding_mismatch: bool,
    /// The plain variant uses gs2 `y` (the client could bind but thinks the server cannot).
    client_says_y: bool,
    /// The server's transport has no binding data (so it offers no -PLUS and accepts `y`).
    server_cannot_bind: bool,
    final_as_challenge: bool,
    replay_reference: bool,
    corruptions: Vec<(PairMsg, Corruption)>,
}

impl PairSetup {
    /// Decodes the layout above from the bytes after the marker; `None` if too short.
    fn decode(data: &[u8]) -> Option<PairSetup> {
        let [variant, flags, rest @ ..] = data else {
            return None;
        };
        let hash = [
            xmpp_sasl::ScramHash::Sha1,
            xmpp_sasl::ScramHash::Sha256,
            xmpp_sasl::ScramHash::Sha512,
        ][usize::from(variant % 3)];
        let corruptions = rest
            .chunks_exact(5)
            .take(PAIR_MAX_CORRUPTIONS)
            .map(|c| {
                let msg = [
                    PairMsg::ClientFirst,
                    PairMsg::ServerFirst,
                    PairMsg::ClientFinal,
                    PairMsg::ServerFinal,
                ][usize::from(c[0] % 4)];
                let pos = u16::from_le_bytes([c[2], c[3]]);
                let p = c[4];
                let corruption = match c[1] % 5 {
                    0 => Corruption::Flip { pos, bit: p },
                    1 => Corruption::Truncate { pos },
                    2 => Corruption::Insert { pos, byte: p },
                    3 => Corruption::Delete { pos, len: p },
                    _ => Corruption::Overwrite { pos, byte: p },
                };
                (msg, corruption)
            })
            .collect();
        Some(PairSetup {
            hash,
            plus: variant % 6 >= 3,
            binding_type: if flags & 8 != 0 {
                xmpp_sasl::ChannelBindingType::TlsServerEndPoint
            } else {
                xmpp_sasl::ChannelBindingType::TlsExporter
            },
            binding_mismatch: flags & 1 != 0,
            client_says_y: flags & 2 != 0,
            server_cannot_bind: flags & 4 != 0,
            final_as_challenge: flags & 16 != 0,
            replay_reference: flags & 32 != 0,
            corruptions,
        })
    }

    /// The server's transport: TLS with data for both binding types, unless it cannot bind.
    fn server_transport(&self) -> xmpp_sasl::Transport {
        let mut t = xmpp_sasl::Transport::tls();
        if !self.server_cannot_bind {
            t = t
                .with_channel_binding(xmpp_sasl::ChannelBinding::new(
                    xmpp_sasl::ChannelBindingType::TlsExporter,
                    [1u8; 32],
                ))
                .with_channel_binding(xmpp_sasl::ChannelBinding::new(
                    xmpp_sasl::ChannelBindingType::TlsServerEndPoint,
                    [2u8; 32],
                ));
        }
        t
    }

    /// The binding data the client's TLS layer gives it for the chosen type.
    fn client_binding_data(&self) -> Vec<u8> {
        if self.binding_mismatch {
            vec![0xEE; 32]
        } else if self.binding_type == xmpp_sasl::ChannelBindingType::TlsExporter {
            vec![1u8; 32]
        } else {
            vec![2u8; 32]
        }
    }

    fn client_mode(&self) -> xmpp_sasl::ChannelBindingMode {
        if self.plus {
            xmpp_sasl::ChannelBindingMode::Bound(xmpp_sasl::ChannelBinding::new(
                self.binding_type,
                self.client_binding_data(),
            ))
        } else if self.client_says_y {
            xmpp_sasl::ChannelBindingMode::ServerNotAdvertised
        } else {
            xmpp_sasl::ChannelBindingMode::Unused
        }
    }

    /// Whether an honest, unaltered exchange with this setup must succeed.
    fn honest_success_expected(&self) -> bool {
        if self.plus {
            !self.server_cannot_bind && !self.binding_mismatch
        } else {
            // `y` while the server can bind is a downgrade the server must refuse.
            !(self.client_says_y && !self.server_cannot_bind)
        }
    }
}

/// Both sides' views of one exchange (`None`: that message never existed).
#[derive(Debug, Default)]
struct PairRun {
    /// Client-first as the client sent it / as the server received it.
    c_first: Vec<u8>,
    s_first: Vec<u8>,
    /// Server-first as the server sent it / as the client received it.
    s_server_first: Option<Vec<u8>>,
    c_server_first: Option<Vec<u8>>,
    /// Client-final as the client sent it / as the server received it.
    c_final: Option<Vec<u8>>,
    s_final: Option<Vec<u8>>,
    /// The server's outcome for the client-final: its success (with the server-final).
    server_success: Option<xmpp_sasl::Success>,
    /// The server-final shown to the client (from the server, or the replayed one).
    c_server_final: Option<Vec<u8>>,
    /// The server-final was the replay of the honest exchange.
    replayed: bool,
    /// The client accepted the exchange (`finish` returned `Ok`).
    client_ok: bool,
    /// Some corruption changed some message.
    altered: bool,
}

fn corrupt(setup: &PairSetup, msg: PairMsg, bytes: &[u8], run: &mut PairRun) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (m, c) in &setup.corruptions {
        if *m == msg {
            c.apply(&mut out);
        }
    }
    run.altered |= out != bytes;
    out
}

/// Runs the exchange; with `honest` no corruption is applied (the reference for replays).
fn run_pair(setup: &PairSetup, honest: bool, reference_final: Option<&[u8]>) -> PairRun {
    let mut run = PairRun::default();
    let pass = |run: &mut PairRun, msg: PairMsg, bytes: &[u8]| {
        if honest {
            bytes.to_vec()
        } else {
            corrupt(setup, msg, bytes, run)
        }
    };
    let store = juliet_store();
    let transport = setup.server_transport();
    let credentials =
        xmpp_sasl::Credentials::password("juliet", FUZZ_PASSWORD).expect("valid credentials");
    // The store's users have one iteration: the client's limits are lowered to match.
    let limits = xmpp_sasl::IterationLimits { min: 1, max: 64 };
    let mut client = xmpp_sasl::scram::ScramClient::new(
        setup.hash,
        setup.client_mode(),
        &credentials,
        limits,
        &mut TestRng::new(3),
    )
    .expect("valid SCRAM client");
    let mut session = xmpp_sasl::ServerSession::new(xmpp_sasl::ServerPolicy::rfc6120());
    let mut rng = TestRng::new(7);
    let mut ctx = xmpp_sasl::ServerContext::new(&*store, &mut rng, &transport);

    let c_first = xmpp_sasl::ClientMechanism::initial_response(&mut client)
        .expect("client-first")
        .expect("SCRAM has an initial response");
    run.s_first = pass(&mut run, PairMsg::ClientFirst, &c_first);
    run.c_first = c_first;
    let name = xmpp_sasl::ClientMechanism::name(&client).to_owned();
    let mut client_failed = false;
    if let xmpp_sasl::ServerOutcome::Challenge(server_first) =
        session.auth(&mut ctx, Some(&name), Some(&run.s_first))
    {
        let received = pass(&mut run, PairMsg::ServerFirst, &server_first);
        run.s_server_first = Some(server_first);
        run.c_server_first = Some(received.clone());
        match xmpp_sasl::ClientMechanism::step(&mut client, &received) {
            Ok(client_final) => {
                let delivered = pass(&mut run, PairMsg::ClientFinal, &client_final);
                run.c_final = Some(client_final);
                run.s_final = Some(delivered.clone());
                if let xmpp_sasl::ServerOutcome::Success(success) =
                    session.response(&mut ctx, &delivered)
                {
                    run.server_success = Some(success);
                }
            }
            Err(_) => client_failed = true,
        }
    }
    // What the client is shown as the server-final.
    let server_final = match (&run.server_success, reference_final) {
        (Some(s), _) => s.additional_data.clone(),
        (None, Some(r)) => {
            run.replayed = true;
            Some(r.to_vec())
        }
        (None, None) => None,
    };
    let shown = server_final.map(|f| pass(&mut run, PairMsg::ServerFinal, &f));
    run.c_server_final = shown.clone();
    let result = match (&shown, setup.final_as_challenge) {
        // Older servers send the server-final as a challenge and an empty success.
        (Some(f), true) => xmpp_sasl::ClientMechanism::step(&mut client, f)
            .and_then(|_| xmpp_sasl::ClientMechanism::finish(&mut client, None)),
        (Some(f), false) => xmpp_sasl::ClientMechanism::finish(&mut client, Some(f)),
        (None, _) => xmpp_sasl::ClientMechanism::finish(&mut client, None),
    };
    run.client_ok = result.is_ok();
    if client_failed {
        assert!(
            !run.client_ok,
            "the client accepted after failing its own step"
        );
    }
    if honest || !run.altered {
        // Completeness: an unaltered exchange between honest parties ends as the setup says.
        let expected = setup.honest_success_expected();
        assert_eq!(
            run.server_success.is_some(),
            expected,
            "unaltered exchange: server outcome not as expected ({setup:?})"
        );
        if expected {
            assert!(
                run.client_ok,
                "unaltered exchange: the client refused the honest server"
            );
        }
    }
    run
}

/// Runs the fuzzer's exchange (with the honest reference first when it asks for replays).
fn pair_exchange(data: &[u8]) -> Option<(PairSetup, PairRun, Option<PairRun>)> {
    let setup = PairSetup::decode(data)?;
    let reference = setup.replay_reference.then(|| run_pair(&setup, true, None));
    let reference_final = reference
        .as_ref()
        .and_then(|r| r.server_success.as_ref())
        .and_then(|s| s.additional_data.clone());
    let run = run_pair(&setup, false, reference_final.as_deref());
    if std::env::var_os("SASL_PAIR_TRACE").is_some() {
        eprintln!(
            "sasl pair: {:?}{} altered={} server_success={} client_ok={} replayed={}\n  \
             client-first {:?}\n  server-first {:?}\n  client-final {:?}\n  server-final {:?}",
            setup.hash,
            if setup.plus { "-PLUS" } else { "" },
            run.altered,
            run.server_success.is_some(),
            run.client_ok,
            run.replayed,
            String::from_utf8_lossy(&run.s_first),
            run.c_server_first.as_deref().map(String::from_utf8_lossy),
            run.s_final.as_deref().map(String::from_utf8_lossy),
            run.c_server_final.as_deref().map(String::from_utf8_lossy),
        );
    }
    Some((setup, run, reference))
}

/// The pieces of the SCRAM AuthMessage (RFC 5802 §3): client-first-message-bare,
/// server-first-message, client-final-message-without-proof; `None` if a message lacks them.
fn auth_message(first: &[u8], server_first: &[u8], client_final: &[u8]) -> Option<Vec<u8>> {
    let bare = after_gs2_header(first)?;
    let without_proof = &client_final[..rfind(client_final, b",p=")?];
    let mut am = bare.to_vec();
    am.push(b',');
    am.extend_from_slice(server_first);
    am.push(b',');
    am.extend_from_slice(without_proof);
    Some(am)
}

/// The gs2 header (up to and including its second comma) and the rest.
fn split_gs2_header(first: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut commas = first
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b',')
        .map(|(i, _)| i);
    let _ = commas.next()?;
    let second = commas.next()?;
    Some(first.split_at(second + 1))
}

fn after_gs2_header(first: &[u8]) -> Option<&[u8]> {
    split_gs2_header(first).map(|(_, bare)| bare)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The first attribute of a server-final (`v=<signature>`), which is all the client checks.
fn first_attribute(server_final: &[u8]) -> &[u8] {
    server_final
        .split(|b| *b == b',')
        .next()
        .unwrap_or_default()
}

/// Client side: an accepted exchange carries a signature that a server knowing the keys made
/// over exactly the client's AuthMessage (the fuzzer's server, or the replayed honest one).
#[allow(dead_code)]
fn check_client_accepts(run: &PairRun, reference: Option<&PairRun>) {
    if !run.client_ok {
        return;
    }
    let (Some(server_first), Some(client_final), Some(shown)) =
        (&run.c_server_first, &run.c_final, &run.c_server_final)
    else {
        panic!("the client accepted without a full exchange: {run:?}");
    };
    let mine = auth_message(&run.c_first, server_first, client_final)
        .expect("the client's own messages are well-formed");
    // Who signed something, over which AuthMessage.
    let mut signers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for r in [Some(run), reference].into_iter().flatten() {
        if let (Some(success), Some(sf), Some(cf)) =
            (&r.server_success, &r.s_server_first, &r.s_final)
        {
            if let (Some(am), Some(data)) =
                (auth_message(&r.s_first, sf, cf), &success.additional_data)
            {
                signers.push((am, data.clone()));
            }
        }
    }
    let honest = signers
        .iter()
        .any(|(am, data)| *am == mine && first_attribute(data) == first_attribute(shown));
    assert!(
        honest,
        "SCRAM client accepted a server-final whose signature no server made over its \
         AuthMessage:\n  client AuthMessage {:?}\n  server-final shown {:?}\n  signers {:?}",
        String::from_utf8_lossy(&mine),
        String::from_utf8_lossy(shown),
        signers
            .iter()
            .map(|(am, d)| (
                String::from_utf8_lossy(am).into_owned(),
                String::from_utf8_lossy(d).into_owned()
            ))
            .collect::<Vec<_>>()
    );
}

/// Server side: a success means the client made this proof over exactly the server's
/// AuthMessage, bound to the server's channel-binding data, with a gs2 flag that fits the
/// mechanism, for the one user whose password the client knows.
#[allow(dead_code)]
fn check_server_accepts(setup: &PairSetup, run: &PairRun) {
    let Some(success) = &run.server_success else {
        return;
    };
    let ctx = || format!("setup {setup:?}\nrun {run:?}");
    let (Some(s_server_first), Some(s_final)) = (&run.s_server_first, &run.s_final) else {
        panic!("server success without a full exchange: {}", ctx());
    };
    let Some(c_final) = &run.c_final else {
        panic!(
            "server success for a client-final the client never made: {}",
            ctx()
        );
    };
    let c_server_first = run.c_server_first.as_deref().unwrap_or_default();
    let theirs = auth_message(&run.s_first, s_server_first, s_final);
    let mine = auth_message(&run.c_first, c_server_first, c_final);
    assert!(
        theirs.is_some() && theirs == mine,
        "SCRAM server accepted a proof the client made over another AuthMessage:\n  \
         server {:?}\n  client {:?}",
        theirs.as_deref().map(String::from_utf8_lossy),
        mine.as_deref().map(String::from_utf8_lossy)
    );
    let proof = |m: &[u8]| rfind(m, b",p=").map(|i| m[i + 3..].to_vec());
    assert_eq!(
        proof(s_final),
        proof(c_final),
        "SCRAM server accepted another proof: {}",
        ctx()
    );
    // Channel binding: what `c=` carries (the client's gs2 header and binding data) must be
    // the server's gs2 header and the server's data for the type it names.
    let (gs2_s, _) = split_gs2_header(&run.s_first).expect("the server parsed it");
    let (gs2_c, _) = split_gs2_header(&run.c_first).expect("the client's own message");
    let transport = setup.server_transport();
    let server_data = match gs2_s.strip_prefix(b"p=") {
        Some(rest) => {
            let name = &rest[..rest.iter().position(|b| *b == b',').unwrap_or(rest.len())];
            let kind = std::str::from_utf8(name)
                .ok()
                .and_then(|n| n.parse::<xmpp_sasl::ChannelBindingType>().ok())
                .unwrap_or_else(|| panic!("server accepted an unknown binding type: {}", ctx()));
            transport
                .channel_binding(kind)
                .unwrap_or_else(|| panic!("server accepted a type it has no data for: {}", ctx()))
                .data()
                .to_vec()
        }
        None => Vec::new(),
    };
    let client_data = if setup.plus {
        setup.client_binding_data()
    } else {
        Vec::new()
    };
    assert_eq!(
        [gs2_s, &server_data[..]].concat(),
        [gs2_c, &client_data[..]].concat(),
        "SCRAM server accepted channel-binding data that is not its own: {}",
        ctx()
    );
    // The gs2 flag fits the mechanism; `y` only when the server cannot bind (else downgrade).
    assert_eq!(
        gs2_s.starts_with(b"p="),
        setup.plus,
        "gs2 flag does not fit the mechanism: {}",
        ctx()
    );
    if gs2_s.starts_with(b"y") {
        assert!(
            setup.server_cannot_bind,
            "server accepted a channel-binding downgrade: {}",
            ctx()
        );
    }
    assert_eq!(
        success.identity,
        xmpp_sasl::Identity::User {
            authcid: "juliet".into(),
            authzid: None
        },
        "server success for another identity: {}",
        ctx()
    );
}
