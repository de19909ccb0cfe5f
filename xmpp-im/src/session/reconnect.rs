//! Reconnection as pure decisions: why a link ended ([`DisconnectReason`]) and whether that
//! is worth another attempt, the delay schedule ([`Backoff`]: exponential, capped, with
//! jitter) and the policy that bounds the attempts ([`Reconnect`]), and the counter an
//! adapter keeps between attempts ([`Reconnector`]). No clock, no randomness and no I/O of
//! its own: time and the random source are handed in, the adapters sleep and connect.
//!
//! The rules, in [`DisconnectReason::should_reconnect`]: a lost transport, a silent link, a
//! server shutting down or restarting, a failed attempt to reach the server are worth another
//! attempt; a decision about *this client* is not: `<conflict/>` (another client took the
//! resource over: do not fight it), `<not-authorized/>`, `<policy-violation/>`, a host the
//! server does not (or no longer) serve, a redirect (`<see-other-host/>`, not followed yet),
//! refused credentials, a certificate refused, the server's SCRAM proof failing, a TLS or
//! mechanism policy that cannot be met.

use std::time::{Duration, Instant};

use rand_core::RngCore;
use xmpp_stream::connection::{CloseReason, LoginError, NegotiationFailure};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::tls_failure::TlsFailure;

/// Why a session lost its link, or why an attempt to make a new one failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The stream ended: a closing handshake, a stream error (ours or the server's), the
    /// transport closed, TLS failed.
    Stream(CloseReason),
    /// XEP-0199 liveness: nothing arrived for `silent_for` (a quiet period, then a ping that
    /// got no answer in time); the adapter dropped the transport.
    Unresponsive {
        /// How long nothing had arrived when the link was declared dead.
        silent_for: Duration,
    },
    /// A reconnection attempt reached the server but did not log in (credentials refused,
    /// a certificate refused, a stream error during negotiation, ...).
    Login(LoginError),
    /// A reconnection attempt did not reach a server: name resolution, TCP, or a timeout.
    /// The adapter's error, as text (each adapter has its own error type).
    ConnectFailed(String),
    /// A reconnection attempt could not even start: the configuration or the credentials
    /// were refused locally. Never retried.
    Configuration(String),
}

impl DisconnectReason {
    /// Whether another attempt can help. Yes for a lost transport, a silent link, a server
    /// shutting down or restarting, a failed attempt to reach the server. No for a decision
    /// about *this client*: `<conflict/>` (another client took the resource over: do not
    /// fight it), `<not-authorized/>`, `<policy-violation/>`, a host the server does not (or
    /// no longer) serve, a redirect (`<see-other-host/>`, not followed yet), an unsupported
    /// version, refused credentials, a refused certificate, the server's SCRAM proof
    /// failing, a TLS or mechanism policy that cannot be met, a configuration refused
    /// locally.
    ///
    /// ```
    /// use xmpp_im::session::DisconnectReason;
    /// use xmpp_stream::connection::CloseReason;
    /// use xmpp_stream::stream_error::{StreamCondition, StreamError};
    ///
    /// assert!(DisconnectReason::Stream(CloseReason::TransportClosed).should_reconnect());
    /// let shutdown = StreamError::new(StreamCondition::SystemShutdown);
    /// assert!(DisconnectReason::Stream(CloseReason::PeerError(shutdown)).should_reconnect());
    /// // Another client took the resource over: do not fight it.
    /// let conflict = StreamError::new(StreamCondition::Conflict);
    /// assert!(!DisconnectReason::Stream(CloseReason::PeerError(conflict)).should_reconnect());
    /// ```
    pub fn should_reconnect(&self) -> bool {
        match self {
            DisconnectReason::Stream(reason) => close_reason_allows(reason),
            DisconnectReason::Unresponsive { .. } | DisconnectReason::ConnectFailed(_) => true,
            DisconnectReason::Login(error) => login_error_allows(error),
            DisconnectReason::Configuration(_) => false,
        }
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisconnectReason::Stream(reason) => write!(f, "the stream ended: {reason:?}"),
            DisconnectReason::Unresponsive { silent_for } => {
                write!(f, "no answer from the server for {silent_for:?}")
            }
            DisconnectReason::Login(e) => write!(f, "the login failed: {e}"),
            DisconnectReason::ConnectFailed(e) => write!(f, "the server was not reached: {e}"),
            DisconnectReason::Configuration(e) => write!(f, "the connection was refused: {e}"),
        }
    }
}

/// Stream errors that are a decision about this client (or this address), which another
/// attempt would only repeat.
fn stream_condition_allows(condition: StreamCondition) -> bool {
    !matches!(
        condition,
        StreamCondition::Conflict
            | StreamCondition::NotAuthorized
            | StreamCondition::PolicyViolation
            | StreamCondition::HostGone
            | StreamCondition::HostUnknown
            | StreamCondition::SeeOtherHost
            | StreamCondition::UnsupportedVersion
    )
}

fn close_reason_allows(reason: &CloseReason) -> bool {
    match reason {
        CloseReason::PeerError(error) => stream_condition_allows(error.condition()),
        CloseReason::TlsFailed(failure) => tls_failure_allows(failure),
        CloseReason::StartTlsFailed => false,
        CloseReason::NegotiationFailed(failure) => negotiation_failure_allows(failure),
        // Our own stream error answers something the server sent (bad XML, an oversized
        // stanza): a new stream may well not repeat it. A graceful close we did not ask for,
        // a timeout, a lost transport: the server may be back.
        _ => true,
    }
}

fn tls_failure_allows(failure: &TlsFailure) -> bool {
    !matches!(failure, TlsFailure::Certificate { .. })
}

fn negotiation_failure_allows(failure: &NegotiationFailure) -> bool {
    matches!(
        failure,
        NegotiationFailure::NoBind
            | NegotiationFailure::BindRefused(_)
            | NegotiationFailure::MalformedBindResult
            | NegotiationFailure::BadSaslEncoding
    )
}

fn login_error_allows(error: &LoginError) -> bool {
    match error {
        LoginError::Auth { .. } | LoginError::StartTlsRefused => false,
        LoginError::Tls(failure) => tls_failure_allows(failure),
        LoginError::Stream { error, by_peer } => {
            !*by_peer || stream_condition_allows(error.condition())
        }
        LoginError::Negotiation(failure) => negotiation_failure_allows(failure),
        _ => true,
    }
}

/// The delay before each reconnection attempt: `initial`, multiplied by `multiplier` per
/// attempt, capped at `max`, then shortened by up to `jitter` (a fraction) at random so that
/// clients cut off together do not come back together.
///
/// Out-of-range values have a defined meaning: a `multiplier` below 1 (or NaN) is 1; a
/// `jitter` outside 0..=1 is clamped (NaN is 0); a `max` below `initial` caps every delay at
/// `max`. Attempt 0 is attempt 1.
///
/// ```
/// use std::time::Duration;
/// use xmpp_im::session::Backoff;
/// # use rand_core::SeedableRng;
/// # let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
///
/// let backoff = Backoff { jitter: 0.0, ..Backoff::default() };
/// assert_eq!(backoff.next_delay(1, &mut rng), Duration::from_secs(1));
/// assert_eq!(backoff.next_delay(4, &mut rng), Duration::from_secs(8));
/// assert_eq!(backoff.next_delay(40, &mut rng), backoff.max);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay before the first attempt (before jitter). Default: 1 s.
    pub initial: Duration,
    /// No delay is longer. Default: 5 minutes.
    pub max: Duration,
    /// The factor between one attempt's delay and the next. Default: 2.
    pub multiplier: f64,
    /// The fraction of each delay that is random: a delay `d` becomes a value in
    /// `(d × (1 − jitter), d]`. Default: 0.5.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            multiplier: 2.0,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The delay before attempt number `attempt` (1 for the first), with jitter drawn from
    /// `rng`. Never longer than [`max`](Self::max).
    pub fn next_delay<R: RngCore + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        let base = self.base_delay(attempt);
        let jitter = if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        };
        // 53 random bits: a uniform fraction in [0, 1).
        let fraction = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let scaled = base.as_secs_f64() * (1.0 - jitter * fraction);
        Duration::try_from_secs_f64(scaled)
            .unwrap_or(base)
            .min(base)
    }

    /// The delay before attempt `attempt` without jitter: `initial × multiplier^(attempt−1)`,
    /// capped at `max`.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let multiplier = if self.multiplier.is_nan() || self.multiplier < 1.0 {
            1.0
        } else {
            self.multiplier
        };
        let exponent = i32::try_from(attempt.max(1) - 1).unwrap_or(i32::MAX);
        let grown = self.initial.as_secs_f64() * multiplier.powi(exponent);
        match Duration::try_from_secs_f64(grown) {
            Ok(delay) => delay.min(self.max),
            // Too large to be a duration (or infinite): the cap.
            Err(_) => self.max,
        }
    }
}

/// How an adapter reconnects: the delays, how many attempts, and when a link counts as
/// having worked.
///
/// ```
/// use std::time::Duration;
/// use xmpp_im::session::{Backoff, Reconnect};
///
/// // A test or an impatient client: quick attempts, at most five in a row.
/// let reconnect = Reconnect {
///     backoff: Backoff { initial: Duration::from_millis(10), max: Duration::from_millis(100), ..Backoff::default() },
///     max_attempts: Some(5),
///     ..Reconnect::default()
/// };
/// assert_eq!(reconnect.max_attempts, Some(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reconnect {
    /// The delay before each attempt.
    pub backoff: Backoff,
    /// Attempts in a row before giving up (`None`: never give up, the default: a bot keeps
    /// trying, at most [`Backoff::max`] apart). `Some(0)` never reconnects.
    pub max_attempts: Option<u32>,
    /// A link that stayed up this long (online, roster in) worked: the next loss starts the
    /// schedule again from the first attempt. A link lost sooner continues the count, so a
    /// server that accepts the login and drops the link at once is not hammered. Default:
    /// 60 s.
    pub stable_after: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            backoff: Backoff::default(),
            max_attempts: None,
            stable_after: Duration::from_secs(60),
        }
    }
}

/// The next reconnection attempt an adapter makes: its number (1 for the first after a
/// working link) and the delay to wait before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first attempt after a working link.
    pub number: u32,
    /// How long to wait before making it.
    pub delay: Duration,
}

/// The reconnection counter an adapter keeps: told when a link works and when one is lost
/// (or an attempt fails), it says whether and when to try again.
///
/// ```
/// use std::time::{Duration, Instant};
/// use xmpp_im::session::{DisconnectReason, Reconnect, Reconnector};
/// use xmpp_stream::connection::CloseReason;
/// # use rand_core::SeedableRng;
/// # let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
///
/// let mut reconnector = Reconnector::new(Reconnect { max_attempts: Some(2), ..Reconnect::default() });
/// let now = Instant::now();
/// let lost = DisconnectReason::Stream(CloseReason::TransportClosed);
/// assert_eq!(reconnector.next_attempt(now, &lost, &mut rng).unwrap().number, 1);
/// assert_eq!(reconnector.next_attempt(now, &lost, &mut rng).unwrap().number, 2);
/// assert_eq!(reconnector.next_attempt(now, &lost, &mut rng), None, "two attempts at most");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnector {
    policy: Reconnect,
    attempts: u32,
    online_since: Option<Instant>,
}

impl Reconnector {
    /// A counter at zero.
    pub fn new(policy: Reconnect) -> Reconnector {
        Reconnector {
            policy,
            attempts: 0,
            online_since: None,
        }
    }

    /// The policy it follows.
    pub fn policy(&self) -> &Reconnect {
        &self.policy
    }

    /// The link is online (roster in) since `now`.
    pub fn online(&mut self, now: Instant) {
        self.online_since = Some(now);
    }

    /// The link was lost, or an attempt failed, at `now` for `reason`: the next attempt, or
    /// `None` when there is none (the reason is final, or the attempts are used up).
    pub fn next_attempt<R: RngCore + ?Sized>(
        &mut self,
        now: Instant,
        reason: &DisconnectReason,
        rng: &mut R,
    ) -> Option<Attempt> {
        if let Some(since) = self.online_since.take() {
            if now.saturating_duration_since(since) >= self.policy.stable_after {
                self.attempts = 0;
            }
        }
        if !reason.should_reconnect() {
            return None;
        }
        let number = self.attempts.saturating_add(1);
        if self.policy.max_attempts.is_some_and(|max| number > max) {
            return None;
        }
        self.attempts = number;
        Some(Attempt {
            number,
            delay: self.policy.backoff.next_delay(number, rng),
        })
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;
    use xmpp_stream::stream_error::StreamError;

    use super::*;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(11)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_delay_grows_by_the_multiplier_up_to_the_cap() {
        let backoff = Backoff {
            initial: ms(100),
            max: ms(1000),
            multiplier: 2.0,
            jitter: 0.0,
        };
        let delays: Vec<_> = (1..=6).map(|n| backoff.next_delay(n, &mut rng())).collect();
        assert_eq!(
            delays,
            [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
        );
        assert_eq!(backoff.next_delay(0, &mut rng()), ms(100), "attempt 0 is 1");
        assert_eq!(backoff.next_delay(u32::MAX, &mut rng()), ms(1000));
    }

    #[test]
    fn jitter_stays_within_its_fraction_below_the_base_and_varies() {
        let backoff = Backoff {
            initial: ms(1000),
            max: ms(60_000),
            multiplier: 2.0,
            jitter: 0.5,
        };
        let mut rng = rng();
        for attempt in 1..=8 {
            let base = backoff.base_delay(attempt);
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..200 {
                let d = backoff.next_delay(attempt, &mut rng);
                assert!(d <= base, "{d:?} > {base:?}");
                assert!(d >= base / 2, "{d:?} < half of {base:?}");
                seen.insert(d);
            }
            assert!(seen.len() > 100, "the delays vary: {}", seen.len());
        }
    }

    #[test]
    fn no_delay_exceeds_the_cap_whatever_the_inputs() {
        let mut rng = rng();
        for (multiplier, jitter) in [
            (f64::NAN, f64::NAN),
            (f64::INFINITY, -3.0),
            (0.5, 7.0),
            (1e300, 1.0),
            (-2.0, 0.25),
        ] {
            let backoff = Backoff {
                initial: ms(50),
                max: ms(400),
                multiplier,
                jitter,
            };
            for attempt in [0, 1, 2, 30, 1000, u32::MAX] {
                assert!(backoff.next_delay(attempt, &mut rng) <= ms(400));
            }
        }
        // A multiplier below 1 holds the delay at `initial`; NaN jitter is none.
        let flat = Backoff {
            initial: ms(50),
            max: ms(400),
            multiplier: 0.5,
            jitter: f64::NAN,
        };
        assert_eq!(flat.next_delay(9, &mut rng), ms(50));
        // A cap below `initial` caps everything.
        let capped = Backoff {
            initial: ms(500),
            max: ms(100),
            multiplier: 2.0,
            jitter: 0.0,
        };
        assert_eq!(capped.next_delay(1, &mut rng), ms(100));
        // Durations too large for f64 arithmetic end at the cap.
        let huge = Backoff {
            initial: Duration::MAX,
            max: Duration::MAX,
            multiplier: 2.0,
            jitter: 0.0,
        };
        assert_eq!(huge.next_delay(3, &mut rng), Duration::MAX);
    }

    #[test]
    fn the_defaults_suit_a_bot() {
        let d = Reconnect::default();
        assert_eq!(d.max_attempts, None, "a bot keeps trying");
        assert_eq!(d.backoff.max, Duration::from_secs(300));
        assert_eq!(d.backoff.base_delay(1), Duration::from_secs(1));
        assert_eq!(d.backoff.base_delay(20), Duration::from_secs(300));
    }

    fn peer(condition: StreamCondition) -> DisconnectReason {
        DisconnectReason::Stream(CloseReason::PeerError(StreamError::new(condition)))
    }

    #[test]
    fn losses_of_the_link_reconnect_decisions_about_the_client_do_not() {
        for reason in [
            DisconnectReason::Stream(CloseReason::TransportClosed),
            DisconnectReason::Stream(CloseReason::Graceful),
            DisconnectReason::Stream(CloseReason::LocalError(StreamError::new(
                StreamCondition::NotWellFormed,
            ))),
            DisconnectReason::Unresponsive {
                silent_for: Duration::from_secs(90),
            },
            DisconnectReason::ConnectFailed("connection refused".into()),
            DisconnectReason::Login(LoginError::Closed),
            DisconnectReason::Login(LoginError::Negotiation(NegotiationFailure::BindRefused(
                None,
            ))),
            peer(StreamCondition::SystemShutdown),
            peer(StreamCondition::Reset),
            peer(StreamCondition::ConnectionTimeout),
            peer(StreamCondition::InternalServerError),
            peer(StreamCondition::ResourceConstraint),
        ] {
            assert!(reason.should_reconnect(), "{reason:?}");
        }
        for reason in [
            peer(StreamCondition::Conflict),
            peer(StreamCondition::NotAuthorized),
            peer(StreamCondition::PolicyViolation),
            peer(StreamCondition::HostGone),
            peer(StreamCondition::HostUnknown),
            peer(StreamCondition::SeeOtherHost),
            DisconnectReason::Login(LoginError::Auth {
                condition: "not-authorized".parse().unwrap(),
                text: None,
            }),
            DisconnectReason::Login(LoginError::StartTlsRefused),
            DisconnectReason::Login(LoginError::Stream {
                error: StreamError::new(StreamCondition::Conflict),
                by_peer: true,
            }),
            DisconnectReason::Login(LoginError::Negotiation(
                NegotiationFailure::StartTlsNotOffered,
            )),
            DisconnectReason::Stream(CloseReason::NegotiationFailed(
                NegotiationFailure::AuthenticationFailed {
                    condition: "not-authorized".parse().unwrap(),
                    text: None,
                },
            )),
            DisconnectReason::Configuration("no local part".into()),
        ] {
            assert!(!reason.should_reconnect(), "{reason:?}");
        }
    }

    #[test]
    fn attempts_count_up_until_the_limit_and_a_final_reason_stops_at_once() {
        let policy = Reconnect {
            backoff: Backoff {
                initial: ms(10),
                max: ms(40),
                multiplier: 2.0,
                jitter: 0.0,
            },
            max_attempts: Some(3),
            stable_after: Duration::from_secs(60),
        };
        let mut r = Reconnector::new(policy);
        let now = Instant::now();
        let lost = DisconnectReason::Stream(CloseReason::TransportClosed);
        let plan: Vec<_> = std::iter::from_fn(|| r.next_attempt(now, &lost, &mut rng())).collect();
        assert_eq!(
            plan,
            [
                Attempt {
                    number: 1,
                    delay: ms(10)
                },
                Attempt {
                    number: 2,
                    delay: ms(20)
                },
                Attempt {
                    number: 3,
                    delay: ms(40)
                },
            ]
        );
        let mut r = Reconnector::new(policy);
        assert_eq!(
            r.next_attempt(now, &peer(StreamCondition::Conflict), &mut rng()),
            None
        );
        let never = Reconnect {
            max_attempts: Some(0),
            ..policy
        };
        assert_eq!(
            Reconnector::new(never).next_attempt(now, &lost, &mut rng()),
            None
        );
    }

    #[test]
    fn a_link_that_stayed_up_restarts_the_count_a_short_one_continues_it() {
        let policy = Reconnect {
            backoff: Backoff {
                jitter: 0.0,
                ..Backoff::default()
            },
            max_attempts: None,
            stable_after: Duration::from_secs(60),
        };
        let mut r = Reconnector::new(policy);
        let t0 = Instant::now();
        let lost = DisconnectReason::Stream(CloseReason::TransportClosed);
        assert_eq!(r.next_attempt(t0, &lost, &mut rng()).unwrap().number, 1);
        assert_eq!(r.next_attempt(t0, &lost, &mut rng()).unwrap().number, 2);
        // Online for 5 s only: the count goes on.
        r.online(t0);
        let short = t0 + Duration::from_secs(5);
        assert_eq!(r.next_attempt(short, &lost, &mut rng()).unwrap().number, 3);
        // Online for two minutes: a fresh start.
        r.online(short);
        let long = short + Duration::from_secs(120);
        let next = r.next_attempt(long, &lost, &mut rng()).unwrap();
        assert_eq!(next.number, 1);
        assert_eq!(next.delay, Duration::from_secs(1));
    }
}
