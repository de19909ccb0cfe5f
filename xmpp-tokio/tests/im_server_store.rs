//! The IM scenario suite of `xmpp_interop::scenarios` against `serve_im_with` on an
//! `xmpp-store` database (SQLite in memory): the core fed on tokio's blocking pool, on both
//! runtime flavours.

#[path = "../examples/common/tls.rs"]
mod tls;

use xmpp_interop::scenarios::{self, Target};
use xmpp_store::Store;
use xmpp_tokio::{ImServer, ImServerConfig};

/// A running server and its runtime; shut down on drop.
struct Running {
    runtime: tokio::runtime::Runtime,
    server: Option<ImServer<Store>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A server on a fresh database, as the scenarios expect it; `multi_thread` picks the flavour.
fn server(multi_thread: bool) -> (Running, Target) {
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .unwrap();
    // The accounts live in the database: credentials and rosters from one store.
    let store = Store::open_in_memory().unwrap();
    let creds = scenarios::credentials();
    let mut accounts = Vec::new();
    for jid in scenarios::accounts() {
        let name = jid.node().unwrap().to_owned();
        let keys = xmpp_sasl::ScramHash::ALL
            .iter()
            .map(|h| xmpp_sasl::CredentialStore::scram_credentials(&*creds, &name, *h).unwrap())
            .collect();
        accounts.push((jid, keys));
    }
    store.put_credentials(&accounts).unwrap();
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let core = scenarios::core_config();
    let config = ImServerConfig::new(
        core,
        Some((
            material.server_config().unwrap(),
            Some(material.cert.clone()),
        )),
        std::sync::Arc::new(store.credentials(scenarios::DOMAIN)),
    );
    let server = runtime.block_on(async {
        let clients = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let components = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        xmpp_tokio::serve_im_with([clients], [components], config, store).unwrap()
    });
    let target = Target::new(
        server.client_addrs()[0],
        server.component_addrs()[0],
        &scenarios::Trust::certificates(vec![material.cert.clone()]),
    );
    let running = Running {
        runtime,
        server: Some(server),
    };
    (running, target)
}

#[test]
fn roster_set_is_pushed_and_returned_by_roster_get_from_the_database() {
    let (_server, target) = server(true);
    scenarios::roster_get_returns_the_pushed_items(&target);
}

#[test]
fn offline_message_waits_in_the_database_on_a_current_thread_runtime() {
    // The current-thread flavour: the core still runs on the blocking pool, and the one
    // worker thread keeps driving the sockets meanwhile.
    let (running, target) = server(false);
    std::thread::scope(|s| {
        // The runtime only runs while someone blocks on it.
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let notified = stop.clone();
        let driver = s.spawn(|| {
            running
                .runtime
                .block_on(async move { notified.notified().await })
        });
        scenarios::offline_message_is_delivered_with_a_delay_stamp(&target);
        scenarios::presence_reaches_only_subscribed_contacts(&target);
        stop.notify_one();
        driver.join().unwrap();
    });
}
