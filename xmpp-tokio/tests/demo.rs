//! The demo flow in-process (loopback, port 0): SCRAM over STARTTLS, a subscription
//! handshake, presence both ways, messages both ways, server ping/version/disco, logout.

#[path = "../examples/common/demo_flow.rs"]
mod demo_flow;
#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

fn position(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{}", lines.join("\n")))
}

/// UCR-GEN-12: the c2s lifecycle end to end through the adapter and the IM engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_gen_12_demo_conversation_runs_end_to_end_over_starttls_and_scram() {
    let mut lines = Vec::new();
    let mut say = |l: String| lines.push(l);
    let r = tokio::time::timeout(std::time::Duration::from_secs(60), demo_flow::run(&mut say))
        .await
        .expect("the demo finishes within 60 s");
    r.expect("the demo succeeds");
    // Logged in over TLS with a SCRAM mechanism.
    for who in ["alice", "bob"] {
        let l = &lines[position(&lines, &format!("{who}: logged in as {who}@localhost/demo"))];
        assert!(l.contains("(TLS, SCRAM-"), "{l}");
    }
    // The conversation happens in order.
    let order = [
        "alice: asks to see bob's presence",
        "bob: received alice's subscription request",
        "alice: bob approved the subscription",
        "alice: sees bob@localhost/demo online",
        "bob: sees alice@localhost/demo online",
        "alice: roster: bob@localhost (subscription both)",
        "alice@localhost/demo -> bob: Hello Bob, are you there?",
        "bob@localhost/demo -> alice: Hi Alice, loud and clear.",
        "alice: pinged the server",
        "alice: server software is \"xmpp-tokio reference server\"",
        "bob: alice went offline",
        "server: stopped",
    ];
    let positions: Vec<usize> = order.iter().map(|n| position(&lines, n)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{lines:#?}");
}
