//! An in-memory duplex pipe: `Read + Write` ends, blocking (with an optional read timeout)
//! or non-blocking (`WouldBlock` when empty).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Buf {
    data: VecDeque<u8>,
    closed: bool,
}

type Shared = Arc<(Mutex<Buf>, Condvar)>;

/// One end of the pipe.
pub struct PipeEnd {
    rx: Shared,
    tx: Shared,
    nonblocking: bool,
    timeout: Mutex<Option<Duration>>,
    /// Every byte written through this end, for inspection.
    pub written: Arc<Mutex<Vec<u8>>>,
}

/// Two connected ends.
pub fn pipe(nonblocking: bool) -> (PipeEnd, PipeEnd) {
    let a: Shared = Arc::default();
    let b: Shared = Arc::default();
    let end = |rx: &Shared, tx: &Shared| PipeEnd {
        rx: rx.clone(),
        tx: tx.clone(),
        nonblocking,
        timeout: Mutex::new(None),
        written: Arc::default(),
    };
    (end(&a, &b), end(&b, &a))
}

impl PipeEnd {
    /// Sets the blocking read timeout (`None`: wait forever).
    pub fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        *self.timeout.lock().unwrap() = d;
        Ok(())
    }

    /// Closes the write side: the peer reads end of file once drained.
    pub fn shutdown(&self) {
        let (m, c) = &*self.tx;
        m.lock().unwrap().closed = true;
        c.notify_all();
    }
}

impl Read for PipeEnd {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let (m, c) = &*self.rx;
        let mut buf = m.lock().unwrap();
        if buf.data.is_empty() && !buf.closed {
            if self.nonblocking {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let timeout = *self.timeout.lock().unwrap();
            buf = match timeout {
                None => c
                    .wait_while(buf, |b| b.data.is_empty() && !b.closed)
                    .unwrap(),
                Some(d) => {
                    c.wait_timeout_while(buf, d, |b| b.data.is_empty() && !b.closed)
                        .unwrap()
                        .0
                }
            };
            if buf.data.is_empty() && !buf.closed {
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
        let n = out.len().min(buf.data.len());
        for (slot, byte) in out.iter_mut().zip(buf.data.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl Write for PipeEnd {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let (m, c) = &*self.tx;
        let mut buf = m.lock().unwrap();
        if buf.closed {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        buf.data.extend(data);
        self.written.lock().unwrap().extend_from_slice(data);
        c.notify_all();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
