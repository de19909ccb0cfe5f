//! Bring your own socket: a [`Connection`] driven over any `Read + Write`.
//!
//! This module owns moving bytes between a transport and the machine: partial writes,
//! read timeouts derived from the machine's [`poll_timeout`](Connection::poll_timeout)
//! (keepalives and protocol timers run without a background thread), end of file, and the
//! single-step [`Driver::process`] for integrators who run their own poll loop over a
//! non-blocking transport. The same job as the tokio adapter's `driver` module:
//! [`Client`](crate::Client) and [`Component`](crate::Component) run on a
//! `Driver<TcpStream>`, the typed client [`Session`](crate::Session) on a `Client`.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use xmpp_stream::connection::{Connection, Event};
use xmpp_stream::xml::Element;

use crate::error::Error;

/// Read buffer size (one TLS record plus its overhead).
const READ_CHUNK: usize = 17 * 1024;
/// Most bytes [`Driver::process`] reads in one call before handing control back.
const PROCESS_READ_BUDGET: usize = 64 * 1024;

/// How a transport's read timeout is set (`None`: the transport has none).
type SetReadTimeout<T> = fn(&T, Option<Duration>) -> io::Result<()>;

/// What one [`Driver::process`] step left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// When `process` must be called again at the latest (the machine's next timer).
    pub next_timeout: Option<Instant>,
    /// Output is still waiting for the transport to become writable.
    pub wants_write: bool,
    /// The read budget ran out before the transport said `WouldBlock`: call again.
    pub read_again: bool,
    /// The transport reached end of file.
    pub eof: bool,
}

/// A machine and its transport: the bytes between them, timers and read timeouts.
#[derive(Debug)]
pub struct Driver<T> {
    conn: Connection,
    io: T,
    buf: Vec<u8>,
    eof: bool,
    set_read_timeout: Option<SetReadTimeout<T>>,
}

impl<T: Read + Write> Driver<T> {
    /// Drives `conn` over `io`. Blocking reads on a transport without read timeouts wait
    /// for the next byte; timers are then only checked between reads.
    pub fn new(conn: Connection, io: T) -> Self {
        Driver {
            conn,
            io,
            buf: vec![0; READ_CHUNK],
            eof: false,
            set_read_timeout: None,
        }
    }

    /// Like [`new`](Self::new), with a function that sets the transport's read timeout, so
    /// that [`next_event`](Self::next_event) wakes for the machine's timers and deadlines.
    pub fn with_read_timeout(conn: Connection, io: T, set: SetReadTimeout<T>) -> Self {
        let mut s = Driver::new(conn, io);
        s.set_read_timeout = Some(set);
        s
    }

    /// The machine.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The machine, to send or close through it directly (then call [`flush`](Self::flush)
    /// or [`process`](Self::process)).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The machine and the transport (output not yet written is dropped).
    pub fn into_parts(self) -> (Connection, T) {
        (self.conn, self.io)
    }

    /// Whether the transport reached end of file.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Sends a stanza and writes it out (on a non-blocking transport, what does not fit now
    /// is written by the next [`flush`](Self::flush) or [`process`](Self::process)).
    pub fn send(&mut self, element: &Element) -> Result<(), Error> {
        self.conn.send(element)?;
        self.flush()?;
        Ok(())
    }

    /// Writes all pending output. Returns `Ok(false)` if a non-blocking transport said
    /// `WouldBlock` (the rest is kept for the next call).
    pub fn flush(&mut self) -> Result<bool, Error> {
        // Written straight from the machine's buffer; what does not fit stays there.
        while !self.conn.pending_transmit().is_empty() {
            match self.io.write(self.conn.pending_transmit()) {
                Ok(0) => return Err(Error::Io(ErrorKind::WriteZero.into())),
                Ok(n) => self.conn.consume_transmit(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    return Err(Error::Timeout { during: "write" });
                }
                Err(e) => return Err(Error::Io(e)),
            }
        }
        match self.io.flush() {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(Error::Io(e)),
        }
    }

    /// [`flush`](Self::flush) on a blocking transport: anything left unwritten is a write
    /// timeout.
    fn flush_blocking(&mut self) -> Result<(), Error> {
        if self.flush()? {
            Ok(())
        } else {
            Err(Error::Timeout { during: "write" })
        }
    }

    /// One step for an integrator's own poll loop over a non-blocking transport: writes
    /// pending output, reads what is available (until `WouldBlock`, end of file or a read
    /// budget), fires due timers, writes again. Take events with
    /// [`poll_event`](Self::poll_event) afterwards, and call again when the transport is
    /// readable or writable or at [`Step::next_timeout`].
    pub fn process(&mut self, now: Instant) -> Result<Step, Error> {
        self.flush()?;
        let mut read = 0;
        let mut read_again = false;
        while !self.eof && !self.conn.is_closed() {
            if read >= PROCESS_READ_BUDGET {
                read_again = true;
                break;
            }
            match self.io.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.conn.handle_eof(now);
                }
                Ok(n) => {
                    read += n;
                    self.conn.handle_input(now, &self.buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(e) => return Err(Error::Io(e)),
            }
        }
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
        }
        let written = self.flush()?;
        Ok(Step {
            next_timeout: self.conn.poll_timeout(),
            wants_write: !written,
            read_again,
            eof: self.eof,
        })
    }

    /// The next event already decoded, without any I/O.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.conn.poll_event()
    }

    /// Blocks until the next event, or until `deadline` (`Ok(None)`). Output (answers the
    /// machine made, keepalives) is written before waiting; the machine's timers fire on time
    /// when the transport has read timeouts. After the stream is over and its
    /// [`Event::Closed`] was returned, this returns [`Error::Closed`].
    ///
    /// Meant for blocking transports: on a non-blocking one without read timeouts it spins.
    /// A blocking socket whose write timeout expires reports `WouldBlock` (Linux): that is
    /// [`Error::Timeout`] here.
    pub fn next_event(&mut self, deadline: Option<Instant>) -> Result<Option<Event>, Error> {
        loop {
            if let Some(event) = self.conn.poll_event() {
                self.flush_or_lose_transport();
                return Ok(Some(event));
            }
            self.flush_or_lose_transport();
            if self.conn.is_closed() {
                return Err(Error::Closed(
                    xmpp_stream::connection::CloseReason::TransportClosed,
                ));
            }
            let now = Instant::now();
            if self.conn.poll_timeout().is_some_and(|t| t <= now) {
                self.conn.handle_timeout(now);
                continue;
            }
            if deadline.is_some_and(|d| d <= now) {
                return Ok(None);
            }
            if self.eof {
                self.conn.handle_eof(now);
                continue;
            }
            let wake = match (deadline, self.conn.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(set) = self.set_read_timeout {
                // A zero timeout means "block forever" to the OS: wait at least 1 ms.
                let wait = wake.map(|w| {
                    w.saturating_duration_since(now)
                        .max(Duration::from_millis(1))
                });
                set(&self.io, wait)?;
            }
            match self.io.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.conn.handle_eof(Instant::now());
                }
                Ok(n) => self.conn.handle_input(Instant::now(), &self.buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    // The transport is gone (a reset): the machine ends the stream as at end of
                    // file, and its last events (a managed session's `Detached`, `Closed`)
                    // still come out.
                    tracing::debug!(error = %e, "read failed");
                    self.eof = true;
                    self.conn.handle_eof(Instant::now());
                }
            }
        }
    }

    /// Writes what is pending; a transport that fails (or times out) is lost: the machine ends
    /// the stream as at end of file and what it still had to write is dropped.
    fn flush_or_lose_transport(&mut self) {
        if let Err(e) = self.flush_blocking() {
            tracing::debug!(error = %e, "write failed");
            self.eof = true;
            self.conn.handle_eof(Instant::now());
            self.conn.consume_transmit(usize::MAX);
        }
    }
}

impl Driver<TcpStream> {
    /// A driver over a TCP stream, with read timeouts following the machine's timers.
    pub fn tcp(conn: Connection, stream: TcpStream) -> Self {
        Driver::with_read_timeout(conn, stream, TcpStream::set_read_timeout)
    }
}
