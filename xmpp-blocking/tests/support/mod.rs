//! Shared test rig: a TLS IM server with two accounts (its certificate from the test kit's PKI,
//! `xmpp_stream::testing::TestPki`), client configs.
#![allow(dead_code)]

pub mod pipe;

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use xmpp_blocking::xmpp_server::{Component, Config};
use xmpp_blocking::{ClientConfig, ImServer, ServerConfig, ServerHandle, Trust};
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;

/// The component the servers admit, and its secret.
pub const COMPONENT: &str = "echo.localhost";
pub const COMPONENT_SECRET: &str = "s3cret";

/// A TLS (STARTTLS) server for `localhost` with alice/secret and bob/secret, and a component
/// listener admitting [`COMPONENT`]; the CA to trust (a fresh [`TestPki`] per server).
pub fn tls_server() -> (ServerHandle, CertificateDer<'static>) {
    tls_server_with(false)
}

/// Like [`tls_server`], with Direct TLS (XEP-0368) when `direct_tls`.
pub fn tls_server_with(direct_tls: bool) -> (ServerHandle, CertificateDer<'static>) {
    tls_server_custom(|c| c.direct_tls = direct_tls)
}

/// Like [`tls_server`], with the server config adjusted by `adjust`.
pub fn tls_server_custom(
    adjust: impl FnOnce(&mut ServerConfig),
) -> (ServerHandle, CertificateDer<'static>) {
    let pki = TestPki::new(&["localhost"]);
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("alice", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    store
        .add_user("bob", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    let mut core = Config::new(["localhost"]);
    core.components
        .push(Component::new(COMPONENT, COMPONENT_SECRET));
    let mut config = ServerConfig::new(
        core,
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        Arc::new(store),
    );
    config.accounts = vec![
        "alice@localhost".parse().unwrap(),
        "bob@localhost".parse().unwrap(),
    ];
    adjust(&mut config);
    let server = ImServer::bind("127.0.0.1:0", config)
        .unwrap()
        .bind_components("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    (server, pki.ca)
}

/// A client config for `server`, trusting `ca`.
pub fn client_config(server: &ServerHandle, ca: &CertificateDer<'static>) -> ClientConfig {
    let mut config = ClientConfig::trusting(&Trust::certificates(vec![ca.clone()]))
        .unwrap()
        .with_server("127.0.0.1", server.local_addr().port());
    config.login_timeout = Duration::from_secs(30);
    config
}

/// Newest modification time of the files under `dir`.
fn newest(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut best = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().ok()?.modified().ok()
        };
        best = best.max(t);
    }
    best
}

/// Whether a built example is newer than the crate's sources (a `cargo test --test X` run
/// does not rebuild examples).
fn is_fresh(binary: &std::path::Path) -> bool {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = newest(&root.join("src")).max(newest(&root.join("examples")));
    sources.is_some_and(|s| s <= built)
}

/// An example binary: `cargo test` builds examples next to the test binaries
/// (`target/<profile>/examples/`); if it is not there or older than the sources, `cargo run`
/// builds it.
pub fn example(name: &str, args: &[&str]) -> std::process::Command {
    use std::process::{Command, Stdio};
    let built = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("examples").join(name)))
        .filter(|p| is_fresh(p));
    let mut cmd = match built {
        Some(path) => Command::new(path),
        None => {
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args([
                "run",
                "--offline",
                "--quiet",
                "-p",
                "xmpp-blocking",
                "--example",
                name,
                "--",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
            cmd
        }
    };
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// Writes `ca` as a PEM file in the temp directory.
pub fn ca_file(ca: &rustls::pki_types::CertificateDer<'_>, name: &str) -> std::path::PathBuf {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    let path =
        std::env::temp_dir().join(format!("xmpp-blocking-{}-{name}.pem", std::process::id()));
    std::fs::write(&path, pem).unwrap();
    path
}
