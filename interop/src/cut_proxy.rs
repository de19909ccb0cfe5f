//! [`CutProxy`]: a TCP proxy on loopback that a test can cut, to see what a client and a
//! server do when the link drops. It forwards bytes both ways; [`CutProxy::blackhole`] makes
//! it swallow them (the link looks alive and carries nothing, as a dead mobile link does);
//! [`CutProxy::cut`] closes every connection through it at once, both sides. New connections
//! are forwarded again. Threads and blocking sockets only, so both adapters' tests use it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// What the proxy's threads share.
#[derive(Debug, Default)]
struct Shared {
    /// Bytes are dropped instead of forwarded.
    blackhole: AtomicBool,
    /// The proxy is being dropped.
    stopped: AtomicBool,
    /// Both sockets of every live connection.
    live: Mutex<Vec<(TcpStream, TcpStream)>>,
    accepted: AtomicUsize,
    cuts: AtomicUsize,
}

/// A proxy from a loopback port to `target` that a test can cut: it forwards bytes both
/// ways, [`blackhole`](Self::blackhole) swallows them, [`cut`](Self::cut) closes every
/// connection through it, both sides.
///
/// ```no_run
/// let proxy = xmpp_interop::CutProxy::start("127.0.0.1:5222".parse().unwrap()).unwrap();
/// // Point the client at `proxy.addr()`; later:
/// proxy.cut();
/// ```
#[derive(Debug)]
pub struct CutProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl CutProxy {
    /// Listens on a free port of the target's loopback family and forwards to `target`.
    ///
    /// # Errors
    /// The listener cannot be bound.
    pub fn start(target: SocketAddr) -> std::io::Result<CutProxy> {
        let bind: SocketAddr = if target.is_ipv6() {
            "[::1]:0".parse().map_err(std::io::Error::other)?
        } else {
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?
        };
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accept = shared.clone();
        thread::Builder::new()
            .name("cut-proxy".into())
            .spawn(move || accept_loop(&listener, target, &accept))?;
        Ok(CutProxy { addr, shared })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, bytes in both directions are dropped (connections stay open).
    pub fn blackhole(&self) {
        self.shared.blackhole.store(true, Ordering::SeqCst);
    }

    /// Closes every connection through the proxy, both sides, and forwards again from now
    /// on. Returns how many connections were cut.
    pub fn cut(&self) -> usize {
        let live = std::mem::take(
            &mut *self
                .shared
                .live
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for (a, b) in &live {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
        self.shared.blackhole.store(false, Ordering::SeqCst);
        self.shared.cuts.fetch_add(live.len(), Ordering::SeqCst);
        live.len()
    }

    /// How many connections the proxy accepted.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many connections it cut.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so that it sees `stopped`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn accept_loop(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(server) = TcpStream::connect(target) else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
            client.try_clone(),
            server.try_clone(),
            client.try_clone(),
            server.try_clone(),
        ) else {
            continue;
        };
        shared
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((c3, s3));
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        for (from, to) in [(client, s2), (server, c2)] {
            let shared = shared.clone();
            let spawned = thread::Builder::new()
                .name("cut-proxy-pump".into())
                .spawn(move || pump(from, to, &shared));
            if spawned.is_err() {
                return;
            }
        }
    }
}

/// Copies `from` to `to` until either ends; drops the bytes while black-holed.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if shared.blackhole.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
