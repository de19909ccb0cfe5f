//! Where to connect: SRV lookups feeding the core's resolution plan, and A/AAAA.
//!
//! This module owns the blocking DNS lookups; the decision of *where* to connect (RFC 6120
//! §3.2 ordering, XEP-0368 Direct TLS records, fallback to the domain on 5222, "." meaning
//! no service) is the core's [`xmpp_stream::resolve`] plan.
//!
//! Why this design: hickory-resolver's blocking `Resolver` is gone from recent releases and
//! the older one ran a tokio runtime inside, which this crate must not have in its tree.
//! So SRV lookups go through the [`SrvResolver`] trait. The default, [`SystemSrvResolver`],
//! sends one query per name to the name servers of `/etc/resolv.conf` over UDP (TCP when
//! the answer is truncated) with a timeout; the DNS messages are built and parsed by the
//! `simple-dns` crate, never by hand. Host names are resolved to addresses by the system
//! (`ToSocketAddrs`, i.e. `getaddrinfo`, honouring `/etc/hosts`). Integrators with their own
//! resolver implement [`SrvResolver`].

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use simple_dns::rdata::RData;
use simple_dns::{CLASS, Name, Packet, PacketFlag, QCLASS, QTYPE, Question, RCODE, TYPE};
use xmpp_stream::resolve::{SrvAnswers, SrvRecord};

use crate::error::Error;

/// Answers SRV queries, blocking.
pub trait SrvResolver: Send + Sync {
    /// The SRV records of `name` (fully qualified, with the trailing dot). `Ok(None)`: the
    /// name has no SRV records (NXDOMAIN or no data).
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error>;

    /// Like [`lookup_srv`](Self::lookup_srv), with how long the answer may be cached
    /// (`None`: not at all). The default caches nothing.
    fn lookup_srv_ttl(&self, name: &str) -> Result<SrvLookup, Error> {
        Ok(SrvLookup {
            records: self.lookup_srv(name)?,
            ttl: None,
        })
    }
}

/// An SRV answer and its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvLookup {
    /// The records (`None`: no SRV records).
    pub records: Option<Vec<SrvRecord>>,
    /// How long the answer may be reused (the least TTL of the records).
    pub ttl: Option<Duration>,
}

/// Most names a [`CachingSrvResolver`] remembers.
const CACHE_MAX_ENTRIES: usize = 256;

/// Caches another resolver's answers within their TTL (RFC 6120 §13.9.2, UCR-TCP-15), so
/// reconnecting does not query DNS again. Answers without a TTL are not cached; at most
/// 256 names are kept (expired entries go first, then the whole cache is cleared).
#[derive(Debug)]
pub struct CachingSrvResolver<R> {
    inner: R,
    cache: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, SrvLookup)>>,
}

impl<R: SrvResolver> CachingSrvResolver<R> {
    /// Caches `inner`'s answers.
    pub fn new(inner: R) -> Self {
        CachingSrvResolver {
            inner,
            cache: std::sync::Mutex::default(),
        }
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: SrvResolver> SrvResolver for CachingSrvResolver<R> {
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        Ok(self.lookup_srv_ttl(name)?.records)
    }

    fn lookup_srv_ttl(&self, name: &str) -> Result<SrvLookup, Error> {
        let now = std::time::Instant::now();
        {
            let cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((expiry, answer)) = cache.get(name) {
                if now < *expiry {
                    return Ok(answer.clone());
                }
            }
        }
        let answer = self.inner.lookup_srv_ttl(name)?;
        if let Some(ttl) = answer.ttl {
            let mut cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.len() >= CACHE_MAX_ENTRIES {
                cache.retain(|_, (expiry, _)| now < *expiry);
                if cache.len() >= CACHE_MAX_ENTRIES {
                    cache.clear();
                }
            }
            cache.insert(name.to_owned(), (now + ttl, answer.clone()));
        }
        Ok(answer)
    }
}

/// No SRV lookups: every domain uses the A/AAAA fallback (the domain on port 5222).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoSrv;

impl SrvResolver for NoSrv {
    fn lookup_srv(&self, _name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        Ok(None)
    }
}

/// SRV lookups against the system's name servers (`/etc/resolv.conf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSrvResolver {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: u32,
}

/// Largest DNS message over UDP we accept (EDNS-less 512 is the minimum; allow more).
const UDP_MAX: usize = 4096;
/// Largest DNS message over TCP we accept.
const TCP_MAX: usize = 65535;

impl SystemSrvResolver {
    /// The name servers, timeout and attempts of `/etc/resolv.conf` (127.0.0.1 if it has
    /// none or cannot be read).
    pub fn from_system() -> Self {
        let parsed = std::fs::read("/etc/resolv.conf")
            .ok()
            .and_then(|bytes| resolv_conf::Config::parse(bytes).ok());
        match parsed {
            Some(cfg) if !cfg.nameservers.is_empty() => SystemSrvResolver {
                servers: cfg
                    .nameservers
                    .iter()
                    .map(|ip| SocketAddr::new(IpAddr::from(ip), 53))
                    .collect(),
                timeout: Duration::from_secs(u64::from(cfg.timeout.clamp(1, 30))),
                attempts: cfg.attempts.clamp(1, 5),
            },
            _ => SystemSrvResolver::with_servers(vec![SocketAddr::from(([127, 0, 0, 1], 53))]),
        }
    }

    /// Explicit name servers, 5 s timeout, 2 attempts.
    pub fn with_servers(servers: Vec<SocketAddr>) -> Self {
        SystemSrvResolver {
            servers,
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }

    /// Sets the per-query timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    fn query(&self, server: SocketAddr, name: &str, id: u16) -> Result<Vec<u8>, String> {
        let mut packet = Packet::new_query(id);
        packet.set_flags(PacketFlag::RECURSION_DESIRED);
        let qname = Name::new(name).map_err(|e| e.to_string())?;
        packet.questions.push(Question::new(
            qname,
            QTYPE::TYPE(TYPE::SRV),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        let query = packet.build_bytes_vec().map_err(|e| e.to_string())?;
        let bind: SocketAddr = if server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
        sock.connect(server).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        sock.send(&query).map_err(|e| e.to_string())?;
        let mut buf = vec![0; UDP_MAX];
        // Stray or garbled datagrams do not extend the time given to the query.
        let deadline = std::time::Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err("timed out".into());
            }
            sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .map_err(|e| e.to_string())?;
            let n = sock.recv(&mut buf).map_err(|e| e.to_string())?;
            let answer = &buf[..n];
            // Ignore stray datagrams with another id.
            match Packet::parse(answer) {
                Ok(p) if p.id() == id => {
                    if p.has_flags(PacketFlag::TRUNCATION) {
                        return self.query_tcp(server, &query);
                    }
                    return Ok(answer.to_vec());
                }
                _ => continue,
            }
        }
    }

    fn query_tcp(&self, server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, String> {
        let mut s = TcpStream::connect_timeout(&server, self.timeout).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        let len = u16::try_from(query.len()).map_err(|_| "query too long".to_owned())?;
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        s.write_all(&framed).map_err(|e| e.to_string())?;
        let mut len = [0u8; 2];
        s.read_exact(&mut len).map_err(|e| e.to_string())?;
        let len = usize::from(u16::from_be_bytes(len)).min(TCP_MAX);
        let mut answer = vec![0; len];
        s.read_exact(&mut answer).map_err(|e| e.to_string())?;
        Ok(answer)
    }
}

/// Reads the SRV records out of a DNS answer. `Ok(None)`: NXDOMAIN or no SRV data.
pub fn parse_srv_answer(answer: &[u8]) -> Result<Option<Vec<SrvRecord>>, String> {
    Ok(parse_srv_lookup(answer)?.records)
}

/// Reads the SRV records and their least TTL out of a DNS answer (negative answers carry no
/// TTL here and are not cached).
pub fn parse_srv_lookup(answer: &[u8]) -> Result<SrvLookup, String> {
    let packet = Packet::parse(answer).map_err(|e| e.to_string())?;
    match packet.rcode() {
        RCODE::NoError => {}
        RCODE::NameError => {
            return Ok(SrvLookup {
                records: None,
                ttl: None,
            });
        }
        other => return Err(format!("server answered {other:?}")),
    }
    let mut ttl: Option<u32> = None;
    let records: Vec<SrvRecord> = packet
        .answers
        .iter()
        .filter_map(|rr| match &rr.rdata {
            RData::SRV(srv) => {
                ttl = Some(ttl.map_or(rr.ttl, |t| t.min(rr.ttl)));
                Some(SrvRecord::new(
                    srv.priority,
                    srv.weight,
                    srv.port,
                    srv.target.to_string(),
                ))
            }
            _ => None,
        })
        .collect();
    Ok(if records.is_empty() {
        SrvLookup {
            records: None,
            ttl: None,
        }
    } else {
        SrvLookup {
            records: Some(records),
            ttl: ttl.map(|t| Duration::from_secs(u64::from(t))),
        }
    })
}

impl SrvResolver for SystemSrvResolver {
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        Ok(self.lookup_srv_ttl(name)?.records)
    }

    fn lookup_srv_ttl(&self, name: &str) -> Result<SrvLookup, Error> {
        let mut last = String::from("no name server configured");
        let mut id_seed = rand_core::OsRng;
        for _ in 0..self.attempts {
            for server in &self.servers {
                let id = rand_core::RngCore::next_u32(&mut id_seed) as u16;
                match self
                    .query(*server, name, id)
                    .and_then(|answer| parse_srv_lookup(&answer))
                {
                    Ok(records) => return Ok(records),
                    Err(e) => last = format!("{server}: {e}"),
                }
            }
        }
        Err(Error::Dns {
            name: name.to_owned(),
            reason: last,
        })
    }
}

/// Looks up both SRV names (STARTTLS and Direct TLS) of `domain` for `kind`.
pub fn srv_answers(
    resolver: &dyn SrvResolver,
    domain: &str,
    kind: xmpp_stream::resolve::ServiceKind,
) -> Result<SrvAnswers, Error> {
    use xmpp_stream::resolve::srv_owner_name;
    Ok(SrvAnswers {
        starttls: resolver.lookup_srv(&srv_owner_name(domain, kind, false))?,
        direct_tls: resolver.lookup_srv(&srv_owner_name(domain, kind, true))?,
    })
}

/// The addresses of `host` (A and AAAA, system order) with `port`.
pub fn host_addrs(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .map_err(|e| Error::Dns {
            name: host.to_owned(),
            reason: e.to_string(),
        })
}
