//! The `idle-memory` measurement example logs in, idles and reports its resident set.

mod support;

#[test]
fn idle_memory_example_reports_peak_and_current_rss() {
    let (server, ca) = support::tls_server();
    let ca_path = support::ca_file(&ca, "idle");
    let connect = format!("127.0.0.1:{}", server.local_addr().port());
    let out = support::example(
        "idle-memory",
        &[
            "--jid",
            "alice@localhost",
            "--password",
            "secret",
            "--connect",
            &connect,
            "--ca",
            ca_path.to_str().unwrap(),
            "--idle",
            "0",
        ],
    )
    .output()
    .unwrap();
    let _ = std::fs::remove_file(ca_path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let labels: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(labels, ["start", "logged in", "idle"], "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.contains("VmHWM ") && l.contains(" kB")),
        "{stdout}"
    );
}
