//! DNS SRV resolution end to end: a fake DNS server on loopback answers
//! `_xmpp-client._tcp.example.test` with an SRV record and the target's A and AAAA records;
//! `connect` follows the core's plan, races the addresses (the AAAA one is refused) and
//! logs into the reference server behind it.

#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, SRV};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use xmpp_tokio::ClientConfig;

/// Answers queries from a fixed table; records every question asked. Bounded: serves at
/// most 64 queries.
async fn fake_dns(port_for_srv: u16) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        for _ in 0..64 {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut resp = Message::new();
            resp.set_id(query.id());
            resp.set_message_type(MessageType::Response);
            resp.set_recursion_desired(query.recursion_desired());
            resp.set_recursion_available(true);
            let mut found = false;
            for q in query.queries() {
                resp.add_query(q.clone());
                let name = q.name().to_ascii().to_lowercase();
                log.lock()
                    .unwrap()
                    .push(format!("{} {}", q.query_type(), name));
                let rdata = match (q.query_type(), name.as_str()) {
                    (RecordType::SRV, "_xmpp-client._tcp.example.test.") => {
                        Some(RData::SRV(SRV::new(
                            5,
                            0,
                            port_for_srv,
                            Name::from_ascii("xmpp.example.test.").unwrap(),
                        )))
                    }
                    (RecordType::A, "xmpp.example.test.") => Some(RData::A(A(Ipv4Addr::LOCALHOST))),
                    (RecordType::AAAA, "xmpp.example.test.") => {
                        Some(RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)))
                    }
                    _ => None,
                };
                if let Some(r) = rdata {
                    found = true;
                    resp.add_answer(Record::from_rdata(q.name().clone(), 60, r));
                }
            }
            if !found {
                resp.set_response_code(ResponseCode::NXDomain);
            }
            if let Ok(bytes) = resp.to_vec() {
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    });
    (addr, asked)
}

/// UCR-TCP-3, UCR-TCP-8, UCR-TCP-9, UCR-TCP-10: SRV lookup of `_xmpp-client._tcp`, the
/// target resolved to A and AAAA, the refused address skipped, the next one connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_tcp_3_srv_target_is_resolved_and_raced_to_the_server() {
    let material = tls::TlsMaterial::generate("example.test").unwrap();
    let users = [("alice".to_owned(), "secret".to_owned())];
    let server = setup::Reference::start(
        &["127.0.0.1:0".parse().unwrap()],
        "example.test",
        &users,
        &material,
    )
    .await
    .unwrap();
    let port = server.addrs()[0].port();
    let (dns, asked) = fake_dns(port).await;
    let group = NameServerConfigGroup::from_ips_clear(&[dns.ip()], dns.port(), true);
    let mut opts = ResolverOpts::default();
    opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
    opts.attempts = 1;
    let resolver = hickory_resolver::TokioResolver::builder_with_config(
        ResolverConfig::from_parts(None, vec![], group),
        TokioConnectionProvider::default(),
    )
    .with_options(opts)
    .build();
    let mut cfg = ClientConfig::new(material.client_config().unwrap());
    cfg.resolver = Some(resolver);
    let client = xmpp_tokio::connect(&"alice@example.test".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    assert_eq!(client.jid.to_bare().as_str(), "alice@example.test");
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked.contains(&"SRV _xmpp-client._tcp.example.test.".to_owned()),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"SRV _xmpps-client._tcp.example.test.".to_owned()),
        "{asked:?}"
    );
    assert!(
        asked.iter().any(|q| q.ends_with(" xmpp.example.test.")),
        "{asked:?}"
    );
    client.handle.close().await.unwrap();
    server.shutdown().await;
}
