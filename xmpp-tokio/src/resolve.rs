//! DNS for the client: SRV lookups feeding the core's resolution plan, A/AAAA lookups of
//! each attempt's host, and happy-eyeballs connection racing (RFC 8305).
//!
//! This module owns the lookups and the TCP connects; *where* to connect and in which order
//! is [`xmpp_stream::resolve::plan`]'s decision.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use xmpp_stream::resolve::{self, ResolutionPlan, ServiceKind, SrvAnswers, SrvRecord};

use crate::error::ConnectError;

/// Looks up `_xmpp-client._tcp.DOMAIN` and `_xmpps-client._tcp.DOMAIN` and builds the plan.
pub async fn plan_for(
    resolver: &TokioResolver,
    domain: &str,
    rng: &mut (dyn rand_core::RngCore + Send),
) -> Result<ResolutionPlan, ConnectError> {
    let starttls_name = resolve::srv_owner_name(domain, ServiceKind::Client, false);
    let direct_name = resolve::srv_owner_name(domain, ServiceKind::Client, true);
    let starttls = srv(resolver, &starttls_name);
    let direct = srv(resolver, &direct_name);
    let (starttls, direct) = tokio::join!(starttls, direct);
    let answers = SrvAnswers {
        starttls: starttls?,
        direct_tls: direct?,
    };
    Ok(resolve::plan(domain, ServiceKind::Client, &answers, rng))
}

/// One SRV lookup; "no records" is `Ok(None)`, other failures are errors.
async fn srv(resolver: &TokioResolver, name: &str) -> Result<Option<Vec<SrvRecord>>, ConnectError> {
    match resolver.srv_lookup(name).await {
        Ok(lookup) => Ok(Some(
            lookup
                .iter()
                .map(|r| SrvRecord::new(r.priority(), r.weight(), r.port(), r.target().to_ascii()))
                .collect(),
        )),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(None),
        Err(e) => Err(ConnectError::Dns {
            name: name.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// The addresses of `host` (an IP literal needs no lookup), interleaved by family, IPv6
/// first (RFC 8305 §4).
pub async fn addresses(
    resolver: &TokioResolver,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let ips = resolver
        .lookup_ip(host)
        .await
        .map_err(|e| ConnectError::Dns {
            name: host.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(interleave(ips.iter().map(|ip| SocketAddr::new(ip, port))))
}

/// Alternates address families, starting with IPv6, keeping the order within each family.
pub fn interleave(addrs: impl IntoIterator<Item = SocketAddr>) -> Vec<SocketAddr> {
    let (v6, v4): (Vec<_>, Vec<_>) = addrs.into_iter().partition(SocketAddr::is_ipv6);
    let mut out = Vec::with_capacity(v6.len() + v4.len());
    let (mut a, mut b) = (v6.into_iter(), v4.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

/// Connects to the first address that answers: each attempt starts `delay` after the
/// previous one (or at once when it failed), the first to succeed wins and the others are
/// dropped (RFC 8305 §5). Bounded by the number of addresses.
pub async fn happy_eyeballs(
    addrs: &[SocketAddr],
    delay: Duration,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut pending = addrs.iter().copied();
    let mut racing: JoinSet<(SocketAddr, std::io::Result<TcpStream>)> = JoinSet::new();
    let mut last: Option<(SocketAddr, std::io::Error)> = None;
    let mut start_next = |racing: &mut JoinSet<_>| match pending.next() {
        Some(addr) => {
            racing.spawn(async move { (addr, TcpStream::connect(addr).await) });
            true
        }
        None => false,
    };
    if !start_next(&mut racing) {
        return Err(ConnectError::Tcp {
            addr: None,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address to connect to"),
        });
    }
    let mut more = true;
    loop {
        tokio::select! {
            joined = racing.join_next() => match joined {
                Some(Ok((addr, Ok(stream)))) => return Ok((stream, addr)),
                Some(Ok((addr, Err(e)))) => {
                    tracing::debug!(%addr, error = %e, "connect failed");
                    last = Some((addr, e));
                    more = start_next(&mut racing);
                }
                Some(Err(join)) => {
                    last = Some((addrs[0], std::io::Error::other(join.to_string())));
                    more = start_next(&mut racing);
                }
                None => break,
            },
            () = tokio::time::sleep(delay), if more => {
                more = start_next(&mut racing);
            }
        }
    }
    let (addr, source) = last.map_or(
        (None, std::io::Error::other("no address answered")),
        |(a, e)| (Some(a), e),
    );
    Err(ConnectError::Tcp { addr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_alternates_families_ipv6_first() {
        let a: Vec<SocketAddr> = ["127.0.0.1:1", "127.0.0.2:1", "[::1]:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let out = interleave(a);
        assert_eq!(out[0], "[::1]:1".parse().unwrap());
        assert_eq!(out[1], "127.0.0.1:1".parse().unwrap());
        assert_eq!(out[2], "127.0.0.2:1".parse().unwrap());
    }

    #[tokio::test]
    async fn ucr_tcp_10_happy_eyeballs_skips_a_refused_address() {
        // A port that was just free: connecting is refused.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open_addr = open.local_addr().unwrap();
        let (_, addr) = happy_eyeballs(&[closed, open_addr], Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(addr, open_addr);
    }

    #[tokio::test]
    async fn happy_eyeballs_reports_the_last_failure() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        match happy_eyeballs(&[closed], Duration::from_millis(10)).await {
            Err(ConnectError::Tcp { addr, .. }) => assert_eq!(addr, Some(closed)),
            other => panic!("unexpected {other:?}"),
        }
    }
}
