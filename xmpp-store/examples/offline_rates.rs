//! Offline-message store and flush rates of the backends, through the core's `Storage` trait:
//!
//! ```text
//! cargo run --release -p xmpp-store --example offline_rates [-- MESSAGES [POSTGRES_PARAMS]]
//! ```
//!
//! For each backend: `MESSAGES` (default 20,000) messages stored one by one (one transaction
//! each, as the server stores them) for 100 accounts in turn, then every account's queue taken
//! (one statement per account, as a login flushes it). SQLite runs on a file in the temporary
//! directory with `synchronous=FULL` (the default: an fsync per commit) and `NORMAL`. With
//! `--features postgres` and connection parameters, PostgreSQL too. Prints messages/s.

use std::time::Instant;

use xmpp_server::{MemoryStorage, Storage};
use xmpp_stanza::Message;
use xmpp_store::{Limits, SqliteOptions, Store, Synchronous};

const ACCOUNTS: usize = 100;

fn message(n: usize) -> Message {
    let el: xmpp_stream::xml::Element = format!(
        "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard' \
         to='juliet@example.com' id='m{n}'><body>message number {n}, a line of chat</body>\
         <delay xmlns='urn:xmpp:delay' from='example.com' stamp='2024-01-01T00:00:00Z'/></message>"
    )
    .parse()
    .unwrap();
    Message::try_from(&el).unwrap()
}

fn run<S: Storage>(name: &str, store: &mut S, messages: usize) {
    let users: Vec<xmpp_jid::BareJid> = (0..ACCOUNTS)
        .map(|i| format!("user{i}@example.com").parse().unwrap())
        .collect();
    for u in &users {
        store.open_account(u).unwrap();
    }
    let batch: Vec<Message> = (0..messages).map(message).collect();
    let start = Instant::now();
    for (i, m) in batch.into_iter().enumerate() {
        store.store_offline(&users[i % ACCOUNTS], m).unwrap();
    }
    let stored = start.elapsed();
    let start = Instant::now();
    let mut taken = 0;
    for u in &users {
        taken += store.take_offline(u).unwrap().len();
    }
    let flushed = start.elapsed();
    assert_eq!(taken, messages);
    println!(
        "{name:<28} store {:>9.0} msg/s   flush {:>9.0} msg/s",
        messages as f64 / stored.as_secs_f64(),
        messages as f64 / flushed.as_secs_f64()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().map_or(20_000, |n| n.parse().expect("MESSAGES"));
    let limits = {
        let mut l = Limits::default();
        l.max_offline_per_account = messages;
        l
    };
    run("memory", &mut MemoryStorage::new(messages), messages);
    for (name, sync) in [
        ("sqlite (synchronous=FULL)", Synchronous::Full),
        ("sqlite (synchronous=NORMAL)", Synchronous::Normal),
    ] {
        let dir = std::env::temp_dir().join(format!("xmpp-store-rates-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut options = SqliteOptions::default();
        options.synchronous = sync;
        let mut store = Store::open_with(dir.join("rates.sqlite3"), &options)
            .unwrap()
            .with_limits(limits);
        run(name, &mut store, messages);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[cfg(feature = "postgres")]
    if let Some(params) = args.next() {
        let mut store = Store::connect_postgres(&params)
            .unwrap()
            .with_limits(limits);
        run("postgresql", &mut store, messages);
    }
    #[cfg(not(feature = "postgres"))]
    if args.next().is_some() {
        eprintln!("PostgreSQL needs --features postgres");
    }
}
