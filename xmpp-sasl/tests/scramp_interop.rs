//! Interoperability with an independent SCRAM implementation: the Python `scramp` package
//! plays the other side (`scramp_peer.py`, driven over stdin/stdout). Our client against its
//! server and its client against our server, SCRAM-SHA-1 and SCRAM-SHA-256, without channel
//! binding and with `tls-server-end-point` binding (-PLUS), plus wrong passwords and wrong
//! binding data both ways. (scramp 1.5 knows `tls-unique` and `tls-server-end-point` but not
//! `tls-exporter`; the binding type only changes the gs2 header's name, and `tls-exporter` is
//! covered by the in-crate matrix.)
//!
//! The test installs `scramp` with pip when it is missing and fails (never skips) when it
//! cannot.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Once;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use xmpp_sasl::{
    Cause, ChannelBinding, ClientPolicy, Credentials, Identity, Mechanism, MemoryStore,
    SaslCondition, ServerContext, ServerOutcome, ServerPolicy, ServerSession, Transport, choose,
};

fn ensure_scramp() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let has = |cmd: &mut Command| cmd.status().map(|s| s.success()).unwrap_or(false);
        if has(Command::new("python3").args(["-c", "import scramp"])) {
            return;
        }
        let installed =
            has(Command::new("python3").args(["-m", "pip", "install", "--quiet", "scramp"]));
        assert!(
            installed && has(Command::new("python3").args(["-c", "import scramp"])),
            "the interop test needs python3 with the `scramp` package; \
             `python3 -m pip install --quiet scramp` failed"
        );
    });
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

enum Line {
    Message(Vec<u8>),
    Status(String),
}

impl Peer {
    fn spawn(
        role: &str,
        mechanism: &str,
        password: &str,
        binding: Option<&ChannelBinding>,
    ) -> Peer {
        ensure_scramp();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scramp_peer.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).args([role, mechanism, "juliet", password]);
        if let Some(b) = binding {
            let hex: String = b.data().iter().map(|x| format!("{x:02x}")).collect();
            cmd.args([b.kind().name(), &hex]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed for the scramp interop test");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, msg: &[u8]) {
        writeln!(self.stdin, "{}", STANDARD.encode(msg)).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Line {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line == "OK" || line.starts_with("ERR") || line.is_empty() {
            Line::Status(line.to_owned())
        } else {
            Line::Message(STANDARD.decode(line).unwrap())
        }
    }

    fn message(&mut self) -> Vec<u8> {
        match self.recv() {
            Line::Message(m) => m,
            Line::Status(s) => panic!("scramp stopped early: {s}"),
        }
    }

    fn status(&mut self) -> String {
        match self.recv() {
            Line::Status(s) => s,
            Line::Message(m) => panic!("expected a status, got {m:?}"),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.wait();
    }
}

fn bindings() -> Vec<Option<ChannelBinding>> {
    vec![None, Some(end_point(0x5A))]
}

fn mechanism(hash: Mechanism, binding: &Option<ChannelBinding>) -> Mechanism {
    let (h, _) = hash.scram().unwrap();
    Mechanism::for_scram(h, binding.is_some())
}

/// Our client against scramp's server; returns the client's verdict on success and scramp's
/// final status.
fn our_client(
    mech: Mechanism,
    password: &str,
    binding: &Option<ChannelBinding>,
) -> (Result<(), xmpp_sasl::Failure>, String) {
    our_client_with_peer_binding(mech, password, binding, binding)
}

fn our_client_with_peer_binding(
    mech: Mechanism,
    password: &str,
    binding: &Option<ChannelBinding>,
    peer_binding: &Option<ChannelBinding>,
) -> (Result<(), xmpp_sasl::Failure>, String) {
    let mut transport = Transport::tls();
    if let Some(b) = binding {
        transport = transport.with_channel_binding(b.clone());
    }
    let policy = ClientPolicy::rfc6120().with_preference([mech]);
    let choice = choose(&[mech.name()], &policy, &advertised(&transport)).unwrap();
    assert_eq!(choice.mechanism(), mech);
    let mut client = choice
        .start(
            &Credentials::password("juliet", password).unwrap(),
            &mut rng(11),
        )
        .unwrap();
    let mut peer = Peer::spawn("server", mech.name(), PASSWORD, peer_binding.as_ref());
    peer.send(&client.initial_response().unwrap().unwrap());
    let server_first = peer.message();
    let client_final = client.step(&server_first).unwrap();
    peer.send(&client_final);
    let server_final = peer.message();
    let verdict = client.finish(Some(&server_final));
    (verdict, peer.status())
}

/// scramp's client against our server; returns our outcome and scramp's final status.
fn their_client(
    mech: Mechanism,
    password: &str,
    binding: &Option<ChannelBinding>,
) -> (ServerOutcome, String) {
    their_client_with_peer_binding(mech, password, binding, binding)
}

fn their_client_with_peer_binding(
    mech: Mechanism,
    password: &str,
    binding: &Option<ChannelBinding>,
    peer_binding: &Option<ChannelBinding>,
) -> (ServerOutcome, String) {
    let mut store = MemoryStore::new();
    store
        .add_user("juliet", PASSWORD, 4096, &mut rng(12))
        .unwrap();
    let mut transport = Transport::tls();
    if let Some(b) = binding {
        transport = transport.with_channel_binding(b.clone());
    }
    let mut session = ServerSession::new(ServerPolicy::rfc6120());
    assert!(session.offered(&transport).contains(&mech.name()));
    let mut r = rng(13);
    let mut ctx = ServerContext::new(&store, &mut r, &transport);
    let mut peer = Peer::spawn("client", mech.name(), password, peer_binding.as_ref());
    let client_first = peer.message();
    let ServerOutcome::Challenge(server_first) =
        session.auth(&mut ctx, Some(mech.name()), Some(&client_first))
    else {
        panic!("no challenge");
    };
    peer.send(&server_first);
    let client_final = peer.message();
    let outcome = session.response(&mut ctx, &client_final);
    match &outcome {
        ServerOutcome::Success(s) => peer.send(s.additional_data.as_deref().unwrap()),
        // XMPP reports the failure in <failure/>; scramp needs a SCRAM answer to stop.
        _ => peer.send(b"e=invalid-proof"),
    }
    (outcome, peer.status())
}

/// UCR-SASL-1: our SCRAM client authenticates against scramp's server, SCRAM-SHA-1 and
/// SCRAM-SHA-256, with and without `tls-server-end-point` channel binding.
#[test]
fn ucr_sasl_1_interop_our_client_against_scramp_server() {
    for hash in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        for binding in bindings() {
            let mech = mechanism(hash, &binding);
            let (verdict, status) = our_client(mech, PASSWORD, &binding);
            assert_eq!(status, "OK", "{mech} {binding:?}");
            assert_eq!(verdict, Ok(()), "{mech} {binding:?}");
        }
    }
}

/// UCR-SASL-1: scramp's client authenticates against our SCRAM server, same combinations.
#[test]
fn ucr_sasl_1_interop_scramp_client_against_our_server() {
    for hash in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        for binding in bindings() {
            let mech = mechanism(hash, &binding);
            let (outcome, status) = their_client(mech, PASSWORD, &binding);
            match outcome {
                ServerOutcome::Success(s) => assert_eq!(
                    s.identity,
                    Identity::User {
                        authcid: "juliet".into(),
                        authzid: None
                    }
                ),
                other => panic!("{mech} {binding:?}: {other:?}"),
            }
            assert_eq!(
                status, "OK",
                "{mech} {binding:?}: scramp rejected our server signature"
            );
        }
    }
}

/// Wrong passwords are caught both ways: scramp's server refuses our proof (and our client
/// refuses its `e=` answer); our server refuses scramp's proof with `not-authorized`.
#[test]
fn interop_wrong_password_both_directions() {
    for hash in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        let (verdict, status) = our_client(hash, "wrong", &None);
        assert!(status.starts_with("ERR"), "{status}");
        assert!(
            matches!(verdict.unwrap_err().cause(), Cause::ServerError(_)),
            "{hash}"
        );
        let (outcome, status) = their_client(hash, "wrong", &None);
        match outcome {
            ServerOutcome::Failure { failure, .. } => {
                assert_eq!(failure.condition(), SaslCondition::NotAuthorized)
            }
            other => panic!("{other:?}"),
        }
        assert!(status.starts_with("ERR"), "{status}");
    }
}

/// Different channel binding data on the two ends (a man in the middle terminating TLS) is
/// caught both ways: by scramp's server and by ours.
#[test]
fn interop_channel_binding_mismatch_both_directions() {
    let ours = Some(end_point(0x5A));
    let theirs = Some(end_point(0x33));
    for hash in [Mechanism::ScramSha1Plus, Mechanism::ScramSha256Plus] {
        let (verdict, status) = our_client_with_peer_binding(hash, PASSWORD, &ours, &theirs);
        assert!(status.starts_with("ERR"), "{status}");
        assert!(verdict.is_err(), "{hash}");
        let (outcome, status) = their_client_with_peer_binding(hash, PASSWORD, &ours, &theirs);
        match outcome {
            ServerOutcome::Failure { failure, .. } => {
                assert_eq!(failure.cause(), &Cause::ChannelBindingMismatch)
            }
            other => panic!("{other:?}"),
        }
        assert!(status.starts_with("ERR"), "{status}");
    }
}
