//! The `blocking-client` example's command-line contract (issue 8): arguments, `FROM: BODY`
//! output, exit codes.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use xmpp_blocking::{Client, Event};
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";

fn example(args: &[&str]) -> Command {
    support::example("blocking-client", args)
}

fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

#[test]
fn sends_receives_and_prints_from_and_body() {
    let (server, ca) = support::tls_server();
    let ca_path = support::ca_file(&ca, "roundtrip");
    let port = server.local_addr().port().to_string();
    let connect = format!("127.0.0.1:{port}");
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    // Available, so that a message to alice's bare JID reaches this resource (RFC 6121
    // §8.5.2.1.1): the server reflects the presence once it has handled it.
    alice.send(&Element::new("presence", NS)).unwrap();
    loop {
        match alice.recv_timeout(Duration::from_secs(30)).unwrap() {
            Some(Event::Stanza(el)) if el.name() == "presence" => break,
            Some(_) => {}
            None => panic!("no reflected presence"),
        }
    }
    let child = example(&[
        "--jid",
        "bob@localhost",
        "--password",
        "secret",
        "--connect",
        &connect,
        "--ca",
        ca_path.to_str().unwrap(),
        "--send",
        "alice@localhost",
        "ready",
        "--receive",
        "1",
        "--timeout",
        "60",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait for bob's "ready", then answer him.
    let bob_jid = loop {
        match alice.recv_timeout(Duration::from_secs(120)).unwrap() {
            Some(Event::Stanza(el)) if el.name() == "message" => {
                assert_eq!(el.child_text("body", NS).as_deref(), Some("ready"));
                break el.attr("from").unwrap().to_owned();
            }
            Some(_) => {}
            None => panic!("the example never sent its message"),
        }
    };
    assert!(bob_jid.starts_with("bob@localhost/"), "{bob_jid}");
    let mut msg = Element::new("message", NS);
    msg.set_attr("to", bob_jid);
    let mut body = Element::new("body", NS);
    body.push_text("hi bob");
    msg.push_child(body);
    alice.send(&msg).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_line(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("{}: hi bob\n", alice.jid().as_str()));
    alice.close().unwrap();
    let _ = std::fs::remove_file(ca_path);
}

#[test]
fn wrong_password_exits_non_zero_with_one_line() {
    let (server, _ca) = support::tls_server();
    let connect = format!("127.0.0.1:{}", server.local_addr().port());
    let out = example(&[
        "--jid",
        "alice@localhost",
        "--password",
        "nope",
        "--connect",
        &connect,
        "--insecure-skip-verify",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_line(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("not-authorized"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_jid_is_a_usage_error() {
    let out = example(&["--password", "secret"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_line(&out);
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some("error: the following required arguments were not provided:")
    );
    assert_eq!(lines.next().map(str::trim), Some("--jid <JID>"));
    assert!(
        err.contains("Usage: blocking-client --jid <JID> --password <PASSWORD>"),
        "{err}"
    );
}

#[test]
fn an_empty_password_is_a_usage_error() {
    let out = example(&["--jid", "a@b", "--password", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).contains("--password"));
}

#[test]
fn a_bad_send_recipient_is_a_usage_error() {
    let out = example(&["--jid", "a@b", "--password", "x", "--send", "a@@b", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).starts_with("error: --send a@@b: "));
}

#[test]
fn ca_and_insecure_exclude_each_other() {
    let out = example(&[
        "--jid",
        "a@b",
        "--password",
        "x",
        "--ca",
        "/nonexistent.pem",
        "--insecure-skip-verify",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_line(&out);
    assert!(
        err.contains("'--ca <cert.pem>' cannot be used with '--insecure-skip-verify'"),
        "{err}"
    );
}

/// Every example of the crate is a command-line tool: `--help` prints the usage and exits 0,
/// an unknown flag is a usage error (status 2, a message on stderr).
const EXAMPLES: &[&str] = &["blocking-client", "echo-bot", "idle-memory", "mio-poll"];

#[test]
fn every_example_prints_usage_on_help_and_exits_zero() {
    for name in EXAMPLES {
        let out = support::example(name, &["--help"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name} --help: {}", stderr_line(&out));
        assert!(stdout.contains("Usage"), "{name} --help: {stdout}");
        assert!(stdout.contains("--help"), "{name} --help: {stdout}");
    }
}

#[test]
fn every_example_refuses_an_unknown_flag_with_status_2() {
    for name in EXAMPLES {
        let out = support::example(name, &["--no-such-flag"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} --no-such-flag");
        let err = stderr_line(&out);
        assert!(
            err.starts_with("error: ") && err.contains("--no-such-flag"),
            "{name} --no-such-flag: {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{name} --no-such-flag wrote to stdout"
        );
    }
}
