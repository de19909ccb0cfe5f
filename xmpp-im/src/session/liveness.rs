//! XEP-0199 liveness as a pure timer: when a link has been quiet (nothing received) for
//! [`Liveness::ping_after_quiet`], the session pings the server; when nothing at all arrives
//! within [`Liveness::ping_timeout`] after that, the link is dead. Any stanza counts as an
//! answer (RFC 6120 §4.6.1, XEP-0199 §4.2: an error reply proves the server is there as well
//! as the result does). This module owns the configuration and the timer; the session sends
//! the ping and reports the death.

use std::time::{Duration, Instant};

/// The shortest interval [`Liveness`] uses: shorter ones (zero included) are raised to it, so
/// that a link is never pinged in a loop.
pub const MIN_LIVENESS_INTERVAL: Duration = Duration::from_millis(10);

/// When to ping a quiet link and how long to wait for an answer.
///
/// ```
/// use std::time::Duration;
/// use xmpp_im::session::{Liveness, SessionConfig};
///
/// // A mobile link that NATs forget quickly: ping after 20 s, dead after 10 s more.
/// let config = SessionConfig {
///     liveness: Some(Liveness { ping_after_quiet: Duration::from_secs(20), ping_timeout: Duration::from_secs(10) }),
///     ..SessionConfig::default()
/// };
/// assert!(config.reconnect.is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Liveness {
    /// Ping the server once nothing has arrived for this long. Default: 60 s.
    pub ping_after_quiet: Duration,
    /// The link is dead when nothing arrives this long after the ping. Default: 30 s.
    pub ping_timeout: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            ping_after_quiet: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(30),
        }
    }
}

/// What the timer asks for when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LivenessStep {
    /// Nothing is due.
    Wait,
    /// Send a ping now.
    Ping,
    /// Nothing arrived for this long, ping included: the link is dead.
    Dead(Duration),
}

/// The timer of one link.
#[derive(Debug, Clone)]
pub(super) struct LivenessTimer {
    config: Option<Liveness>,
    /// When something last arrived; `None` while no link is established.
    last_heard: Option<Instant>,
    /// When the unanswered ping went out.
    ping_sent: Option<Instant>,
}

impl LivenessTimer {
    pub(super) fn new(config: Option<Liveness>) -> LivenessTimer {
        LivenessTimer {
            config: config.map(|c| Liveness {
                ping_after_quiet: c.ping_after_quiet.max(MIN_LIVENESS_INTERVAL),
                ping_timeout: c.ping_timeout.max(MIN_LIVENESS_INTERVAL),
            }),
            last_heard: None,
            ping_sent: None,
        }
    }

    /// A link is established at `now`: the watch starts.
    pub(super) fn start(&mut self, now: Instant) {
        self.last_heard = Some(now);
        self.ping_sent = None;
    }

    /// Something arrived at `now` (ignored while no link is watched).
    pub(super) fn heard(&mut self, now: Instant) {
        if let Some(last) = self.last_heard {
            // A clock that went backwards never makes the link look older than it is.
            self.last_heard = Some(last.max(now));
            self.ping_sent = None;
        }
    }

    /// The link is gone: nothing to watch until the next one.
    pub(super) fn stop(&mut self) {
        self.last_heard = None;
        self.ping_sent = None;
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        let config = self.config?;
        let heard = self.last_heard?;
        // An interval too long for the clock means never.
        match self.ping_sent {
            Some(sent) => sent.checked_add(config.ping_timeout),
            None => heard.checked_add(config.ping_after_quiet),
        }
    }

    pub(super) fn handle_timeout(&mut self, now: Instant) -> LivenessStep {
        let (Some(config), Some(heard)) = (self.config, self.last_heard) else {
            return LivenessStep::Wait;
        };
        let due = |at: Option<Instant>| at.is_some_and(|at| now >= at);
        match self.ping_sent {
            Some(sent) if due(sent.checked_add(config.ping_timeout)) => {
                self.stop();
                LivenessStep::Dead(now.saturating_duration_since(heard))
            }
            Some(_) => LivenessStep::Wait,
            None if due(heard.checked_add(config.ping_after_quiet)) => {
                self.ping_sent = Some(now);
                LivenessStep::Ping
            }
            None => LivenessStep::Wait,
        }
    }
}
