//! The examples' command-line contract (issue 8): `server` prints `listening on ADDR` per
//! socket and stops on Ctrl-C (SIGINT) with status 0; `client` prints `FROM: BODY` per
//! received message and exits 0, or non-zero with a one-line reason. Runs the example
//! binaries that `cargo test` builds next to this test; every wait is bounded. Every example
//! is a command-line tool: `--help` prints the usage and exits 0, an unknown flag is a usage
//! error (status 2, a message on stderr).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::example;
use xmpp_interop::run_bounded;

/// Kills the process on drop (the test failed before stopping it).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn server_and_client_examples_keep_their_command_line_contract() {
    let dir = std::env::temp_dir().join(format!("xmpp-tokio-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();

    let mut server = Running(
        Command::new(example("server"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--listen",
                "[::1]:0",
                "--domain",
                "localhost",
            ])
            .args(["--user", "alice:secret", "--user", "bob:secret"])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let mut addrs = Vec::new();
    while addrs.len() < 2 {
        let line = lines
            .next()
            .expect("the server prints its addresses")
            .unwrap();
        if let Some(a) = line.strip_prefix("listening on ") {
            addrs.push(a.to_owned());
        }
    }
    assert!(addrs[0].starts_with("127.0.0.1:"), "{addrs:?}");
    assert!(addrs[1].starts_with("[::1]:"), "{addrs:?}");

    let client = |args: &[&str]| {
        let mut c = Command::new(example("client"));
        c.args(args).arg("--ca").arg(&cert);
        c
    };
    // Bob waits for one message (IPv6); alice sends it (IPv4).
    let mut bob_cmd = client(&["--jid", "bob@localhost", "--password", "secret"]);
    bob_cmd.args(["--connect", &addrs[1], "--receive", "1", "--timeout", "30"]);
    let bob = std::thread::spawn(move || run_bounded(&mut bob_cmd, Duration::from_secs(60)));
    // If bob is not online yet the message waits in offline storage until his presence.
    let mut c = client(&["--jid", "alice@localhost", "--password", "secret"]);
    c.args([
        "--connect",
        &addrs[0],
        "--send",
        "bob@localhost",
        "hello bob",
    ]);
    let alice = run_bounded(&mut c, Duration::from_secs(60));
    assert!(
        alice.status.success(),
        "{}",
        String::from_utf8_lossy(&alice.stderr)
    );
    let bob = bob.join().unwrap();
    assert!(
        bob.status.success(),
        "{}",
        String::from_utf8_lossy(&bob.stderr)
    );
    let out = String::from_utf8_lossy(&bob.stdout);
    let line = out.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("alice@localhost/") && line.ends_with(": hello bob"),
        "{out}"
    );

    // A wrong password: status 1 and one line saying why.
    let mut c = client(&[
        "--jid",
        "alice@localhost",
        "--password",
        "wrong",
        "--connect",
        &addrs[0],
    ]);
    let bad = run_bounded(&mut c, Duration::from_secs(60));
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not-authorized"), "{err}");

    // Bad arguments: status 2.
    let usage = run_bounded(
        Command::new(example("client")).arg("--jid"),
        Duration::from_secs(30),
    );
    assert_eq!(usage.status.code(), Some(2));

    // Ctrl-C stops the server cleanly.
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

const EXAMPLES: &[&str] = &["client", "server", "demo", "echo_bot"];

#[test]
fn every_example_prints_usage_on_help_and_exits_zero() {
    for name in EXAMPLES {
        let out = run_bounded(
            Command::new(example(name)).arg("--help"),
            Duration::from_secs(30),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} --help: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Usage"), "{name} --help: {stdout}");
        assert!(stdout.contains("--help"), "{name} --help: {stdout}");
    }
}

#[test]
fn every_example_refuses_an_unknown_flag_with_status_2() {
    for name in EXAMPLES {
        let out = run_bounded(
            Command::new(example(name)).arg("--no-such-flag"),
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(2), "{name} --no-such-flag");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains("--no-such-flag"),
            "{name} --no-such-flag: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{name} --no-such-flag wrote to stdout"
        );
    }
}

/// `--crl` on the client (UCR-TLS-21): a server certificate issued by the trusted CA but listed
/// in its CRL is refused, with a message that says so (status 1); without the CRL the same
/// server is accepted.
#[test]
fn ucr_tls_21_client_crl_refuses_a_revoked_server_certificate() {
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, IsCa, KeyIdMethod,
        KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber, date_time_ymd,
    };
    let dir = std::env::temp_dir().join(format!("xmpp-tokio-cli-crl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca.self_signed(&ca_key).unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.serial_number = Some(SerialNumber::from(7u64));
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2020, 1, 1),
        next_update: date_time_ymd(2100, 1, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(7u64),
            revocation_time: date_time_ymd(2020, 1, 1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&ca, &ca_key)
    .unwrap();
    let path = |name: &str| dir.join(name);
    std::fs::write(path("ca.pem"), ca.pem()).unwrap();
    std::fs::write(path("crl.pem"), crl.pem().unwrap()).unwrap();
    std::fs::write(path("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(path("key.pem"), leaf_key.serialize_pem()).unwrap();

    let mut server = Running(
        Command::new(example("server"))
            .args(["--listen", "127.0.0.1:0", "--domain", "localhost"])
            .args(["--user", "alice:secret"])
            .arg("--tls-cert")
            .arg(path("cert.pem"))
            .arg("--tls-key")
            .arg(path("key.pem"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = BufReader::new(server.0.stdout.take().unwrap())
        .lines()
        .find_map(|l| l.ok()?.strip_prefix("listening on ").map(str::to_owned))
        .expect("the server prints its address");
    let client = |crl: bool| {
        let mut c = Command::new(example("client"));
        c.args(["--jid", "alice@localhost", "--password", "secret"])
            .args(["--connect", &addr, "--timeout", "30"])
            .arg("--ca")
            .arg(path("ca.pem"));
        if crl {
            c.arg("--crl").arg(path("crl.pem"));
        }
        run_bounded(&mut c, Duration::from_secs(60))
    };
    let refused = client(true);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("revoked"), "{err}");
    let accepted = client(false);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--component-listen` and `--component`: the server admits the named XEP-0114 component on
/// its component port, and routes a client's message for the component's domain to it.
#[test]
fn server_example_serves_the_components_of_its_command_line() {
    let mut server = Running(
        Command::new(example("server"))
            .args(["--listen", "127.0.0.1:0", "--domain", "localhost"])
            .args(["--user", "alice:secret"])
            .args(["--component-listen", "127.0.0.1:0"])
            .args(["--component", "echo.localhost:s3cret"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Without --tls-cert the server writes its self-signed certificate and names the file.
    let (mut cert, mut clients, mut components) = (None, None, None);
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    while clients.is_none() || components.is_none() {
        let line = lines
            .next()
            .expect("the server prints its addresses")
            .unwrap();
        if let Some((_, path)) = line.split_once(" written to ") {
            cert = Some(path.to_owned());
        } else if let Some(a) = line.strip_prefix("listening on ") {
            clients = Some(a.to_owned());
        } else if let Some(a) = line.strip_prefix("components on ") {
            components = Some(a.parse::<std::net::SocketAddr>().unwrap());
        }
    }
    let (cert, clients, components) = (cert.unwrap(), clients.unwrap(), components.unwrap());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = xmpp_tokio::ComponentConfig::new(components.ip().to_string(), components.port());
    let mut echo = runtime
        .block_on(xmpp_tokio::connect_component(
            "echo.localhost",
            "s3cret",
            &config,
        ))
        .unwrap();
    // The server's router knows the component once it answers the component's ping.
    runtime.block_on(async {
        let ping = xmpp_tokio::Element::builder("iq", "jabber:component:accept")
            .attr("type", "get")
            .attr("id", "sync")
            .attr("from", "echo.localhost")
            .attr("to", "localhost")
            .child(xmpp_tokio::Element::new("ping", "urn:xmpp:ping"))
            .build();
        echo.handle.send(ping).await.unwrap();
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match echo.events.next().await {
                    Some(xmpp_tokio::Event::Stanza(el)) if el.attr("id") == Some("sync") => {
                        assert_eq!(el.attr("type"), Some("result"), "{el:?}");
                        break;
                    }
                    Some(_) => {}
                    None => panic!("the component's stream ended"),
                }
            }
        })
        .await
        .expect("the server answers the component's ping within 30 s")
    });
    // A wrong secret is refused.
    let refused = runtime.block_on(xmpp_tokio::connect_component(
        "echo.localhost",
        "wrong",
        &config,
    ));
    assert!(refused.is_err());

    let mut c = Command::new(example("client"));
    c.args(["--jid", "alice@localhost", "--password", "secret"])
        .args(["--connect", &clients, "--timeout", "30"])
        .arg("--ca")
        .arg(&cert)
        .args(["--send", "echo.localhost", "hello component"]);
    let sent = run_bounded(&mut c, Duration::from_secs(60));
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let got = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match echo.events.next().await {
                    Some(xmpp_tokio::Event::Stanza(el)) if el.name() == "message" => break el,
                    Some(_) => {}
                    None => panic!("the component's stream ended"),
                }
            }
        })
        .await
        .expect("the message reaches the component within 30 s")
    });
    assert_eq!(got.ns(), "jabber:component:accept");
    assert!(
        got.attr("from")
            .is_some_and(|f| f.starts_with("alice@localhost/")),
        "{got:?}"
    );
    assert_eq!(
        got.child_text("body", "jabber:component:accept").as_deref(),
        Some("hello component")
    );
    let _ = std::fs::remove_file(&cert);
    drop(server);
}
