//! SRV resolution: the system resolver against a fake name server on loopback, and the
//! client following a plan given by a pluggable resolver.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use simple_dns::rdata::{RData, SRV};
use simple_dns::{CLASS, Name, Packet, PacketFlag, RCODE, ResourceRecord};
use std::sync::atomic::{AtomicUsize, Ordering};
use xmpp_blocking::dns::{
    CachingSrvResolver, SrvLookup, SrvResolver, SystemSrvResolver, parse_srv_answer,
    parse_srv_lookup,
};
use xmpp_blocking::{Client, Error};
use xmpp_stream::resolve::SrvRecord;

/// How the fake name server answers.
#[derive(Clone, Copy)]
enum Answer {
    Records,
    NxDomain,
    TruncatedThenTcp,
}

fn reply(query: &[u8], answer: Answer, truncated: bool) -> Vec<u8> {
    let q = Packet::parse(query).unwrap();
    let mut r = Packet::new_reply(q.id());
    let qname = q.questions[0].qname.to_string();
    r.questions.push(q.questions[0].clone());
    match answer {
        Answer::NxDomain => *r.rcode_mut() = RCODE::NameError,
        _ if truncated => r.set_flags(PacketFlag::TRUNCATION),
        _ => {
            for (prio, port) in [(20, 5223), (10, 5222)] {
                r.answers.push(ResourceRecord::new(
                    Name::new_unchecked(&qname).into_owned(),
                    CLASS::IN,
                    300,
                    RData::SRV(SRV {
                        priority: prio,
                        weight: 0,
                        port,
                        target: Name::new_unchecked("xmpp.example.com"),
                    }),
                ));
            }
        }
    }
    r.build_bytes_vec().unwrap()
}

/// A name server answering one query over UDP (and, after truncation, one over TCP).
fn fake_server(answer: Answer) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap();
    let udp = UdpSocket::bind(addr).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let (n, peer) = udp.recv_from(&mut buf).unwrap();
        let truncated = matches!(answer, Answer::TruncatedThenTcp);
        udp.send_to(&reply(&buf[..n], answer, truncated), peer)
            .unwrap();
        if truncated {
            let (mut s, _) = tcp.accept().unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).unwrap();
            let mut q = vec![0; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut q).unwrap();
            let r = reply(&q, answer, false);
            s.write_all(&(r.len() as u16).to_be_bytes()).unwrap();
            s.write_all(&r).unwrap();
        }
    });
    addr
}

fn expected() -> Option<Vec<SrvRecord>> {
    Some(vec![
        SrvRecord::new(20, 0, 5223, "xmpp.example.com"),
        SrvRecord::new(10, 0, 5222, "xmpp.example.com"),
    ])
}

#[test]
fn system_resolver_reads_srv_records_over_udp() {
    let server = fake_server(Answer::Records);
    let r = SystemSrvResolver::with_servers(vec![server]);
    let got = r.lookup_srv("_xmpp-client._tcp.example.com.").unwrap();
    assert_eq!(got, expected());
}

#[test]
fn system_resolver_retries_over_tcp_when_truncated() {
    let server = fake_server(Answer::TruncatedThenTcp);
    let r = SystemSrvResolver::with_servers(vec![server]);
    let got = r.lookup_srv("_xmpp-client._tcp.example.com.").unwrap();
    assert_eq!(got, expected());
}

#[test]
fn nxdomain_means_no_records() {
    let server = fake_server(Answer::NxDomain);
    let r = SystemSrvResolver::with_servers(vec![server]);
    assert_eq!(
        r.lookup_srv("_xmpp-client._tcp.example.com.").unwrap(),
        None
    );
}

#[test]
fn silent_name_server_is_a_dns_error_not_a_hang() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let r = SystemSrvResolver::with_servers(vec![silent.local_addr().unwrap()])
        .timeout(Duration::from_millis(50));
    let err = r.lookup_srv("_xmpp-client._tcp.example.com.").unwrap_err();
    assert!(matches!(err, Error::Dns { .. }), "{err:?}");
}

#[test]
fn garbage_answer_is_an_error() {
    assert!(parse_srv_answer(b"\x00\x01garbage").is_err());
    assert!(parse_srv_answer(b"").is_err());
}

/// Answers `_xmpp-client._tcp.localhost.` with one record; no Direct TLS records.
struct Fixed(Vec<SrvRecord>);

impl SrvResolver for Fixed {
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        Ok((name == "_xmpp-client._tcp.localhost.").then(|| self.0.clone()))
    }
}

#[test]
fn ucr_tcp_11_client_tries_the_next_srv_target_after_a_dead_one() {
    let (server, ca) = support::tls_server();
    let port = server.local_addr().port();
    let mut config = support::client_config(&server, &ca);
    config.server = None;
    // A dead first choice (lower priority value, tried first), then the live server.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    config.srv = Arc::new(Fixed(vec![
        SrvRecord::new(1, 0, dead_port, "127.0.0.1."),
        SrvRecord::new(5, 0, port, "127.0.0.1."),
    ]));
    let client = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    assert_eq!(client.jid().to_bare().as_str(), "alice@localhost");
    client.close().unwrap();
}

#[test]
fn srv_target_dot_means_no_service() {
    let mut config =
        xmpp_blocking::ClientConfig::trusting(&xmpp_blocking::Trust::webpki_roots()).unwrap();
    config.srv = Arc::new(Fixed(vec![SrvRecord::new(0, 0, 0, ".")]));
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    assert!(matches!(err, Error::NoService { .. }), "{err:?}");
}

#[test]
fn answers_carry_the_least_ttl_of_their_records() {
    let query = {
        let mut q = Packet::new_query(7);
        q.questions.push(simple_dns::Question::new(
            Name::new_unchecked("_xmpp-client._tcp.example.com"),
            simple_dns::QTYPE::TYPE(simple_dns::TYPE::SRV),
            simple_dns::QCLASS::CLASS(CLASS::IN),
            false,
        ));
        q.build_bytes_vec().unwrap()
    };
    let lookup = parse_srv_lookup(&reply(&query, Answer::Records, false)).unwrap();
    assert_eq!(lookup.records, expected());
    assert_eq!(lookup.ttl, Some(Duration::from_secs(300)));
    let nx = parse_srv_lookup(&reply(&query, Answer::NxDomain, false)).unwrap();
    assert_eq!(
        nx,
        SrvLookup {
            records: None,
            ttl: None
        }
    );
}

/// Counts queries; answers with a fixed TTL.
struct Counting {
    queries: AtomicUsize,
    ttl: Option<Duration>,
}

impl SrvResolver for Counting {
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        Ok(self.lookup_srv_ttl(name)?.records)
    }
    fn lookup_srv_ttl(&self, _name: &str) -> Result<SrvLookup, Error> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        Ok(SrvLookup {
            records: expected(),
            ttl: self.ttl,
        })
    }
}

#[test]
fn ucr_tcp_15_answers_are_reused_within_their_ttl() {
    let cached = CachingSrvResolver::new(Counting {
        queries: AtomicUsize::new(0),
        ttl: Some(Duration::from_secs(3600)),
    });
    let name = "_xmpp-client._tcp.example.com.";
    assert_eq!(cached.lookup_srv(name).unwrap(), expected());
    assert_eq!(cached.lookup_srv(name).unwrap(), expected());
    let other = "_xmpps-client._tcp.example.com.";
    assert_eq!(cached.lookup_srv(other).unwrap(), expected());
    // Two names, two queries: the repeat came from the cache.
    assert_eq!(count(&cached), 2);
}

#[test]
fn ucr_tcp_15_expired_or_ttl_less_answers_are_queried_again() {
    for ttl in [Some(Duration::ZERO), None] {
        let cached = CachingSrvResolver::new(Counting {
            queries: AtomicUsize::new(0),
            ttl,
        });
        let name = "_xmpp-client._tcp.example.com.";
        cached.lookup_srv(name).unwrap();
        cached.lookup_srv(name).unwrap();
        assert_eq!(count(&cached), 2, "ttl {ttl:?}");
    }
}

fn count(c: &CachingSrvResolver<Counting>) -> usize {
    c.inner().queries.load(Ordering::SeqCst)
}
