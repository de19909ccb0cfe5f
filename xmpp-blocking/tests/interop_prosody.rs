//! Our blocking client and the `blocking-client` example against Prosody (the Debian
//! package, installed by scripts/ci-deps and run by scripts/interop/prosody.sh on loopback
//! with throwaway config, certificate and accounts): STARTTLS, SCRAM, bind, roster,
//! presence and a message round trip, over IPv4 and IPv6. Fails (never skips) when Prosody
//! is missing.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use xmpp_blocking::{Client, ClientConfig, Event, Trust};
use xmpp_jid::Jid;
use xmpp_stanza::{Message, MessageType, Presence};
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/prosody.sh")
}

/// A running Prosody, stopped on drop (also when the test panics).
struct Prosody {
    dir: PathBuf,
    port: u16,
}

impl Prosody {
    fn start(tag: &str) -> Prosody {
        let dir = std::env::temp_dir().join(format!(
            "xmpp-blocking-prosody-{}-{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new("timeout")
            .arg("120")
            .arg(script())
            .arg("start")
            .arg(&dir)
            .args(["alice:secret", "bob:secret"])
            .output()
            .expect("run scripts/interop/prosody.sh");
        assert!(
            out.status.success(),
            "Prosody could not be started (install it with scripts/ci-deps): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the script prints the port");
        Prosody { dir, port }
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn config(&self, host: &str) -> ClientConfig {
        let pem = std::fs::read(self.ca()).unwrap();
        ClientConfig {
            trust: Trust::from_pem(&pem).unwrap(),
            connect_override: Some((host.into(), self.port)),
            resource: Some("interop".into()),
            ..ClientConfig::default()
        }
    }
}

impl Drop for Prosody {
    fn drop(&mut self) {
        let _ = Command::new("timeout")
            .arg("30")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn next_stanza(client: &mut Client, what: &str, pick: impl Fn(&Element) -> bool) -> Element {
    loop {
        match client.recv_timeout(Duration::from_secs(30)).unwrap() {
            Some(Event::Stanza(el)) if pick(&el) => return el,
            Some(_) => {}
            None => panic!("no {what} from Prosody"),
        }
    }
}

#[test]
fn ucr_tcp_16_login_roster_presence_and_messages_through_prosody() {
    let prosody = Prosody::start("lib");
    let mut alice = Client::connect("alice@localhost", "secret", prosody.config("127.0.0.1"))
        .unwrap_or_else(|e| panic!("alice could not log into Prosody over IPv4: {e}"));
    let mut bob = Client::connect("bob@localhost", "secret", prosody.config("::1"))
        .unwrap_or_else(|e| panic!("bob could not log into Prosody over IPv6: {e}"));
    assert_eq!(alice.jid().as_str(), "alice@localhost/interop");
    assert!(alice.session_mut().connection().is_tls());

    // Roster.
    let mut iq = Element::new("iq", NS);
    iq.set_attr("type", "get");
    iq.set_attr("id", "roster1");
    iq.push_child(Element::new("query", "jabber:iq:roster"));
    alice.send(&iq).unwrap();
    let roster = next_stanza(&mut alice, "roster result", |e| {
        e.attr("id") == Some("roster1")
    });
    assert_eq!(roster.attr("type"), Some("result"));
    assert!(roster.has_child("query", "jabber:iq:roster"));

    // Presence: initial, then directed to bob (delivered without a subscription).
    alice.send_stanza(Presence::available()).unwrap();
    bob.send_stanza(Presence::available()).unwrap();
    let bob_full: Jid = Jid::new(bob.jid().as_str()).unwrap();
    alice
        .send_stanza(Presence::available().with_to(bob_full.clone()))
        .unwrap();
    let seen = next_stanza(&mut bob, "presence from alice", |e| {
        e.name() == "presence" && e.attr("from") == Some(alice.jid().as_str())
    });
    assert_eq!(seen.attr("type"), None);

    // Messages both ways.
    alice
        .send_stanza(Message::chat(bob_full, "hello bob"))
        .unwrap();
    let got = next_stanza(&mut bob, "message", |e| e.name() == "message");
    let got = Message::try_from(&got).unwrap();
    assert_eq!(got.body(), Some("hello bob"));
    assert_eq!(
        got.from.as_ref().map(|j| j.as_str()),
        Some(alice.jid().as_str())
    );
    bob.send_stanza(Message::chat(
        Jid::new(alice.jid().as_str()).unwrap(),
        "hello alice",
    ))
    .unwrap();
    let back = next_stanza(&mut alice, "message", |e| e.name() == "message");
    let back = Message::try_from(&back).unwrap();
    assert_eq!(back.kind, MessageType::Chat);
    assert_eq!(back.body(), Some("hello alice"));
    alice.close().unwrap();
    bob.close().unwrap();
}

#[test]
fn blocking_client_example_exchanges_messages_through_prosody() {
    let prosody = Prosody::start("example");
    let mut alice = Client::connect("alice@localhost", "secret", prosody.config("127.0.0.1"))
        .unwrap_or_else(|e| panic!("alice could not log into Prosody: {e}"));
    alice.send_stanza(Presence::available()).unwrap();
    let connect = format!("[::1]:{}", prosody.port);
    let child = support::example(
        "blocking-client",
        &[
            "--jid",
            "bob@localhost",
            "--password",
            "secret",
            "--connect",
            &connect,
            "--ca",
            prosody.ca().to_str().unwrap(),
            "--send",
            "alice@localhost",
            "ready",
            "--receive",
            "1",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let ready = next_stanza(&mut alice, "the example's message", |e| {
        e.name() == "message"
    });
    let ready = Message::try_from(&ready).unwrap();
    assert_eq!(ready.body(), Some("ready"));
    let bob = ready.from.clone().expect("Prosody stamps from");
    assert!(bob.as_str().starts_with("bob@localhost/"), "{bob}");
    alice.send_stanza(Message::chat(bob, "hi bob")).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}: hi bob\n", alice.jid().as_str())
    );
    alice.close().unwrap();
}
