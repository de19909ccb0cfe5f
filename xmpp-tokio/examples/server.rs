//! The reference server:
//!
//! ```text
//! cargo run -p xmpp-tokio --example server -- --listen 127.0.0.1:5222 --domain localhost \
//!     --user alice:secret --user bob:secret [--listen [::1]:5222] [--tls-cert cert.pem --tls-key key.pem] \
//!     [--user-range PREFIX:COUNT:PASSWORD] [--iterations N] [--max-connections N] [--mechanism NAME]... \
//!     [--client-ca ca.pem [--crl crl.pem]...] \
//!     [--component-listen 127.0.0.1:5347 --component echo.localhost:s3cret]... [--data DIR]
//! cargo run -p xmpp-tokio --example server -- account --data DIR --domain localhost add alice
//! cargo run -p xmpp-tokio --example server -- --help
//! ```
//!
//! `--data DIR` keeps accounts, rosters (with their versions), pending subscription requests
//! and offline messages in the SQLite database `DIR/xmpp.sqlite3` (`xmpp-store`; created if
//! missing, checked at start: a damaged, foreign or newer file stops the server with the
//! reason); without it everything is in memory and gone at exit. Every change is committed
//! before the server answers or forwards anything that depends on it, so what it acknowledged
//! survives `kill -9`. The `account` subcommand manages the accounts of a data directory, also
//! while the server runs: `add NAME`, `passwd NAME` (the password from `--password` or one
//! line of standard input), `remove NAME` (with its roster and offline messages), `list`.
//! `--user` and `--user-range` also work with `--data`: they create the accounts, or set
//! their passwords, in the database at start. `--data-sync normal` trades the fsync per
//! change (`full`, the default) for speed: still safe against a crash of the server, not
//! against a power loss.
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

use clap::builder::NonEmptyStringValueParser;
use clap::{Parser, Subcommand};
use xmpp_store::Store;

/// The reference XMPP server: c2s with STARTTLS required, SCRAM and PLAIN over TLS, roster,
/// presence, message routing with offline storage, XEP-0114 components. Prints `listening on
/// ADDR` per client socket and `components on ADDR` per component socket once ready; stops
/// cleanly on Ctrl-C.
///
/// Without --tls-cert/--tls-key it makes a self-signed certificate for the domain and writes it
/// to a file in the temporary directory (the path is printed). Logging: RUST_LOG (default info).
#[derive(Parser)]
#[command(
    name = "server",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Args {
    /// Listen on this address (repeatable; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", required = true)]
    listen: Vec<SocketAddr>,
    /// The domain served (accounts are NAME@DOMAIN).
    #[arg(long, value_name = "DOMAIN", value_parser = NonEmptyStringValueParser::new(), required = true)]
    domain: Option<String>,
    /// Keep accounts, rosters and offline messages in DIR/xmpp.sqlite3 (created if missing)
    /// instead of memory.
    #[arg(long, value_name = "DIR")]
    data: Option<std::path::PathBuf>,
    /// With --data: `full` makes every commit reach the disk before the server goes on (an
    /// fsync each: survives a power loss); `normal` leaves that to checkpoints (survives a
    /// crash of the server, may lose the last changes in a power loss, never corrupts).
    #[arg(long = "data-sync", value_name = "full|normal", default_value = "full", value_parser = sync_mode, requires = "data")]
    data_sync: xmpp_store::Synchronous,
    /// Manage the accounts of a data directory instead of serving.
    #[command(subcommand)]
    command: Option<Command>,
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

#[derive(Subcommand)]
enum Command {
    /// Add, remove, change the password of, or list the accounts in a data directory (also
    /// while a server runs on it).
    Account(AccountArgs),
}

#[derive(clap::Args)]
struct AccountArgs {
    /// The data directory (as the server's --data).
    #[arg(long, value_name = "DIR")]
    data: std::path::PathBuf,
    /// The domain of the accounts (NAME@DOMAIN).
    #[arg(long, value_name = "DOMAIN", value_parser = NonEmptyStringValueParser::new())]
    domain: String,
    /// The SCRAM iteration count of new keys.
    #[arg(long, value_name = "N", default_value_t = setup::ITERATIONS, value_parser = positive::<u32>)]
    iterations: u32,
    #[command(subcommand)]
    action: AccountAction,
}

#[derive(Subcommand)]
enum AccountAction {
    /// Create the account NAME@DOMAIN.
    Add {
        /// The user name.
        name: String,
        /// The password [default: one line of standard input].
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a new password (new salted keys).
    Passwd {
        /// The user name.
        name: String,
        /// The password [default: one line of standard input].
        #[arg(long)]
        password: Option<String>,
    },
    /// Remove the account with its roster, pending requests and offline messages.
    Remove {
        /// The user name.
        name: String,
    },
    /// List the accounts.
    List,
}

/// The password given, or one line of standard input.
fn password(given: Option<String>) -> Result<String, String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        return Err("no password (give --password or one line on standard input)".into());
    }
    Ok(p)
}

/// `server account ...`.
fn account(args: AccountArgs) -> Result<(), String> {
    let store = Store::open_dir(&args.data).map_err(|e| e.to_string())?;
    let jid = |name: &str| -> Result<xmpp_tokio::BareJid, String> {
        format!("{name}@{}", args.domain)
            .parse()
            .map_err(|e| format!("account {name}: {e}"))
    };
    let mut rng = rand_core::OsRng;
    match args.action {
        AccountAction::Add { name, password: p } => {
            let user = jid(&name)?;
            store
                .add_account(&user, &password(p)?, args.iterations, &mut rng)
                .map_err(|e| e.to_string())?;
            println!("added {user}");
        }
        AccountAction::Passwd { name, password: p } => {
            let user = jid(&name)?;
            store
                .set_password(&user, &password(p)?, args.iterations, &mut rng)
                .map_err(|e| e.to_string())?;
            println!("password of {user} changed");
        }
        AccountAction::Remove { name } => {
            let user = jid(&name)?;
            store.remove_account(&user).map_err(|e| e.to_string())?;
            println!("removed {user}");
        }
        AccountAction::List => {
            for (user, has_password) in store.accounts().map_err(|e| e.to_string())? {
                if user.domain() == args.domain {
                    println!("{user}{}", if has_password { "" } else { " (no password)" });
                }
            }
        }
    }
    Ok(())
}

/// `full` or `normal`.
fn sync_mode(v: &str) -> Result<xmpp_store::Synchronous, String> {
    match v {
        "full" => Ok(xmpp_store::Synchronous::Full),
        "normal" => Ok(xmpp_store::Synchronous::Normal),
        _ => Err("expected full or normal".into()),
    }
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
    if let Some(Command::Account(a)) = args.command {
        return account(a);
    }
    let domain = args.domain.clone().unwrap_or_default();
    let material = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => tls::TlsMaterial::from_pem_files(c, k)?,
        _ => {
            let m = tls::TlsMaterial::generate(&domain)?;
            // The process id keeps two servers started at once from sharing the file.
            let path = std::env::temp_dir().join(format!(
                "xmpp-tokio-server-{}-{}.pem",
                domain,
                std::process::id()
            ));
            std::fs::write(&path, &m.cert_pem)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "self-signed certificate for {} written to {}",
                domain,
                path.display()
            );
            m
        }
    };
    let (credentials, names, data): (
        std::sync::Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
        Vec<String>,
        Option<Store>,
    ) = match &args.data {
        Some(dir) => {
            let store = data_store(dir, &domain, &args)?;
            let credentials = std::sync::Arc::new(store.credentials(&domain));
            // The database knows its accounts: none to announce.
            (credentials, Vec::new(), Some(store))
        }
        None => {
            let (mut store, mut names) = match &args.range {
                Some((prefix, count, password)) => {
                    setup::bulk_store(&domain, prefix, *count, password, args.iterations)?
                }
                None => (
                    xmpp_sasl::MemoryStore::new().with_domain(&domain),
                    Vec::new(),
                ),
            };
            for (u, p) in &args.users {
                store
                    .add_user(u, p, args.iterations, &mut rand_core::OsRng)
                    .map_err(|e| format!("account {u}: {e}"))?;
                names.push(u.clone());
            }
            (std::sync::Arc::new(store), names, None)
        }
    };
    let users = match &data {
        Some(store) => store.accounts().map(|a| a.len()).unwrap_or_default(),
        None => names.len(),
    };
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
        data,
    };
    let reference = setup::Reference::start_store(
        &args.listen,
        &domain,
        credentials,
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
    tracing::info!(%domain, users, "serving");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    tracing::info!("shutting down");
    reference.shutdown().await;
    // Let connections send their <system-shutdown/> before the runtime goes.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Ok(())
}

/// Opens `--data DIR` (refusing a damaged, foreign or newer database) and writes the accounts
/// of `--user` and `--user-range` into it.
fn data_store(dir: &std::path::Path, domain: &str, args: &Args) -> Result<Store, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut options = xmpp_store::SqliteOptions::default();
    options.synchronous = args.data_sync;
    let store =
        Store::open_with(dir.join(xmpp_store::SQLITE_FILE), &options).map_err(|e| e.to_string())?;
    let jid = |name: &str| -> Result<xmpp_tokio::BareJid, String> {
        format!("{name}@{domain}")
            .parse()
            .map_err(|e| format!("account {name}: {e}"))
    };
    let mut accounts = Vec::new();
    if let Some((prefix, count, password)) = &args.range {
        let creds = setup::shared_credentials(password, args.iterations)?;
        for i in 0..*count {
            accounts.push((jid(&format!("{prefix}{i}"))?, creds.clone()));
        }
    }
    for (u, p) in &args.users {
        let creds = setup::shared_credentials(p, args.iterations)?;
        accounts.push((jid(u)?, creds));
    }
    if !accounts.is_empty() {
        store
            .put_credentials(&accounts)
            .map_err(|e| format!("cannot write the accounts: {e}"))?;
    }
    println!("data in {}", store.location());
    let mut limits = store.limits();
    limits.max_offline_per_account =
        xmpp_tokio::xmpp_server::Config::new([domain]).max_offline_per_account;
    Ok(store.with_limits(limits))
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
