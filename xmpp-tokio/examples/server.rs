//! The reference server:
//!
//! ```text
//! cargo run -p xmpp-tokio --example server -- --listen 127.0.0.1:5222 --domain localhost \
//!     --user alice:secret --user bob:secret [--listen [::1]:5222] [--tls-cert cert.pem --tls-key key.pem] \
//!     [--user-range PREFIX:COUNT:PASSWORD] [--iterations N] [--max-connections N] [--mechanism NAME]... \
//!     [--client-ca ca.pem [--crl crl.pem]...] \
//!     [--component-listen 127.0.0.1:5347 --component echo.localhost:s3cret]...
//! cargo run -p xmpp-tokio --example server -- --help
//! ```
//!
//! `--user-range u:10000:secret` adds the accounts `u0`..`u9999` with one password (load runs,
//! see `scripts/load`); `--iterations` sets the SCRAM iteration count (default 4096);
//! `--max-connections` the connection limit (default 10,000); `--mechanism` (repeatable)
//! offers only these SASL mechanisms (`--mechanism SCRAM-SHA-1`: no -PLUS, no SHA-256);
//! `--client-ca` verifies client certificates for SASL EXTERNAL, against the CRLs of `--crl`;
//! `--component-listen` (repeatable) accepts XEP-0114 components on that address (no TLS:
//! loopback or a protected network), `--component DOMAIN:SECRET` (repeatable) admits one.
//!
//! The server is `xmpp_tokio::serve_im` (the sans-IO core `xmpp-server` behind it) plus this
//! command line: c2s with STARTTLS required, SCRAM-SHA-1/-256/-512 (with -PLUS) and PLAIN over
//! TLS; resource binding (a taken resource gets a generated one); roster, subscriptions and
//! presence; message routing with in-memory offline storage (delivered with a delay stamp at
//! the next initial presence); disco#info, ping, version and entity time answered; components
//! routed by domain. Without a certificate it makes a self-signed one for the domain and
//! writes it to the file it names. Prints `listening on ADDR` per client socket and
//! `components on ADDR` per component socket once ready; logs through `tracing` (RUST_LOG);
//! stops cleanly on Ctrl-C.

#[path = "common/setup.rs"]
mod setup;
#[path = "common/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use clap::builder::NonEmptyStringValueParser;

/// The reference XMPP server: c2s with STARTTLS required, SCRAM and PLAIN over TLS, roster,
/// presence, message routing with offline storage, XEP-0114 components. Prints `listening on
/// ADDR` per client socket and `components on ADDR` per component socket once ready; stops
/// cleanly on Ctrl-C.
///
/// Without --tls-cert/--tls-key it makes a self-signed certificate for the domain and writes it
/// to a file in the temporary directory (the path is printed). Logging: RUST_LOG (default info).
#[derive(Parser)]
#[command(name = "server")]
struct Args {
    /// Listen on this address (repeatable; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", required = true)]
    listen: Vec<SocketAddr>,
    /// The domain served (accounts are NAME@DOMAIN).
    #[arg(long, value_name = "DOMAIN", value_parser = NonEmptyStringValueParser::new())]
    domain: String,
    /// Add the account NAME@DOMAIN with this password (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = user)]
    users: Vec<(String, String)>,
    /// The certificate chain (PEM) to present; goes with --tls-key.
    #[arg(long = "tls-cert", value_name = "cert.pem", requires = "key")]
    cert: Option<String>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long = "tls-key", value_name = "key.pem", requires = "cert")]
    key: Option<String>,
    /// Add the accounts PREFIX0 .. PREFIX{COUNT-1}, all with one password (load runs).
    #[arg(long = "user-range", value_name = "PREFIX:COUNT:PASSWORD", value_parser = user_range)]
    range: Option<(String, usize, String)>,
    /// The SCRAM iteration count of every account.
    #[arg(long, value_name = "N", default_value_t = setup::ITERATIONS, value_parser = positive::<u32>)]
    iterations: u32,
    /// The limit on open connections [default: 10000].
    #[arg(long, value_name = "N", value_parser = positive::<usize>)]
    max_connections: Option<usize>,
    /// Offer only these SASL mechanisms (repeatable), e.g. SCRAM-SHA-1 for no -PLUS and no
    /// SHA-256 [default: all that the server supports].
    #[arg(long = "mechanism", value_name = "NAME")]
    mechanisms: Vec<xmpp_sasl::Mechanism>,
    /// Verify client certificates issued by the CAs of this PEM file (SASL EXTERNAL, XEP-0178);
    /// clients without a certificate still log in with a password.
    #[arg(long = "client-ca", value_name = "ca.pem")]
    client_ca: Option<String>,
    /// Check client certificates against the certificate revocation list of this PEM file
    /// (repeatable; needs --client-ca). A certificate whose issuer has no CRL here is refused.
    #[arg(long = "crl", value_name = "crl.pem", requires = "client_ca")]
    crls: Vec<String>,
    /// Accept XEP-0114 component streams on this address (repeatable; no TLS).
    #[arg(
        long = "component-listen",
        value_name = "ADDR",
        requires = "components"
    )]
    component_listen: Vec<SocketAddr>,
    /// Admit the component serving DOMAIN with this shared secret (repeatable; needs
    /// --component-listen).
    #[arg(
        long = "component",
        value_name = "DOMAIN:SECRET",
        value_parser = component,
        requires = "component_listen"
    )]
    components: Vec<(String, String)>,
}

/// `DOMAIN:SECRET`.
fn component(v: &str) -> Result<(String, String), String> {
    let (d, s) = v.split_once(':').ok_or("expected DOMAIN:SECRET")?;
    if d.is_empty() || s.is_empty() {
        return Err("expected DOMAIN:SECRET, both non-empty".into());
    }
    Ok((d.to_owned(), s.to_owned()))
}

/// `NAME:PASSWORD`.
fn user(v: &str) -> Result<(String, String), String> {
    let (u, p) = v.split_once(':').ok_or("expected NAME:PASSWORD")?;
    Ok((u.to_owned(), p.to_owned()))
}

/// `PREFIX:COUNT:PASSWORD`.
fn user_range(v: &str) -> Result<(String, usize, String), String> {
    let mut parts = v.splitn(3, ':');
    let (Some(prefix), Some(count), Some(password)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected PREFIX:COUNT:PASSWORD".into());
    };
    let count = count.parse().map_err(|e| format!("count: {e}"))?;
    Ok((prefix.to_owned(), count, password.to_owned()))
}

/// An integer above zero.
fn positive<T: std::str::FromStr + Default + PartialOrd>(v: &str) -> Result<T, String> {
    v.parse()
        .ok()
        .filter(|n| *n > T::default())
        .ok_or_else(|| "expected a positive integer".into())
}

async fn run(args: Args) -> Result<(), String> {
    let material = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => tls::TlsMaterial::from_pem_files(c, k)?,
        _ => {
            let m = tls::TlsMaterial::generate(&args.domain)?;
            // The process id keeps two servers started at once from sharing the file.
            let path = std::env::temp_dir().join(format!(
                "xmpp-tokio-server-{}-{}.pem",
                args.domain,
                std::process::id()
            ));
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
    let client_certs = match &args.client_ca {
        Some(path) => Some(tls::trust_pem(path, &args.crls)?),
        None => None,
    };
    let options = setup::Options {
        profile,
        max_connections: args.max_connections,
        client_certs,
        component_listen: args.component_listen.clone(),
        components: args.components.clone(),
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
    for addr in reference.component_addrs() {
        println!("components on {addr}");
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
    // Usage errors exit with status 2, `--help` with 0.
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
