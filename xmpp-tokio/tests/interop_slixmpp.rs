//! slixmpp (PyPI, installed by scripts/ci-deps) against our reference server: login
//! (STARTTLS, SASL, bind), roster fetch, the subscription handshake, presence and messages
//! both ways with one of our clients, over IPv4 and over IPv6 loopback. Fails (never skips)
//! when slixmpp is missing.

#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

use ns::NS_CLIENT;

const STEP: Duration = Duration::from_secs(20);

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/slixmpp_peer.py")
}

fn from_bare(e: &Element, bare: &str) -> bool {
    e.attr("from")
        .is_some_and(|f| f.split('/').next() == Some(bare))
}

async fn slixmpp_exchange(listen: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let material = tls::TlsMaterial::generate("localhost").unwrap();
    let users = [
        ("alice".to_owned(), "secret".to_owned()),
        ("bob".to_owned(), "secret".to_owned()),
    ];
    let listen: SocketAddr = listen.parse().unwrap();
    let server = setup::Reference::start(&[listen], "localhost", &users, &material)
        .await
        .unwrap_or_else(|e| panic!("reference server on {listen}: {e}"));
    let addr = server.addrs()[0];
    let ca = std::env::temp_dir().join(format!(
        "xmpp-tokio-slixmpp-{}-{}.pem",
        std::process::id(),
        addr.port()
    ));
    std::fs::write(&ca, &material.cert_pem).unwrap();

    // Bob is our client.
    let cfg = ClientConfig::new(material.client_config().unwrap())
        .with_server(addr.ip().to_string(), addr.port());
    let client = xmpp_tokio::connect(&"bob@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    let mut bob = peer::Peer::new("bob", client);
    // Subscription stanzas go to interested resources: those that fetched the roster.
    bob.iq("get", None, Element::new("query", ns::NS_ROSTER))
        .await
        .unwrap();
    bob.send(Element::new("presence", NS_CLIENT)).await.unwrap();

    // Alice is slixmpp.
    let mut child = tokio::process::Command::new("timeout")
        .arg("60")
        .arg("python3")
        .arg(script())
        .args(["alice@localhost", "secret", &addr.ip().to_string()])
        .arg(addr.port().to_string())
        .arg(&ca)
        .arg("bob@localhost")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::spawn(async move {
        let mut out = Vec::new();
        let mut reader = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(l)) = reader.next_line().await {
            out.push(l);
        }
        out
    });

    let steps = async {
        let presence = |ty: &str| {
            Element::builder("presence", NS_CLIENT)
                .attr("to", "alice@localhost")
                .attr("type", ty.to_owned())
                .build()
        };
        bob.expect("slixmpp's subscription request", STEP, |e| {
            (e.name() == "presence"
                && e.attr("type") == Some("subscribe")
                && from_bare(e, "alice@localhost"))
            .then_some(())
        })
        .await?;
        bob.send(presence("subscribed")).await?;
        bob.send(presence("subscribe")).await?;
        bob.expect("slixmpp's approval", STEP, |e| {
            (e.name() == "presence"
                && e.attr("type") == Some("subscribed")
                && from_bare(e, "alice@localhost"))
            .then_some(())
        })
        .await?;
        let alice_full = bob
            .expect("slixmpp's presence", STEP, |e| {
                (e.name() == "presence"
                    && e.attr("type").is_none()
                    && from_bare(e, "alice@localhost"))
                .then(|| e.attr("from").unwrap_or("").to_owned())
            })
            .await?;
        bob.send(
            Element::builder("message", NS_CLIENT)
                .attr("to", alice_full.clone())
                .attr("type", "chat")
                .child(Element::builder("body", NS_CLIENT).text("hello slixmpp"))
                .build(),
        )
        .await?;
        let reply = bob
            .expect("slixmpp's answer", STEP, |e| {
                (e.name() == "message")
                    .then(|| e.child_text("body", NS_CLIENT).map(|b| b.into_owned()))
                    .flatten()
            })
            .await?;
        Ok::<String, String>(reply)
    };
    let reply = steps.await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("slixmpp exits")
        .unwrap();
    let out = lines.await.unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = e.read_to_string(&mut err).await;
    }
    let _ = std::fs::remove_file(&ca);
    let reply = reply.unwrap_or_else(|e| panic!("{e}\nslixmpp said: {out:?}\n{err}"));
    assert_eq!(reply, "pong from slixmpp");
    assert!(status.success(), "slixmpp failed: {out:?}\n{err}");
    let has = |p: &str| out.iter().any(|l| l.starts_with(p));
    assert!(has("SESSION alice@localhost/"), "{out:?}");
    assert!(has("ROSTER 0"), "{out:?}");
    assert!(has("SUBSCRIBED"), "{out:?}");
    assert!(has("APPROVED"), "{out:?}");
    assert!(has("ONLINE bob@localhost/"), "{out:?}");
    assert!(
        out.iter()
            .any(|l| l.starts_with("MESSAGE bob@localhost/") && l.ends_with(": hello slixmpp")),
        "{out:?}"
    );
    assert!(has("DONE"), "{out:?}");
    bob.close().await.unwrap();
    server.shutdown().await;
}

/// UCR-GEN-12 with slixmpp as the client, over IPv4 loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_gen_12_slixmpp_logs_in_subscribes_and_chats_over_ipv4() {
    tokio::time::timeout(Duration::from_secs(120), slixmpp_exchange("127.0.0.1:0"))
        .await
        .expect("finishes within 120 s");
}

/// UCR-GEN-12 with slixmpp as the client, over IPv6 loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_gen_12_slixmpp_logs_in_subscribes_and_chats_over_ipv6() {
    tokio::time::timeout(Duration::from_secs(120), slixmpp_exchange("[::1]:0"))
        .await
        .expect("finishes within 120 s");
}
