//! The reference server:
//!
//! ```text
//! cargo run -p xmpp-tokio --example server -- --listen 127.0.0.1:5222 --domain localhost \
//!     --user alice:secret --user bob:secret [--listen [::1]:5222] [--tls-cert cert.pem --tls-key key.pem]
//!     [--user-range PREFIX:COUNT:PASSWORD] [--iterations N] [--max-connections N] [--mechanism NAME]...
//! ```
//!
//! `--user-range u:10000:secret` adds the accounts `u0`..`u9999` with one password (load runs,
//! see `scripts/load`); `--iterations` sets the SCRAM iteration count (default 4096);
//! `--max-connections` the connection limit (default 10,000); `--mechanism` (repeatable)
//! offers only these SASL mechanisms (`--mechanism SCRAM-SHA-1`: no -PLUS, no SHA-256).
//!
//! c2s with STARTTLS required, SCRAM-SHA-1/-256/-512 (with -PLUS) and PLAIN over TLS; roster,
//! subscriptions and presence through xmpp-im; message routing with in-memory offline storage;
//! disco#info, ping and version answered. Without a certificate it makes a self-signed one for
//! the domain and writes it to the file it names. Prints `listening on ADDR` per socket once
//! ready; logs through `tracing` (RUST_LOG); stops cleanly on Ctrl-C.

#[path = "common/im_server.rs"]
mod im_server;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::process::ExitCode;

struct Args {
    listen: Vec<SocketAddr>,
    domain: String,
    users: Vec<(String, String)>,
    cert: Option<String>,
    key: Option<String>,
    range: Option<(String, usize, String)>,
    iterations: u32,
    max_connections: Option<usize>,
    mechanisms: Vec<String>,
}

const USAGE: &str = "usage: server --listen ADDR [--listen ADDR]... --domain DOMAIN --user NAME:PASSWORD [--user ...] [--tls-cert cert.pem --tls-key key.pem] [--user-range PREFIX:COUNT:PASSWORD] [--iterations N] [--max-connections N] [--mechanism NAME]...";

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        listen: Vec::new(),
        domain: String::new(),
        users: Vec::new(),
        cert: None,
        key: None,
        range: None,
        iterations: setup::ITERATIONS,
        max_connections: None,
        mechanisms: Vec::new(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                a.listen
                    .push(v.parse().map_err(|e| format!("--listen {v}: {e}"))?);
            }
            "--domain" => a.domain = value()?,
            "--user" => {
                let v = value()?;
                let (u, p) = v
                    .split_once(':')
                    .ok_or_else(|| format!("--user {v}: expected NAME:PASSWORD"))?;
                a.users.push((u.to_owned(), p.to_owned()));
            }
            "--tls-cert" => a.cert = Some(value()?),
            "--tls-key" => a.key = Some(value()?),
            "--user-range" => {
                let v = value()?;
                let mut parts = v.splitn(3, ':');
                let (Some(prefix), Some(count), Some(password)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(format!("--user-range {v}: expected PREFIX:COUNT:PASSWORD"));
                };
                let count = count
                    .parse()
                    .map_err(|e| format!("--user-range {v}: count: {e}"))?;
                a.range = Some((prefix.to_owned(), count, password.to_owned()));
            }
            "--iterations" => {
                let v = value()?;
                a.iterations = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--iterations {v}: expected a positive integer"))?;
            }
            "--mechanism" => a.mechanisms.push(value()?),
            "--max-connections" => {
                let v = value()?;
                a.max_connections = Some(v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("--max-connections {v}: expected a positive integer")
                })?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.listen.is_empty() {
        return Err("at least one --listen is needed".into());
    }
    if a.domain.is_empty() {
        return Err("--domain is needed".into());
    }
    if a.cert.is_some() != a.key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    Ok(a)
}

async fn run(args: Args) -> Result<(), String> {
    let material = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => tls::TlsMaterial::from_pem_files(c, k)?,
        _ => {
            let m = tls::TlsMaterial::generate(&args.domain)?;
            let path = std::env::temp_dir().join(format!("xmpp-tokio-server-{}.pem", args.domain));
            std::fs::write(&path, &m.cert_pem)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "self-signed certificate for {} written to {}",
                args.domain,
                path.display()
            );
            m
        }
    };
    let (mut store, mut names) = match &args.range {
        Some((prefix, count, password)) => {
            setup::bulk_store(&args.domain, prefix, *count, password, args.iterations)?
        }
        None => (
            xmpp_sasl::MemoryStore::new().with_domain(&args.domain),
            Vec::new(),
        ),
    };
    for (u, p) in &args.users {
        store
            .add_user(u, p, args.iterations, &mut rand_core::OsRng)
            .map_err(|e| format!("account {u}: {e}"))?;
        names.push(u.clone());
    }
    let profile = (!args.mechanisms.is_empty()).then(|| {
        let mut p = xmpp_stream::profile::Profile::rfc6120();
        p.mechanisms = args.mechanisms.clone();
        p
    });
    let options = setup::Options {
        profile,
        max_connections: args.max_connections,
    };
    let reference = setup::Reference::start_store(
        &args.listen,
        &args.domain,
        store,
        &names,
        &material,
        options,
    )
    .await?;
    for addr in reference.addrs() {
        println!("listening on {addr}");
    }
    tracing::info!(domain = %args.domain, users = names.len(), "serving");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    tracing::info!("shutting down");
    reference.shutdown().await;
    // Let connections send their <system-shutdown/> before the runtime goes.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
