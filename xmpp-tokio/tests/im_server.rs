//! The IM scenario suite of `xmpp_interop::scenarios` against `serve_im`: STARTTLS and SCRAM
//! for the clients, an XEP-0114 component on its own listener, a fresh server (on a runtime
//! of its own) per scenario; the scenarios' blocking clients run on the test thread.

#[path = "../examples/common/tls.rs"]
mod tls;

use xmpp_interop::scenarios::{self, Target};
use xmpp_tokio::{ImServer, ImServerConfig};

/// A running server and its runtime; shut down on drop.
struct Running {
    runtime: tokio::runtime::Runtime,
    server: Option<ImServer>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A server as the scenarios expect it, and how to reach it.
fn server() -> (Running, Target) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let core = scenarios::core_config();
    let mut config = ImServerConfig::new(
        core,
        Some((
            material.server_config().unwrap(),
            Some(material.cert.clone()),
        )),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let server = runtime.block_on(async {
        let clients = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let components = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        xmpp_tokio::serve_im([clients], [components], config).unwrap()
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
