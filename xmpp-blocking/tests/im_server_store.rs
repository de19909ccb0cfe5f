//! The IM scenario suite of `xmpp_interop::scenarios` against `ImServer::bind_with_storage`
//! on an `xmpp-store` database (SQLite in memory): accounts, rosters and offline messages in
//! the database, the core calling it on the connection threads.

use std::sync::Arc;

use xmpp_blocking::{ImServer, ServerConfig, ServerHandle, Trust};
use xmpp_interop::scenarios::{self, Target};
use xmpp_store::Store;
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;

/// A server on a fresh database, as the scenarios expect it (stops on drop).
fn server() -> (ServerHandle<Store>, Target) {
    let store = Store::open_in_memory().unwrap();
    let creds = scenarios::credentials();
    let accounts: Vec<_> = scenarios::accounts()
        .into_iter()
        .map(|jid| {
            let name = jid.node().unwrap().to_owned();
            let keys = xmpp_sasl::ScramHash::ALL
                .iter()
                .map(|h| xmpp_sasl::CredentialStore::scram_credentials(&*creds, &name, *h).unwrap())
                .collect();
            (jid, keys)
        })
        .collect();
    store.put_credentials(&accounts).unwrap();
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let core = scenarios::core_config();
    let config = ServerConfig::new(
        core,
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        Arc::new(store.credentials(scenarios::DOMAIN)),
    );
    let server = ImServer::bind_with_storage("127.0.0.1:0", config, store)
        .unwrap()
        .bind_components("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let target = Target::new(
        server.local_addr(),
        server.component_addrs()[0],
        &Trust::certificates(vec![pki.ca]),
    );
    (server, target)
}

#[test]
fn offline_message_waits_in_the_database() {
    let (server, target) = server();
    scenarios::offline_message_is_delivered_with_a_delay_stamp(&target);
    let dave = "dave@localhost".parse().unwrap();
    // Delivered, so no longer stored.
    assert_eq!(
        server.inspect(|core| xmpp_blocking::xmpp_server::Storage::offline_count(
            core.storage(),
            &dave
        )),
        Ok(0)
    );
}

#[test]
fn roster_set_is_pushed_and_returned_by_roster_get_from_the_database() {
    let (_server, target) = server();
    scenarios::roster_get_returns_the_pushed_items(&target);
}
