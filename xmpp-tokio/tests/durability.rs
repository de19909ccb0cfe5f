//! `server --data DIR` keeps what it acknowledged (issue 17): the reference server binary is
//! killed with SIGKILL in the middle of a load of messages to offline and online recipients
//! and roster changes, restarted on the same directory, and what it had accepted is checked;
//! and bad data (not a database, a newer schema) stops it at start with the reason.
//!
//! # What "accepted" means here
//!
//! Without stream management (XEP-0198) a client learns nothing per stanza. But the server
//! core handles one connection's stanzas in order, and it writes the store synchronously
//! while it handles a stanza (the SQLite transaction is committed before the call returns),
//! before it handles the next one. So each sender follows every message with an IQ ping to
//! the server, and **a message is accepted when the ping's result arrives** without an error
//! bounce for the message before it. For a recipient that is offline, accepted means
//! committed to the database: after the restart it must be delivered exactly once. For a
//! recipient that is online, accepted means handed to the recipient's connection, and a
//! connection dies with the process: without XEP-0198 the last stanzas in flight to a
//! recipient can be lost at a crash, on any server. What a crash must not do there is
//! reorder, duplicate, or leave gaps: the messages each online recipient got from each sender
//! are in order, without duplicates, and without any accepted message missing before the
//! last one received; and none of them is stored offline as well (exactly once).
//!
//! A roster change counts when its roster push arrives (the core commits the item, the new
//! version and the change log before it makes the push): after the restart the roster is the
//! result of the pushed changes (or of those and the one change in flight, whose commit may
//! have happened without its push reaching the client), and a versioned roster get with the
//! last pushed version is answered with pushes, not the whole roster, so the version history
//! survived too. A subscription request sent to an offline account before the load is
//! delivered after the restart (pending requests are kept whole).
//!
//! Accounts come from the database after the restart: the first start creates them with
//! `--user` and with the `account add` subcommand; the second start has no `--user`.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::example;
use xmpp_blocking::{Client, ClientConfig, Event, Trust};
use xmpp_interop::run_bounded;
use xmpp_tokio::{BareJid, Element};

const DOMAIN: &str = "localhost";
const PASSWORD: &str = "secret";
const SENDERS: [&str; 2] = ["s0", "s1"];
const ONLINE: [&str; 2] = ["on0", "on1"];
const OFFLINE: [&str; 3] = ["off0", "off1", "off2"];
/// Messages each sender sends at most (the kill comes earlier).
const PER_SENDER: usize = 400;
/// The server is killed once this many messages were accepted in all.
const KILL_AFTER_ACCEPTED: usize = 250;
/// Roster changes at most.
const ROSTER_OPS: usize = 300;
/// The longest any single wait lasts.
const STEP: Duration = Duration::from_secs(20);

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("xmpp-durability-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The server process; SIGKILLed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Certificate and key files for `localhost`, and the certificate to trust.
struct Tls {
    cert: PathBuf,
    key: PathBuf,
    trust: Trust,
}

fn tls(dir: &Path) -> Tls {
    let ck = rcgen::generate_simple_self_signed(vec![DOMAIN.to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let trust = Trust::certificates(vec![ck.cert.der().clone()]);
    Tls { cert, key, trust }
}

/// `server --data DATA ...`; returns once it listens. `log` gets its stderr.
fn start(data: &Path, tls: &Tls, extra: &[&str], log: &Path) -> Server {
    let mut child = Command::new(example("server"))
        .args(["--listen", "127.0.0.1:0", "--domain", DOMAIN, "--data"])
        .arg(data)
        .arg("--tls-cert")
        .arg(&tls.cert)
        .arg("--tls-key")
        .arg(&tls.key)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap());
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "the server did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
    Server { child, port }
}

/// A logged-in client.
struct Peer {
    name: String,
    client: Client,
}

impl Peer {
    fn login(port: u16, tls: &Tls, name: &str) -> Peer {
        let config = ClientConfig::trusting(&tls.trust)
            .unwrap()
            .with_server("127.0.0.1", port);
        let jid: BareJid = format!("{name}@{DOMAIN}").parse().unwrap();
        let client = Client::connect(&jid, PASSWORD, &config)
            .unwrap_or_else(|e| panic!("{name} cannot log in: {e}"));
        Peer {
            name: name.to_owned(),
            client,
        }
    }

    fn send(&mut self, el: &Element) -> Result<(), String> {
        self.client.send(el).map_err(|e| e.to_string())
    }

    /// The next stanza within `timeout` (`Ok(None)`: none), or `Err` when the stream ended.
    fn next(&mut self, timeout: Duration) -> Result<Option<Element>, String> {
        match self.client.recv_timeout(timeout) {
            Ok(Some(Event::Stanza(el))) => Ok(Some(el)),
            Ok(Some(Event::Closed(r))) => Err(format!("{}: closed: {r:?}", self.name)),
            Ok(Some(Event::StreamError(e))) => Err(format!("{}: stream error {e}", self.name)),
            Ok(_) => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// Stanzas up to and including the first that `last` accepts (bounded by [`STEP`]).
    fn until(&mut self, last: impl Fn(&Element) -> bool) -> Result<Vec<Element>, String> {
        let deadline = Instant::now() + STEP;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{}: timed out; got {seen:?}", self.name));
            }
            if let Some(el) = self.next(left)? {
                let done = last(&el);
                seen.push(el);
                if done {
                    return Ok(seen);
                }
            }
        }
    }

    /// Sends an IQ and returns what came before its answer and the answer.
    fn iq(
        &mut self,
        id: &str,
        kind: &str,
        to: Option<&str>,
        payload: Element,
    ) -> Result<(Vec<Element>, Element), String> {
        let mut b = Element::builder("iq", "jabber:client")
            .attr("type", kind.to_owned())
            .attr("id", id.to_owned())
            .child(payload);
        if let Some(to) = to {
            b = b.attr("to", to.to_owned());
        }
        self.send(&b.build())?;
        let mut seen = self.until(|el| {
            el.name() == "iq"
                && el.attr("id") == Some(id)
                && matches!(el.attr("type"), Some("result" | "error"))
        })?;
        let answer = seen.pop().unwrap();
        Ok((seen, answer))
    }

    fn ping(&mut self, id: &str) -> Result<Vec<Element>, String> {
        let (before, answer) = self.iq(
            id,
            "get",
            Some(DOMAIN),
            Element::new("ping", "urn:xmpp:ping"),
        )?;
        if answer.attr("type") != Some("result") {
            return Err(format!("{}: ping refused: {answer:?}", self.name));
        }
        Ok(before)
    }

    fn presence(&mut self, to: Option<&str>, kind: Option<&str>) {
        let mut b = Element::builder("presence", "jabber:client");
        if let Some(to) = to {
            b = b.attr("to", to.to_owned());
        }
        if let Some(kind) = kind {
            b = b.attr("type", kind.to_owned());
        }
        self.send(&b.build()).unwrap();
    }
}

fn chat(to: &str, id: &str, body: &str) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", format!("{to}@{DOMAIN}"))
        .attr("type", "chat")
        .attr("id", id.to_owned())
        .child(Element::builder("body", "jabber:client").text(body.to_owned()))
        .build()
}

fn body(el: &Element) -> Option<String> {
    (el.name() == "message" && el.attr("type") != Some("error"))
        .then(|| {
            el.children()
                .find(|c| c.name() == "body")
                .map(|b| b.text().into_owned())
        })
        .flatten()
}

/// `s0-17` -> ("s0", 17).
fn parse_body(b: &str) -> (String, usize) {
    let (s, i) = b.rsplit_once('-').unwrap();
    (s.to_owned(), i.parse().unwrap())
}

/// What one sender did: per message index, its recipient, and whether it was accepted.
#[derive(Default)]
struct Sent {
    to: Vec<&'static str>,
    accepted: Vec<bool>,
}

fn recipient(sender: usize, i: usize) -> &'static str {
    let all: Vec<&'static str> = ONLINE.iter().chain(OFFLINE.iter()).copied().collect();
    all[(i + sender) % all.len()]
}

fn roster_item(jid: &str, name: Option<&str>, remove: bool) -> Element {
    let mut item = Element::builder("item", "jabber:iq:roster").attr("jid", jid.to_owned());
    if let Some(n) = name {
        item = item.attr("name", n.to_owned());
    }
    if remove {
        item = item.attr("subscription", "remove");
    }
    Element::builder("query", "jabber:iq:roster")
        .child(item.build())
        .build()
}

/// Roster op `k`: every third removes the previous op's contact, the others add `c{k}`.
fn roster_op(k: usize) -> (String, Option<String>) {
    if k % 3 == 2 {
        (format!("c{}@example.org", k - 1), None)
    } else {
        (format!("c{k}@example.org"), Some(format!("n{k}")))
    }
}

/// The roster after the first `n` ops: contact -> name.
fn roster_after(n: usize) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for k in 0..n {
        match roster_op(k) {
            (jid, Some(name)) => {
                m.insert(jid, name);
            }
            (jid, None) => {
                m.remove(&jid);
            }
        }
    }
    m
}

fn roster_items(query: &Element) -> BTreeMap<String, String> {
    query
        .children()
        .filter(|c| c.name() == "item")
        .map(|c| {
            (
                c.attr("jid").unwrap().to_owned(),
                c.attr("name").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn acknowledged_messages_and_roster_changes_survive_kill_9() {
    let dir = scratch("kill");
    let data = dir.0.join("data");
    let tls = tls(&dir.0);

    // One account from the account command, the others from --user on the first start.
    let mut add = Command::new(example("server"));
    add.args(["account", "--data"]).arg(&data).args([
        "--domain",
        DOMAIN,
        "add",
        "rosie",
        "--password",
        PASSWORD,
    ]);
    let out = run_bounded(&mut add, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let users: Vec<String> = SENDERS
        .iter()
        .chain(&ONLINE)
        .chain(&OFFLINE)
        .map(|u| format!("--user={u}:{PASSWORD}"))
        .collect();
    let user_args: Vec<&str> = users.iter().map(String::as_str).collect();
    let mut server = start(&data, &tls, &user_args, &dir.0.join("server1.log"));

    // A subscription request to an offline account, before the load.
    let mut s0 = Peer::login(server.port, &tls, "s0");
    s0.presence(Some("off0@localhost"), Some("subscribe"));
    s0.ping("sub").unwrap();

    // Online recipients: available, then reading until the stream dies.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for name in ONLINE {
        let mut p = Peer::login(server.port, &tls, name);
        p.presence(None, None);
        p.ping("ready").unwrap();
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut got = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                match p.next(Duration::from_millis(200)) {
                    Ok(Some(el)) => got.extend(body(&el)),
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
            got
        }));
    }

    // Senders: a message, then a ping; accepted when the ping's answer came without a bounce.
    let accepted_total = Arc::new(Mutex::new(0usize));
    let mut senders = Vec::new();
    let mut first = Some(s0);
    for (k, name) in SENDERS.iter().enumerate() {
        let mut p = first
            .take()
            .filter(|_| k == 0)
            .unwrap_or_else(|| Peer::login(server.port, &tls, name));
        let total = accepted_total.clone();
        senders.push(std::thread::spawn(move || {
            let mut sent = Sent::default();
            for i in 0..PER_SENDER {
                let to = recipient(k, i);
                let id = format!("{name}-{i}");
                sent.to.push(to);
                sent.accepted.push(false);
                if p.send(&chat(to, &id, &id)).is_err() {
                    break;
                }
                let Ok(before) = p.ping(&format!("ping-{id}")) else {
                    break;
                };
                let bounced = before.iter().any(|el| {
                    el.name() == "message"
                        && el.attr("type") == Some("error")
                        && el.attr("id") == Some(id.as_str())
                });
                assert!(!bounced, "{id} to {to} bounced: {before:?}");
                sent.accepted[i] = true;
                *total.lock().unwrap() += 1;
            }
            sent
        }));
    }

    // Roster changes: each set waits for its result; a change counts when its push came.
    let mut rosie = Peer::login(server.port, &tls, "rosie");
    let (_, first_get) = rosie
        .iq(
            "get0",
            "get",
            None,
            Element::builder("query", "jabber:iq:roster")
                .attr("ver", "")
                .build(),
        )
        .unwrap();
    assert_eq!(first_get.attr("type"), Some("result"));
    let roster = std::thread::spawn(move || {
        let mut sent = 0;
        let mut pushed = 0;
        let mut last_ver = None;
        for k in 0..ROSTER_OPS {
            let (jid, name) = roster_op(k);
            sent = k + 1;
            let Ok((before, answer)) = rosie.iq(
                &format!("r{k}"),
                "set",
                None,
                roster_item(&jid, name.as_deref(), name.is_none()),
            ) else {
                break;
            };
            // A push may come before or after its set's result: count them as they come.
            for push in before
                .iter()
                .filter(|el| el.name() == "iq" && el.attr("type") == Some("set"))
            {
                let query = push.children().next().unwrap();
                let item = query.children().next().unwrap();
                let expected = roster_op(pushed).0;
                assert_eq!(
                    item.attr("jid"),
                    Some(expected.as_str()),
                    "pushes come in order"
                );
                last_ver = query.attr("ver").map(str::to_owned);
                pushed += 1;
                // The client answers pushes (RFC 6121 §2.1.6).
                let reply = Element::builder("iq", "jabber:client")
                    .attr("type", "result")
                    .attr("id", push.attr("id").unwrap().to_owned())
                    .build();
                let _ = rosie.send(&reply);
            }
            if answer.attr("type") != Some("result") {
                break;
            }
        }
        (sent, pushed, last_ver)
    });

    // Kill -9 in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while *accepted_total.lock().unwrap() < KILL_AFTER_ACCEPTED {
        assert!(Instant::now() < deadline, "the load is too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let sent: Vec<Sent> = senders.into_iter().map(|h| h.join().unwrap()).collect();
    stop.store(true, Ordering::SeqCst);
    let online_got: Vec<Vec<String>> = readers.into_iter().map(|h| h.join().unwrap()).collect();
    let (roster_sent, roster_pushed, last_ver) = roster.join().unwrap();
    let accepted: usize = sent
        .iter()
        .map(|s| s.accepted.iter().filter(|a| **a).count())
        .sum();
    let total_sent: usize = sent.iter().map(|s| s.to.len()).sum();
    eprintln!(
        "killed with {accepted} of {total_sent} messages accepted, {roster_pushed} of {roster_sent} roster changes pushed"
    );
    assert!(
        total_sent < SENDERS.len() * PER_SENDER,
        "the kill came after the load ended"
    );
    assert!(roster_pushed > 0);

    // Restart on the same data: no --user, the accounts are in the database.
    let server = start(&data, &tls, &[], &dir.0.join("server2.log"));

    // Offline recipients: every accepted message exactly once, nothing unknown, in order.
    for name in OFFLINE {
        let mut p = Peer::login(server.port, &tls, name);
        p.presence(None, None);
        let got = p.ping("flush").unwrap();
        let bodies: Vec<String> = got.iter().filter_map(body).collect();
        if name == "off0" {
            assert!(
                got.iter().any(|el| el.name() == "presence"
                    && el.attr("type") == Some("subscribe")
                    && el
                        .attr("from")
                        .is_some_and(|f| f.starts_with("s0@localhost"))),
                "the pending subscription request survived: {got:?}"
            );
        }
        check_received(name, &bodies, &sent, true);
    }
    // Online recipients: in order, no duplicates, no gaps; and nothing stored for them.
    for (name, got) in ONLINE.iter().zip(&online_got) {
        check_received(name, got, &sent, false);
        let mut p = Peer::login(server.port, &tls, name);
        p.presence(None, None);
        let stored: Vec<String> = p.ping("flush").unwrap().iter().filter_map(body).collect();
        assert!(
            stored.is_empty(),
            "{name}: delivered and stored as well: {stored:?}"
        );
    }

    // The roster: the pushed changes (and maybe the one in flight); the version history too.
    let mut rosie = Peer::login(server.port, &tls, "rosie");
    let (_, full) = rosie
        .iq(
            "get1",
            "get",
            None,
            Element::new("query", "jabber:iq:roster"),
        )
        .unwrap();
    let items = roster_items(full.children().next().expect("a roster"));
    // Pushed changes are committed; the sets after them (whose push had not come) may be.
    assert!(
        (roster_pushed..=roster_sent).any(|n| items == roster_after(n)),
        "roster after restart: {items:?}\nexpected after {roster_pushed} to {roster_sent} changes, \
         e.g. {:?}",
        roster_after(roster_pushed)
    );
    let ver = last_ver.expect("versioned pushes");
    let (_, answer) = rosie
        .iq(
            "get2",
            "get",
            None,
            Element::builder("query", "jabber:iq:roster")
                .attr("ver", ver.clone())
                .build(),
        )
        .unwrap();
    assert_eq!(answer.attr("type"), Some("result"));
    let resent = answer
        .children()
        .next()
        .map(roster_items)
        .unwrap_or_default();
    assert!(
        resent.is_empty(),
        "a get with the last pushed version ({ver}) got the whole roster back: the change log was lost"
    );
}

/// Checks what `name` received against what was sent to it. `stored`: it was offline, so
/// every accepted message must be there; otherwise (online) accepted messages may be missing
/// only after the last one received from that sender.
fn check_received(name: &str, got: &[String], sent: &[Sent], stored: bool) {
    let mut per_sender: HashMap<String, Vec<usize>> = HashMap::new();
    for b in got {
        let (s, i) = parse_body(b);
        per_sender.entry(s).or_default().push(i);
    }
    for (k, sender) in SENDERS.iter().enumerate() {
        let got = per_sender.remove(*sender).unwrap_or_default();
        let s = &sent[k];
        for w in got.windows(2) {
            assert!(
                w[0] < w[1],
                "{name}: from {sender} out of order or twice: {got:?}"
            );
        }
        for &i in &got {
            assert!(
                i < s.to.len() && s.to[i] == name,
                "{name}: got {sender}-{i}, never sent to it"
            );
        }
        let last = got.last().copied();
        for (i, (to, accepted)) in s.to.iter().zip(&s.accepted).enumerate() {
            if *to != name || !accepted {
                continue;
            }
            let required = stored || last.is_some_and(|l| i <= l);
            assert!(
                !required || got.binary_search(&i).is_ok(),
                "{name}: accepted {sender}-{i} is missing (got {got:?})"
            );
        }
        if stored {
            let accepted =
                s.to.iter()
                    .zip(&s.accepted)
                    .filter(|(t, a)| **t == name && **a)
                    .count();
            assert!(
                accepted > 0,
                "{name}: no accepted message from {sender} to check"
            );
        }
    }
    assert!(
        per_sender.is_empty(),
        "{name}: from unknown senders: {per_sender:?}"
    );
}

/// Runs the server on `data` and expects it to stop at once with `reason` on stderr.
fn refuses_to_start(data: &Path, tls: &Tls, reason: &str) {
    let file = data.join("xmpp.sqlite3");
    let before = std::fs::read(&file).unwrap();
    let mut cmd = Command::new(example("server"));
    cmd.args(["--listen", "127.0.0.1:0", "--domain", DOMAIN, "--data"])
        .arg(data)
        .arg("--tls-cert")
        .arg(&tls.cert)
        .arg("--tls-key")
        .arg(&tls.key);
    let out = run_bounded(&mut cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(reason), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    assert!(
        std::fs::read(&file).unwrap() == before,
        "the file was changed"
    );
}

#[test]
fn a_corrupt_file_or_a_newer_schema_stops_the_server_at_start() {
    let dir = scratch("bad");
    let tls = tls(&dir.0);

    let garbage = dir.0.join("garbage");
    std::fs::create_dir_all(&garbage).unwrap();
    std::fs::write(
        garbage.join("xmpp.sqlite3"),
        b"not a database, a shopping list. ".repeat(200),
    )
    .unwrap();
    refuses_to_start(&garbage, &tls, "not a SQLite database");

    let newer = dir.0.join("newer");
    let mut add = Command::new(example("server"));
    add.args(["account", "--data"]).arg(&newer).args([
        "--domain",
        DOMAIN,
        "add",
        "alice",
        "--password",
        PASSWORD,
    ]);
    assert!(
        run_bounded(&mut add, Duration::from_secs(60))
            .status
            .success()
    );
    {
        let c = rusqlite::Connection::open(newer.join("xmpp.sqlite3")).unwrap();
        c.execute_batch("UPDATE xmpp_store_meta SET value = '999' WHERE key = 'schema_version'")
            .unwrap();
    }
    refuses_to_start(&newer, &tls, "schema version 999 is newer");

    // The account command refuses it too.
    let mut list = Command::new(example("server"));
    list.args(["account", "--data"])
        .arg(&newer)
        .args(["--domain", DOMAIN, "list"]);
    let out = run_bounded(&mut list, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer"));
}
