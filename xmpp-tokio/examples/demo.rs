//! `cargo run -p xmpp-tokio --example demo`: the reference server on loopback and two clients
//! (SCRAM over STARTTLS, a self-signed certificate trusted explicitly) exchanging a
//! subscription, presence and messages. Prints the conversation; exits 0 on success. Takes no
//! arguments (`--help` says so).

#[path = "common/demo_flow.rs"]
mod demo_flow;
#[path = "common/ns.rs"]
mod ns;
#[path = "common/peer.rs"]
mod peer;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/tls.rs"]
mod tls;

use clap::Parser;

/// The reference server on loopback and two clients (SCRAM over STARTTLS, a self-signed
/// certificate trusted explicitly) exchanging a subscription, presence and messages.
///
/// Prints the conversation and exits 0 on success, 1 on failure (after at most 60 s). Takes no
/// arguments; logging through RUST_LOG.
#[derive(Parser)]
#[command(name = "demo")]
struct Args {}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    // Usage errors exit with status 2, `--help` with 0.
    Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let mut say = |line: String| println!("{line}");
    let run = demo_flow::run(&mut say);
    match tokio::time::timeout(std::time::Duration::from_secs(60), run).await {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("demo failed: timed out after 60 s");
            std::process::ExitCode::FAILURE
        }
    }
}
