//! The crate's normal dependency tree holds no async runtime, executor or thread pool.

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "futures-executor",
    "smol",
    "async-io",
    "async-executor",
    "rayon",
];

#[test]
fn dependency_tree_has_no_async_runtime() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "xmpp-blocking",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).expect("utf-8 output");
    // The tree lists the crate itself and its real dependencies.
    assert!(
        tree.lines().any(|l| l.starts_with("xmpp-stream ")),
        "{tree}"
    );
    assert!(tree.lines().any(|l| l.starts_with("rustls ")), "{tree}");
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(
            !FORBIDDEN.contains(&name),
            "forbidden runtime crate {name} in the tree:\n{tree}"
        );
    }
}
