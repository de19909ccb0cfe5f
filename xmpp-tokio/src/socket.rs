//! Socket options the adapter sets: DSCP / IPv6 traffic class (UCR-DSCP-1) and `TCP_NODELAY`.

use std::net::SocketAddr;

use tokio::net::TcpStream;

/// Marks the socket's packets with a DSCP code point (0..=63; e.g. 46 = EF, 34 = AF41): the
/// IPv4 TOS byte or the IPv6 traffic class becomes `dscp << 2`.
pub fn set_dscp(stream: &TcpStream, dscp: u8) -> std::io::Result<()> {
    if dscp > 63 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a DSCP code point is 0..=63",
        ));
    }
    let sock = socket2::SockRef::from(stream);
    let value = u32::from(dscp) << 2;
    match stream.peer_addr().or_else(|_| stream.local_addr())? {
        SocketAddr::V4(_) => sock.set_tos(value),
        SocketAddr::V6(_) => sock.set_tclass_v6(value),
    }
}

/// The DSCP code point the socket's packets carry.
pub fn dscp(stream: &TcpStream) -> std::io::Result<u8> {
    let sock = socket2::SockRef::from(stream);
    let value = match stream.peer_addr().or_else(|_| stream.local_addr())? {
        SocketAddr::V4(_) => sock.tos()?,
        SocketAddr::V6(_) => sock.tclass_v6()?,
    };
    Ok(u8::try_from(value >> 2).unwrap_or(u8::MAX))
}

/// Applies the adapter's socket settings to a fresh connection.
pub(crate) fn prepare(stream: &TcpStream, dscp: Option<u8>) {
    let _ = stream.set_nodelay(true);
    if let Some(d) = dscp {
        if let Err(e) = set_dscp(stream, d) {
            tracing::warn!(error = %e, dscp = d, "could not set DSCP");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pair(addr: &str) -> (TcpStream, TcpStream) {
        let l = tokio::net::TcpListener::bind(addr).await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn ucr_dscp_1_marks_ipv4_sockets() {
        let (a, _b) = pair("127.0.0.1:0").await;
        set_dscp(&a, 46).unwrap();
        assert_eq!(dscp(&a).unwrap(), 46);
    }

    #[tokio::test]
    async fn ucr_dscp_1_marks_ipv6_sockets() {
        let Ok(l) = tokio::net::TcpListener::bind("[::1]:0").await else {
            panic!("IPv6 loopback is not available on this machine");
        };
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        set_dscp(&a, 34).unwrap();
        assert_eq!(dscp(&a).unwrap(), 34);
    }

    #[tokio::test]
    async fn ucr_dscp_1_refuses_out_of_range_code_points() {
        let (a, _b) = pair("127.0.0.1:0").await;
        assert!(set_dscp(&a, 64).is_err());
    }
}
