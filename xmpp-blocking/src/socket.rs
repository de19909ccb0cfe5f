//! Socket options: DiffServ marking of outgoing packets (UCR-DSCP-1).

use std::io;
use std::net::{SocketAddr, TcpStream};

use socket2::SockRef;

/// Marks the stream's outgoing packets with `dscp` (0..=63): the IPv4 TOS byte or the IPv6
/// traffic class becomes `dscp << 2` (the ECN bits stay zero).
pub fn set_dscp(stream: &TcpStream, dscp: u8) -> io::Result<()> {
    if dscp > 63 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("DSCP {dscp} is out of range 0..=63"),
        ));
    }
    let sock = SockRef::from(stream);
    let value = u32::from(dscp) << 2;
    match stream.local_addr()? {
        SocketAddr::V4(_) => sock.set_tos(value),
        SocketAddr::V6(_) => sock.set_tclass_v6(value),
    }
}

/// The DSCP the stream's outgoing packets carry.
pub fn dscp(stream: &TcpStream) -> io::Result<u8> {
    let sock = SockRef::from(stream);
    let value = match stream.local_addr()? {
        SocketAddr::V4(_) => sock.tos()?,
        SocketAddr::V6(_) => sock.tclass_v6()?,
    };
    Ok(((value >> 2) & 0x3f) as u8)
}
