//! The IM scenario suite of `xmpp_interop::scenarios` against `ImServer`: STARTTLS and SCRAM
//! for the clients, an XEP-0114 component on its own listener, a fresh server per scenario.

use std::sync::Arc;

use xmpp_blocking::{ImServer, ServerConfig, ServerHandle, Trust};
use xmpp_interop::scenarios::{self, Target};
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;

/// A server as the scenarios expect it, and how to reach it (the server stops on drop).
fn server() -> (ServerHandle, Target) {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let core = scenarios::core_config();
    let mut config = ServerConfig::new(
        core,
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let server = ImServer::bind("127.0.0.1:0", config)
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

/// UCR-ROUTE-9 (bare JID, an available resource)
#[test]
fn ucr_route_13_chat_by_full_and_bare_jid() {
    let (_server, target) = server();
    scenarios::chat_by_full_and_bare_jid(&target);
}

/// UCR-PRES-3 (initial presence), UCR-PRES-19 (updates); the D1 presence leak.
#[test]
fn ucr_pres_19_presence_without_to_reaches_only_subscribed_contacts() {
    let (_server, target) = server();
    scenarios::presence_reaches_only_subscribed_contacts(&target);
}

/// UCR-ROSTER-14, UCR-ROSTER-30
#[test]
fn ucr_roster_31_roster_set_is_pushed_and_returned_by_roster_get() {
    let (_server, target) = server();
    scenarios::roster_get_returns_the_pushed_items(&target);
}

#[test]
fn ucr_route_9_offline_message_is_delivered_with_a_delay_stamp() {
    let (_server, target) = server();
    scenarios::offline_message_is_delivered_with_a_delay_stamp(&target);
}

#[test]
fn ucr_route_7_component_receives_its_domain_and_its_reply_reaches_the_user() {
    let (_server, target) = server();
    scenarios::component_round_trip(&target);
}

/// UCR-XEP-5 (XEP-0030 on the server)
#[test]
fn ucr_elev_42_server_answers_ping_and_disco_info_from_its_domain() {
    let (_server, target) = server();
    scenarios::server_answers_ping_and_disco_info(&target);
}

/// UCR-BIND-6 (the server generates the resource)
#[test]
fn ucr_bind_7_same_resource_twice_gets_a_generated_one() {
    let (_server, target) = server();
    scenarios::same_resource_twice_gets_a_generated_one(&target);
}
