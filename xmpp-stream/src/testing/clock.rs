//! A fake clock: [`Clock`], [`t0`] and [`secs`].

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The origin of test time: one `Instant` per process, taken the first time it is asked
/// for. Tests only add durations to it.
pub fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

/// `n` seconds after [`t0`].
pub fn secs(n: u64) -> Instant {
    t0() + Duration::from_secs(n)
}

/// A fake clock: a start instant and a current instant that moves only when told to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    start: Instant,
    now: Instant,
}

impl Clock {
    /// A clock standing at [`t0`].
    pub fn new() -> Clock {
        Clock::starting_at(t0())
    }

    /// A clock standing at `start`.
    pub fn starting_at(start: Instant) -> Clock {
        Clock { start, now: start }
    }

    /// Where the clock started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// How far the clock has moved since it started.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves the clock forward by `by`; returns the new current instant.
    pub fn advance(&mut self, by: Duration) -> Instant {
        self.now += by;
        self.now
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}
