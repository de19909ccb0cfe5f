//! When to ask for an acknowledgement: [`AckPolicy`] (after so many stanzas or so much
//! time) and [`AckRequester`], its state, driven by the caller's clock.

use std::time::{Duration, Instant};

/// When to send `<r/>`: once `stanzas` stanzas were sent since the last request, or once
/// the oldest of them is `delay` old, whichever comes first. One request is outstanding
/// at a time: no new `<r/>` before the `<a/>` answering the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckPolicy {
    /// Stanzas sent since the last request that trigger one. Default 5; 0 or 1: after
    /// every stanza.
    pub stanzas: u32,
    /// How long a sent stanza may wait before a request. Default 30 s.
    pub delay: Duration,
}

impl AckPolicy {
    /// The defaults: 5 stanzas or 30 seconds.
    pub const DEFAULT: AckPolicy = AckPolicy {
        stanzas: 5,
        delay: Duration::from_secs(30),
    };
}

impl Default for AckPolicy {
    fn default() -> Self {
        AckPolicy::DEFAULT
    }
}

/// Decides when to send `<r/>`, with time handed in (no clock is read).
///
/// Call [`on_sent`](Self::on_sent) for every stanza sent, [`on_ack`](Self::on_ack) for
/// every `<a/>` received, and [`poll_ack_request`](Self::poll_ack_request) after sending
/// and in every timeout (whose instant [`poll_timeout`](Self::poll_timeout) gives): when it
/// returns `true`, send `<r/>`. `poll_ack_request(now)` is `true` exactly when
/// `poll_timeout()` is at or before `now`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use xmpp_stream::stream_management::{AckPolicy, AckRequester};
/// let t0 = Instant::now();
/// let mut r = AckRequester::new(AckPolicy { stanzas: 3, delay: Duration::from_secs(10) });
/// r.on_sent(t0);
/// assert!(!r.poll_ack_request(t0));
/// assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(10)));
/// assert!(r.poll_ack_request(t0 + Duration::from_secs(10))); // send <r/>
/// assert_eq!(r.poll_timeout(), None); // until the <a/> comes
/// r.on_ack();
/// for _ in 0..3 { r.on_sent(t0); }
/// assert!(r.poll_ack_request(t0)); // three stanzas: at once
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AckRequester {
    policy: AckPolicy,
    /// Stanzas sent since the last request.
    unrequested: u32,
    /// When the oldest of them was sent.
    oldest: Option<Instant>,
    /// A request is sent and its `<a/>` has not come.
    outstanding: bool,
}

impl AckRequester {
    /// Nothing sent, nothing requested.
    pub fn new(policy: AckPolicy) -> AckRequester {
        AckRequester {
            policy,
            unrequested: 0,
            oldest: None,
            outstanding: false,
        }
    }

    /// The policy.
    pub fn policy(&self) -> AckPolicy {
        self.policy
    }

    /// A stanza was sent at `now`.
    pub fn on_sent(&mut self, now: Instant) {
        self.unrequested = self.unrequested.saturating_add(1);
        self.oldest.get_or_insert(now);
    }

    /// An `<a/>` arrived: a new request may go out.
    pub fn on_ack(&mut self) {
        self.outstanding = false;
    }

    /// A `<r/>` was sent outside the policy (e.g. the queue is full, or before closing):
    /// the stanzas sent so far count as requested.
    pub fn on_request_sent(&mut self) {
        self.unrequested = 0;
        self.oldest = None;
        self.outstanding = true;
    }

    /// The stream was cut, or resumed: no request is outstanding, and stanzas sent
    /// (or retransmitted) from now on start a new count.
    pub fn reset(&mut self) {
        self.unrequested = 0;
        self.oldest = None;
        self.outstanding = false;
    }

    /// Whether a request is sent and not answered yet.
    pub fn is_outstanding(&self) -> bool {
        self.outstanding
    }

    /// Whether to send `<r/>` now; `true` also records the request as sent.
    pub fn poll_ack_request(&mut self, now: Instant) -> bool {
        match self.poll_timeout() {
            Some(due) if due <= now => {
                self.on_request_sent();
                true
            }
            _ => false,
        }
    }

    /// When a request becomes due (`None`: nothing to request, or a request outstanding).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.outstanding {
            return None;
        }
        let oldest = self.oldest?;
        if self.unrequested >= self.policy.stanzas {
            return Some(oldest);
        }
        // A delay beyond what `Instant` can hold: never by time.
        oldest.checked_add(self.policy.delay)
    }
}
