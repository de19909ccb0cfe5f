//! XEP-0198 sequence numbers: [`Counter`], counting modulo 2^32, and the check of an
//! acknowledgement against what was sent ([`SmError::HandledCountTooHigh`]).

use std::fmt;
use std::str::FromStr;

use super::NS;
use crate::stream_error::{StreamCondition, StreamError};
use crate::xml::Element;

/// A stanza count (the `h` of XEP-0198): how many stanzas were sent or handled since stream
/// management was enabled, modulo 2^32.
///
/// Counters wrap: after 4294967295 comes 0. They are therefore not ordered (no
/// `PartialOrd`); compare them with [`since`](Self::since), the distance modulo 2^32.
///
/// ```
/// use xmpp_stream::stream_management::Counter;
/// let mut c = Counter::new(u32::MAX);
/// assert_eq!(c.increment(), Counter::new(0));
/// assert_eq!(Counter::new(2).since(Counter::new(u32::MAX - 1)), 4);
/// assert_eq!("4294967295".parse::<Counter>(), Ok(Counter::new(u32::MAX)));
/// assert!("+1".parse::<Counter>().is_err() && "4294967296".parse::<Counter>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counter(pub u32);

impl Counter {
    /// The count when stream management is enabled.
    pub const ZERO: Counter = Counter(0);

    /// A counter holding `value`.
    pub const fn new(value: u32) -> Counter {
        Counter(value)
    }

    /// The value (what goes into `h`).
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Counts one stanza (wrapping at 2^32) and returns the new value.
    pub fn increment(&mut self) -> Counter {
        self.0 = self.0.wrapping_add(1);
        *self
    }

    /// The count `n` stanzas later (wrapping).
    pub const fn wrapping_add(self, n: u32) -> Counter {
        Counter(self.0.wrapping_add(n))
    }

    /// How many stanzas were counted from `earlier` to `self`, modulo 2^32 (a counter that
    /// went backwards gives a huge distance).
    pub const fn since(self, earlier: Counter) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// How many stanzas an `<a h='h'/>` acknowledges when `self` is the last acknowledged
    /// count and `sent` the send count: `h - self` modulo 2^32, which may not exceed the
    /// `sent - self` stanzas still unacknowledged.
    ///
    /// # Errors
    /// [`SmError::HandledCountTooHigh`] when it does (including an `h` that went backwards).
    pub fn acknowledges(self, h: Counter, sent: Counter) -> Result<u32, SmError> {
        let n = h.since(self);
        if n > sent.since(self) {
            return Err(SmError::HandledCountTooHigh {
                h,
                last_acked: self,
                send_count: sent,
            });
        }
        Ok(n)
    }
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u32> for Counter {
    fn from(value: u32) -> Self {
        Counter(value)
    }
}

impl From<Counter> for u32 {
    fn from(c: Counter) -> Self {
        c.0
    }
}

/// Why a string is not an `xs:unsignedInt` (the lexical form of `h` and `max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ParseCounterError {
    /// The string is empty.
    #[error("empty number")]
    Empty,
    /// A character other than `0`-`9` (signs and spaces included).
    #[error("not a decimal digit")]
    InvalidDigit,
    /// Above 4294967295.
    #[error("greater than 4294967295")]
    Overflow,
}

impl FromStr for Counter {
    type Err = ParseCounterError;

    /// Reads decimal digits only: no sign, no space, at most 4294967295. Leading zeros are
    /// allowed (they are in the `xs:unsignedInt` lexical space). Linear in the length.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_u32(s).map(Counter)
    }
}

/// Strict `xs:unsignedInt`: digits only, within `u32` (`u32::from_str` would take a `+`).
pub(super) fn parse_u32(s: &str) -> Result<u32, ParseCounterError> {
    if s.is_empty() {
        return Err(ParseCounterError::Empty);
    }
    let mut value: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(ParseCounterError::InvalidDigit);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(b - b'0')))
            .ok_or(ParseCounterError::Overflow)?;
    }
    Ok(value)
}

/// A stream management protocol error by the peer: the stream must end with
/// [`to_stream_error`](Self::to_stream_error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmError {
    /// The peer's `h` acknowledges more stanzas than were sent since the last
    /// acknowledgement (modulo 2^32; an `h` that went backwards is one of these). The
    /// sending queue is left unchanged.
    HandledCountTooHigh {
        /// The `h` received.
        h: Counter,
        /// The last count acknowledged before it.
        last_acked: Counter,
        /// How many stanzas were sent (modulo 2^32).
        send_count: Counter,
    },
}

impl SmError {
    /// The stream error to close with (XEP-0198 §4): `<undefined-condition/>` with the
    /// `<handled-count-too-high h='' send-count=''/>` application condition and a text.
    pub fn to_stream_error(&self) -> StreamError {
        match *self {
            SmError::HandledCountTooHigh { h, send_count, .. } => {
                let app = Element::builder("handled-count-too-high", NS)
                    .attr("h", h.to_string())
                    .attr("send-count", send_count.to_string())
                    .build();
                StreamError::new(StreamCondition::UndefinedCondition)
                    .with_text("en", self.to_string())
                    .with_app_condition(app)
            }
        }
    }
}

impl fmt::Display for SmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SmError::HandledCountTooHigh {
                h,
                last_acked,
                send_count,
            } => write!(
                f,
                "handled count too high: h='{h}' acknowledges {} stanzas, but only {} were sent \
                 since the last acknowledgement (h='{last_acked}', send count {send_count})",
                h.since(last_acked),
                send_count.since(last_acked),
            ),
        }
    }
}

impl std::error::Error for SmError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decimal() {
        assert_eq!(parse_u32("0"), Ok(0));
        assert_eq!(parse_u32("007"), Ok(7));
        assert_eq!(parse_u32("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_u32("4294967296"), Err(ParseCounterError::Overflow));
        assert_eq!(
            parse_u32("99999999999999999999"),
            Err(ParseCounterError::Overflow)
        );
        assert_eq!(parse_u32(""), Err(ParseCounterError::Empty));
        for bad in ["+1", "-1", " 1", "1 ", "0x10", "1e3", "١"] {
            assert_eq!(
                parse_u32(bad),
                Err(ParseCounterError::InvalidDigit),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn acknowledgement_is_modular() {
        let last = Counter::new(u32::MAX - 1);
        let sent = Counter::new(2); // four stanzas since `last`
        assert_eq!(last.acknowledges(Counter::new(u32::MAX), sent), Ok(1));
        assert_eq!(last.acknowledges(Counter::new(2), sent), Ok(4));
        assert_eq!(last.acknowledges(last, sent), Ok(0));
        let too_high = last.acknowledges(Counter::new(3), sent).unwrap_err();
        assert_eq!(
            too_high,
            SmError::HandledCountTooHigh {
                h: Counter::new(3),
                last_acked: last,
                send_count: sent
            }
        );
        // Backwards is "too high" modulo 2^32.
        assert!(last.acknowledges(Counter::new(u32::MAX - 2), sent).is_err());
    }

    #[test]
    fn handled_count_too_high_stream_error() {
        let e = Counter::new(0)
            .acknowledges(Counter::new(10), Counter::new(8))
            .unwrap_err();
        let se = e.to_stream_error();
        assert_eq!(se.condition(), StreamCondition::UndefinedCondition);
        assert!(se.text().unwrap().starts_with("handled count too high"));
        let app = se.app_condition().unwrap();
        assert!(app.is("handled-count-too-high", NS));
        assert_eq!(app.attr("h"), Some("10"));
        assert_eq!(app.attr("send-count"), Some("8"));
    }
}
