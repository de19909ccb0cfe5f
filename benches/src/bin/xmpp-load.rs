//! `xmpp-load`: a load generator for any XMPP server, built on `xmpp-tokio`.
//!
//! ```text
//! xmpp-load --server 127.0.0.1:5222 --domain localhost --trust cert.pem \
//!     [--prefix u] [--first 0] [--password secret] [--mechanism SCRAM-SHA-1] \
//!     [--mode pairs|idle] [--clients 200] [--messages 100] [--window 10] [--concurrency 50] \
//!     [--timeout 30] [--deadline 600] [--settle 2] [--hold 0] [--server-pid PID]
//! xmpp-load --help
//! ```
//!
//! Both modes log in `--clients` accounts `PREFIX{first}`, `PREFIX{first+1}`, ... (SCRAM over
//! STARTTLS, at most `--concurrency` logins in flight) and report logins per second.
//!
//! - `pairs`: clients 2k and 2k+1 form a pair. Each client sends initial presence and a ping
//!   (so the server has processed the presence before any message flows), then sends
//!   `--messages` chat messages to its partner's full JID, with at most `--window` of them in
//!   flight (sent, not yet received). Each body carries a sequence number and the send time
//!   on this process's monotonic clock; the receiver measures send -> receive. Reports
//!   messages per second (all received / time from the first send to the last receipt) and
//!   the p50, p99 and maximum delivery latency over every message.
//! - `idle`: logs the clients in and holds them, waits `--settle` seconds, and reports the
//!   server's RSS growth per connection: `(RSS after - RSS before) / clients`; then keeps the
//!   clients connected `--hold` more seconds (for a profiler to look at the idle server).
//!
//! With `--server-pid`, the server's `VmRSS` and `VmHWM` (peak) are read from `/proc`.
//! Everything is bounded: each login, send and wait by `--timeout`, the whole run by
//! `--deadline`. Results go to standard output as `key=value` lines (for `scripts/load`);
//! the exit status is 1, with a one-line reason, when any operation failed, and 2 for bad
//! arguments (odd `--clients` in pairs mode, a zero `--clients`, `--window` or
//! `--concurrency`, ...).

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::builder::NonEmptyStringValueParser;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use xmpp_jid::BareJid;
use xmpp_stream::connection::Event;
use xmpp_stream::profile::Profile;
use xmpp_stream::xml::Element;
use xmpp_tokio::{Client, ClientConfig};

const NS_CLIENT: &str = "jabber:client";
const NS_PING: &str = "urn:xmpp:ping";
/// Upper bound on `clients × messages` (the latency samples are kept in memory).
const MAX_SAMPLES: u64 = 50_000_000;

/// What the run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Clients 2k and 2k+1 exchange --messages each way (after presence and a ping):
    /// messages per second and delivery latency.
    Pairs,
    /// Log in, hold the clients, wait --settle seconds: the server's RSS growth per connection.
    Idle,
}

/// A load generator for any XMPP server: logs in --clients accounts PREFIX{first},
/// PREFIX{first+1}, ... (SCRAM over STARTTLS) and, in pairs mode, has them exchange messages;
/// in idle mode, holds them and reports the server's memory per connection.
///
/// Results go to standard output as key=value lines. Exit status: 0 on success, 1 when any
/// operation failed (one line on stderr says why), 2 for bad arguments.
#[derive(Debug, Clone, Parser)]
#[command(name = "xmpp-load")]
struct Args {
    /// The server's address (IPv6 addresses may be bracketed: `[::1]:5222`).
    #[arg(long, value_name = "HOST:PORT", value_parser = host_port)]
    server: (String, u16),
    /// The accounts' domain (the accounts are PREFIX{N}@DOMAIN).
    #[arg(long, value_name = "DOMAIN", value_parser = NonEmptyStringValueParser::new())]
    domain: String,
    /// Trust only the certificates in this PEM file.
    #[arg(long, value_name = "CERT.pem", value_parser = NonEmptyStringValueParser::new())]
    trust: String,
    /// The accounts' name prefix.
    #[arg(long, value_name = "PREFIX", default_value = "u")]
    prefix: String,
    /// The number of the first account.
    #[arg(long, value_name = "N", default_value_t = 0)]
    first: usize,
    /// The password of every account.
    #[arg(
        long,
        value_name = "PASSWORD",
        default_value = "secret",
        allow_hyphen_values = true
    )]
    password: String,
    /// The one SASL mechanism to use (so that the servers of a comparison do the same work).
    #[arg(long, value_name = "NAME", default_value = "SCRAM-SHA-1")]
    mechanism: String,
    /// What the run measures.
    #[arg(long, value_enum, default_value_t = Mode::Pairs)]
    mode: Mode,
    /// The number of clients (even in pairs mode).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = positive)]
    clients: usize,
    /// Pairs mode: the messages each client sends to its partner.
    #[arg(long, value_name = "M", default_value_t = 100)]
    messages: usize,
    /// Pairs mode: at most this many messages in flight (sent, not yet received) per sender.
    #[arg(long, value_name = "W", default_value_t = 10, value_parser = positive)]
    window: usize,
    /// At most this many logins in flight.
    #[arg(long, value_name = "C", default_value_t = 50, value_parser = positive)]
    concurrency: usize,
    /// Bound, in seconds, on each login, send and wait.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    timeout: Duration,
    /// Bound, in seconds, on the whole run.
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = seconds)]
    deadline: Duration,
    /// Idle mode: seconds to wait after the logins before reading the server's memory.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = seconds)]
    settle: Duration,
    /// Idle mode: seconds to keep the clients connected after the report (to profile the
    /// idle server meanwhile).
    #[arg(long, value_name = "SECS", default_value = "0", value_parser = seconds)]
    hold: Duration,
    /// Read the server's VmRSS and VmHWM (peak) from /proc/PID/status.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
}

/// `HOST:PORT`, the host possibly in brackets (`[::1]:5222`).
fn host_port(v: &str) -> Result<(String, u16), String> {
    let (h, p) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = p.parse().map_err(|e| format!("port {p}: {e}"))?;
    let host = h.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("expected HOST:PORT (no host)".into());
    }
    Ok((host.to_owned(), port))
}

/// A count above zero.
fn positive(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(0) => Err("must be positive".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Seconds, possibly fractional (`0.5`).
fn seconds(v: &str) -> Result<Duration, String> {
    let secs: f64 = v
        .parse()
        .map_err(|e: std::num::ParseFloatError| e.to_string())?;
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// What clap cannot check per option; an error here is a usage error too (status 2).
fn check(a: &Args) -> Result<(), String> {
    if a.mode == Mode::Pairs && a.clients % 2 != 0 {
        return Err(format!(
            "--clients {}: pairs mode needs an even number",
            a.clients
        ));
    }
    if (a.clients as u64).saturating_mul(a.messages as u64) > MAX_SAMPLES {
        return Err(format!(
            "--clients × --messages must stay below {MAX_SAMPLES}"
        ));
    }
    Ok(())
}

/// A client configuration trusting the certificates of a PEM file, restricted to one SASL
/// mechanism (so that both servers of a comparison do the same work).
fn client_config(a: &Args) -> Result<ClientConfig, String> {
    let certs = CertificateDer::pem_file_iter(&a.trust)
        .map_err(|e| format!("{}: {e}", a.trust))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", a.trust))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", a.trust));
    }
    let mut roots = rustls::RootCertStore::empty();
    for c in certs {
        roots.add(c).map_err(|e| format!("{}: {e}", a.trust))?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(xmpp_stream::trust::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut profile = Profile::rfc6120();
    profile.mechanisms = vec![
        a.mechanism
            .parse()
            .map_err(|e| format!("--mechanism {}: {e}", a.mechanism))?,
    ];
    let (host, port) = a.server.clone();
    let mut cfg = ClientConfig::new(Arc::new(tls)).with_server(host, port);
    cfg.profile = Arc::new(profile);
    cfg.connect_timeout = a.timeout;
    cfg.login_timeout = a.timeout;
    Ok(cfg)
}

/// The server's resident set and its peak, in KiB, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

fn memory(pid: Option<u32>) -> Result<Option<Memory>, String> {
    let Some(pid) = pid else { return Ok(None) };
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("{path}: no {name}"))
    };
    Ok(Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    }))
}

/// Logs every client in, at most `concurrency` at once; returns them in account order.
async fn login_all(a: &Args, cfg: &ClientConfig) -> Result<Vec<Client>, String> {
    let limit = Arc::new(Semaphore::new(a.concurrency));
    let mut set = JoinSet::new();
    for i in 0..a.clients {
        let name = format!("{}{}@{}", a.prefix, a.first + i, a.domain);
        let jid: BareJid = name.parse().map_err(|e| format!("{name}: {e}"))?;
        let (cfg, password, limit, timeout) =
            (cfg.clone(), a.password.clone(), limit.clone(), a.timeout);
        set.spawn(async move {
            let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
            let c = tokio::time::timeout(timeout, xmpp_tokio::connect(&jid, &password, &cfg))
                .await
                .map_err(|_| format!("{jid}: login timed out"))?
                .map_err(|e| format!("{jid}: login failed: {e}"))?;
            Ok::<_, String>((i, c))
        });
    }
    let mut clients: Vec<Option<Client>> = (0..a.clients).map(|_| None).collect();
    while let Some(r) = set.join_next().await {
        let (i, c) = r.map_err(|e| e.to_string())??;
        if let Some(slot) = clients.get_mut(i) {
            *slot = Some(c);
        }
    }
    clients
        .into_iter()
        .enumerate()
        .map(|(i, c)| c.ok_or_else(|| format!("client {i} missing")))
        .collect()
}

/// The next stanza, bounded in time; the end of the stream is an error.
async fn next_stanza(c: &mut Client, timeout: Duration, what: &str) -> Result<Element, String> {
    loop {
        match tokio::time::timeout(timeout, c.events.next()).await {
            Err(_) => return Err(format!("{}: timed out waiting for {what}", c.jid)),
            Ok(None) => return Err(format!("{}: connection gone waiting for {what}", c.jid)),
            Ok(Some(Event::Stanza(el))) => return Ok(el),
            Ok(Some(Event::Closed(r))) => {
                return Err(format!("{}: closed ({r:?}) waiting for {what}", c.jid));
            }
            Ok(Some(_)) => {}
        }
    }
}

/// Initial presence, then a ping answered by the server: once the answer is here the server
/// has processed the presence (it handles one connection's stanzas in order).
async fn go_online(mut c: Client, timeout: Duration) -> Result<Client, String> {
    let send = |el| tokio::time::timeout(timeout, c.handle.send(el));
    send(Element::new("presence", NS_CLIENT))
        .await
        .map_err(|_| "presence: send timed out".to_string())?
        .map_err(|e| format!("presence: {e}"))?;
    let ping = Element::builder("iq", NS_CLIENT)
        .attr("type", "get")
        .attr("id", "load-ping")
        .attr("to", c.jid.domain().to_owned())
        .child(Element::new("ping", NS_PING))
        .build();
    send(ping)
        .await
        .map_err(|_| "ping: send timed out".to_string())?
        .map_err(|e| format!("ping: {e}"))?;
    loop {
        let el = next_stanza(&mut c, timeout, "the ping answer").await?;
        if el.name() == "iq" && el.attr("id") == Some("load-ping") {
            return match el.attr("type") {
                Some("result") => Ok(c),
                _ => Err(format!("{}: ping refused", c.jid)),
            };
        }
    }
}

/// What one direction of a pair measured.
struct Received {
    latencies_us: Vec<u64>,
    last: Instant,
}

/// Sends `count` messages to `to`, keeping at most `window` in flight (the receiver gives a
/// permit back per arrival).
async fn send_side(
    handle: xmpp_tokio::Handle,
    to: String,
    count: usize,
    window: Arc<Semaphore>,
    epoch: Instant,
    timeout: Duration,
) -> Result<(), String> {
    for seq in 0..count {
        let permit = tokio::time::timeout(timeout, window.acquire())
            .await
            .map_err(|_| format!("to {to}: no delivery for {timeout:?} (window full)"))?
            .map_err(|e| e.to_string())?;
        permit.forget();
        let sent = epoch.elapsed().as_micros();
        let msg = Element::builder("message", NS_CLIENT)
            .attr("to", to.clone())
            .attr("type", "chat")
            .child(Element::builder("body", NS_CLIENT).text(format!("{seq} {sent}")))
            .build();
        tokio::time::timeout(timeout, handle.send(msg))
            .await
            .map_err(|_| format!("to {to}: send timed out"))?
            .map_err(|e| format!("to {to}: send failed: {e}"))?;
    }
    Ok(())
}

/// Receives `count` messages, records their latencies, and returns a window permit per
/// message to the partner's sender.
async fn receive_side(
    mut c: Client,
    count: usize,
    window: Arc<Semaphore>,
    epoch: Instant,
    timeout: Duration,
) -> Result<(Client, Received), String> {
    let mut latencies_us = Vec::with_capacity(count);
    let mut expected = 0usize;
    let mut last = Instant::now();
    while expected < count {
        let el = next_stanza(&mut c, timeout, "a message").await?;
        if el.name() != "message" {
            continue;
        }
        if el.attr("type") == Some("error") {
            return Err(format!(
                "{}: message bounced: {}",
                c.jid,
                el.to_xml().unwrap_or_default()
            ));
        }
        let body = el.child_text("body", NS_CLIENT).unwrap_or_default();
        let (seq, sent) = body
            .split_once(' ')
            .and_then(|(s, t)| Some((s.parse::<usize>().ok()?, t.parse::<u128>().ok()?)))
            .ok_or_else(|| format!("{}: unexpected message body {body:?}", c.jid))?;
        if seq != expected {
            return Err(format!(
                "{}: message {seq} arrived, {expected} expected",
                c.jid
            ));
        }
        expected += 1;
        let now = epoch.elapsed().as_micros();
        latencies_us.push(u64::try_from(now.saturating_sub(sent)).unwrap_or(u64::MAX));
        last = Instant::now();
        window.add_permits(1);
    }
    Ok((c, Received { latencies_us, last }))
}

/// The `p`-th percentile (nearest rank) of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Closes every client and waits (bounded) for the ends, all at once.
async fn close_all(clients: Vec<Client>, timeout: Duration) {
    let mut set = JoinSet::new();
    for mut c in clients {
        set.spawn(async move {
            let _ = c.handle.close().await;
            let _ = tokio::time::timeout(timeout, async {
                while let Some(ev) = c.events.next().await {
                    if matches!(ev, Event::Closed(_)) {
                        break;
                    }
                }
            })
            .await;
        });
    }
    while set.join_next().await.is_some() {}
}

fn report_memory(key: &str, m: Option<Memory>) {
    if let Some(m) = m {
        println!("{key}_rss_kib={}", m.rss_kib);
        println!("{key}_hwm_kib={}", m.hwm_kib);
    }
}

async fn run(a: Args) -> Result<(), String> {
    let cfg = client_config(&a)?;
    let before = memory(a.server_pid)?;
    report_memory("server_before", before);
    let t0 = Instant::now();
    let clients = login_all(&a, &cfg).await?;
    let login_secs = t0.elapsed().as_secs_f64();
    println!("clients={}", clients.len());
    println!("login_secs={login_secs:.3}");
    println!("logins_per_sec={:.1}", clients.len() as f64 / login_secs);
    if let Some(c) = clients.first() {
        println!("mechanism={}", c.mechanism);
    }
    match a.mode {
        Mode::Idle => {
            tokio::time::sleep(a.settle).await;
            let after = memory(a.server_pid)?;
            report_memory("server_after", after);
            if let (Some(b), Some(af)) = (before, after) {
                let per = (af.rss_kib as f64 - b.rss_kib as f64) / clients.len() as f64;
                println!("per_connection_kib={per:.1}");
            }
            tokio::time::sleep(a.hold).await;
            close_all(clients, a.timeout).await;
        }
        Mode::Pairs => {
            let mut online = JoinSet::new();
            for (i, c) in clients.into_iter().enumerate() {
                let timeout = a.timeout;
                online.spawn(async move { go_online(c, timeout).await.map(|c| (i, c)) });
            }
            let mut ready: Vec<Option<Client>> = (0..a.clients).map(|_| None).collect();
            while let Some(r) = online.join_next().await {
                let (i, c) = r.map_err(|e| e.to_string())??;
                if let Some(slot) = ready.get_mut(i) {
                    *slot = Some(c);
                }
            }
            let mut ready: VecDeque<Client> = ready.into_iter().flatten().collect();
            let epoch = Instant::now();
            let mut senders = JoinSet::new();
            let mut receivers = JoinSet::new();
            while let (Some(x), Some(y)) = (ready.pop_front(), ready.pop_front()) {
                let (wx, wy) = (
                    Arc::new(Semaphore::new(a.window)),
                    Arc::new(Semaphore::new(a.window)),
                );
                // x sends to y through window wx (y's receiver releases it), and back.
                senders.spawn(send_side(
                    x.handle.clone(),
                    y.jid.to_string(),
                    a.messages,
                    wx.clone(),
                    epoch,
                    a.timeout,
                ));
                senders.spawn(send_side(
                    y.handle.clone(),
                    x.jid.to_string(),
                    a.messages,
                    wy.clone(),
                    epoch,
                    a.timeout,
                ));
                receivers.spawn(receive_side(y, a.messages, wx, epoch, a.timeout));
                receivers.spawn(receive_side(x, a.messages, wy, epoch, a.timeout));
            }
            while let Some(r) = senders.join_next().await {
                r.map_err(|e| e.to_string())??;
            }
            let mut latencies = Vec::with_capacity(a.clients * a.messages);
            let mut last = epoch;
            let mut done = Vec::with_capacity(a.clients);
            while let Some(r) = receivers.join_next().await {
                let (c, got) = r.map_err(|e| e.to_string())??;
                latencies.extend_from_slice(&got.latencies_us);
                last = last.max(got.last);
                done.push(c);
            }
            let secs = last.duration_since(epoch).as_secs_f64().max(1e-9);
            latencies.sort_unstable();
            println!("messages={}", latencies.len());
            println!("message_secs={secs:.3}");
            println!("messages_per_sec={:.1}", latencies.len() as f64 / secs);
            println!("latency_p50_us={}", percentile(&latencies, 50.0));
            println!("latency_p99_us={}", percentile(&latencies, 99.0));
            println!(
                "latency_max_us={}",
                latencies.last().copied().unwrap_or_default()
            );
            report_memory("server_after", memory(a.server_pid)?);
            close_all(done, a.timeout).await;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // Usage errors exit with status 2, `--help` with 0.
    let args = Args::parse();
    if let Err(e) = check(&args) {
        Args::command().error(ErrorKind::ValueValidation, e).exit();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let deadline = args.deadline;
    let mode = args.mode;
    let outcome = runtime.block_on(async move { tokio::time::timeout(deadline, run(args)).await });
    // Connections still open at the deadline are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("error: the {mode:?} run did not finish within --deadline {deadline:?}");
            ExitCode::FAILURE
        }
    }
}
