//! What several test binaries of this crate share: the example binaries, built on demand.

use std::path::PathBuf;
use std::process::Command;

/// The path of an example binary of this crate, built first.
pub fn example(name: &str) -> PathBuf {
    // `cargo test` builds examples next to the test binaries (target/debug/deps/cli-HASH ->
    // target/debug/examples/NAME), but `cargo test --all-targets` builds them as test harnesses
    // under hashed names only; building the example here makes the path exist either way (a
    // no-op when it is fresh). The target directory comes from the inherited environment.
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "xmpp-tokio",
            "--example",
            name,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the {name} example failed");
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(path.exists(), "{} is not built", path.display());
    path
}
