//! Memory of an idle, negotiated connection machine: `size_of::<Connection>()` plus the
//! heap it keeps, measured with a counting global allocator. The numbers are printed (run
//! with `--nocapture`) and recorded in the benchmark notes; the test asserts the 8 KiB
//! budget for a machine without TLS.

mod conn_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use conn_support::*;
use xmpp_stream::connection::Connection;
use xmpp_stream::profile::Profile;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: `ptr` was allocated by `alloc` above with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The allocator counts every thread: the measuring tests run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Heap kept by `keep` once `other` (and everything else made on the way) is dropped.
fn heap_of(make: impl FnOnce() -> (Connection, Connection)) -> (Connection, isize) {
    let before = live();
    let (keep, other) = make();
    drop(other);
    let after = live();
    (keep, after - before)
}

fn negotiated_plaintext() -> (Connection, Connection) {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(c.is_established() && s.is_established());
    (c, s)
}

#[test]
fn idle_negotiated_machine_fits_in_8_kib_without_tls() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Warm up lazily initialised statics (the test clock, the store's PBKDF2) first.
    let _ = negotiated_plaintext();
    let size = std::mem::size_of::<Connection>();
    let (server, server_heap) = heap_of(|| {
        let (c, s) = negotiated_plaintext();
        (s, c)
    });
    let (client, client_heap) = heap_of(negotiated_plaintext);
    println!("size_of::<Connection>() = {size} bytes");
    println!(
        "idle negotiated c2s receiver (no TLS): heap {server_heap} bytes, total {}",
        server_heap + size as isize
    );
    println!(
        "idle negotiated c2s initiator (no TLS): heap {client_heap} bytes, total {}",
        client_heap + size as isize
    );
    assert!(server.is_established() && client.is_established());
    assert!(
        server_heap + size as isize <= 8 * 1024,
        "receiver: {server_heap} + {size}"
    );
    assert!(
        client_heap + size as isize <= 8 * 1024,
        "initiator: {client_heap} + {size}"
    );
}

#[test]
fn idle_negotiated_machine_with_tls_is_measured() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = TestPki::example();
    let _ = negotiated_plaintext();
    let make = || {
        let mut c = client(ClientOpts::tls(&pki));
        let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
        let mut t = Transcript::default();
        pump(&mut c, &mut s, secs(0), &mut t);
        assert!(c.is_established() && s.is_established());
        (s, c)
    };
    let _ = make();
    let (server, server_heap) = heap_of(make);
    println!(
        "idle negotiated c2s receiver (TLS 1.3, rustls): heap {server_heap} bytes, total {}",
        server_heap + std::mem::size_of::<Connection>() as isize
    );
    assert!(server.is_established());
    assert!(server_heap > 0);
}
