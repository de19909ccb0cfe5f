//! The sending side: [`SentQueue`] keeps every stanza sent after `<enable/>` (or
//! `<enabled/>`) until the peer acknowledges it, within [`QueueLimits`].

use std::collections::VecDeque;

use super::counter::{Counter, SmError};
use crate::xml::{Element, Node};

/// Bounds on the unacknowledged stanzas one stream keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueLimits {
    /// Most unacknowledged stanzas. Default 1000.
    pub max_stanzas: usize,
    /// Most bytes of unacknowledged stanzas, as [`weight`] counts them. Default 4 MiB
    /// (sixteen of the reader's largest elements), so that any stanza a peer of this crate
    /// accepts fits in an empty queue.
    pub max_bytes: usize,
}

impl QueueLimits {
    /// The defaults: 1000 stanzas, 4 MiB.
    pub const DEFAULT: QueueLimits = QueueLimits {
        max_stanzas: 1000,
        max_bytes: 4 * 1024 * 1024,
    };
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits::DEFAULT
    }
}

/// Which limit a push would have exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueLimit {
    /// [`QueueLimits::max_stanzas`].
    Stanzas,
    /// [`QueueLimits::max_bytes`] (also when the stanza alone is larger).
    Bytes,
}

/// [`SentQueue::push`] refused a stanza: nothing was queued or counted, and the stanza
/// must not be sent. Request an acknowledgement (`<r/>`) and refuse or hold the send
/// until acknowledgements make room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the unacknowledged stanza queue is full ({limit:?} limit)")]
pub struct QueueFull {
    /// The stanza, handed back (boxed: the error stays small).
    pub stanza: Box<Element>,
    /// The limit it hit.
    pub limit: QueueLimit,
}

/// The bytes a stanza counts for against [`QueueLimits::max_bytes`]: its names, attributes,
/// namespace declarations and text plus markup, close to its serialised size before
/// escaping. Linear in the tree, no recursion, no serialisation.
pub fn weight(stanza: &Element) -> usize {
    let mut total = 0usize;
    let mut stack: Vec<(&Element, &str)> = vec![(stanza, stanza.ns())];
    while let Some((el, parent_ns)) = stack.pop() {
        // `<name` `>` `</name>` or `<name/>`.
        total = total.saturating_add(2 * el.name().len() + 5);
        if el.ns() != parent_ns {
            total = total.saturating_add(el.ns().len() + 9); // ` xmlns='..'`
        }
        for a in el.attrs() {
            total = total.saturating_add(a.name().len() + a.value().len() + 4);
        }
        for node in el.nodes() {
            match node {
                Node::Element(child) => stack.push((child, el.ns())),
                Node::Text(t) => total = total.saturating_add(t.len()),
            }
        }
    }
    total
}

/// The stanzas sent and not yet acknowledged, with the send count and the last
/// acknowledged count.
///
/// Invariants: [`len`](Self::len) is `sent_count - acked_count` (modulo 2^32), never above
/// [`QueueLimits::max_stanzas`], and [`bytes`](Self::bytes) never above
/// [`QueueLimits::max_bytes`] (unless the limits were lowered after the fact).
///
/// ```
/// use xmpp_stream::stream_management::{Counter, QueueLimits, SentQueue};
/// use xmpp_stream::xml::{ns, Element};
/// let mut q = SentQueue::new(QueueLimits::default());
/// for id in ["m1", "m2", "m3"] {
///     q.push(Element::builder("message", ns::CLIENT).attr("id", id).build())?;
/// }
/// let acked = q.on_ack(Counter::new(2))?;
/// assert_eq!(acked.iter().map(|m| m.attr("id").unwrap()).collect::<Vec<_>>(), ["m1", "m2"]);
/// assert_eq!(q.len(), 1);
/// assert!(q.on_ack(Counter::new(4)).is_err()); // only three were sent
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SentQueue {
    /// Each stanza with its weight, oldest first.
    entries: VecDeque<(Element, usize)>,
    bytes: usize,
    acked: Counter,
    sent: Counter,
    limits: QueueLimits,
}

impl Default for SentQueue {
    fn default() -> Self {
        SentQueue::new(QueueLimits::DEFAULT)
    }
}

impl SentQueue {
    /// An empty queue with both counts at zero (stream management just enabled).
    pub fn new(limits: QueueLimits) -> SentQueue {
        SentQueue::starting_at(limits, Counter::ZERO)
    }

    /// An empty queue whose counts start at `count` (a restored session, or a test
    /// crossing the wrap at 2^32).
    pub fn starting_at(limits: QueueLimits, count: Counter) -> SentQueue {
        SentQueue {
            entries: VecDeque::new(),
            bytes: 0,
            acked: count,
            sent: count,
            limits,
        }
    }

    /// The limits.
    pub fn limits(&self) -> QueueLimits {
        self.limits
    }

    /// Changes the limits; what is queued stays (lower limits only refuse later pushes).
    pub fn set_limits(&mut self, limits: QueueLimits) {
        self.limits = limits;
    }

    /// Whether `stanza` would be accepted now (`Err`: the limit it would exceed).
    pub fn check(&self, stanza: &Element) -> Result<(), QueueLimit> {
        self.check_weight(weight(stanza))
    }

    /// [`check`](Self::check), returning the stanza's weight for
    /// [`push_weighed`](Self::push_weighed) (the tree is walked once per stanza).
    pub(crate) fn check_weighed(&self, stanza: &Element) -> Result<usize, QueueLimit> {
        let w = weight(stanza);
        self.check_weight(w).map(|()| w)
    }

    /// [`push`](Self::push) of a stanza [`check_weighed`](Self::check_weighed) accepted.
    pub(crate) fn push_weighed(&mut self, stanza: Element, w: usize) -> Counter {
        self.entries.push_back((stanza, w));
        self.bytes += w;
        self.sent.increment()
    }

    /// Frees the queue's buffer when nothing waits in it (an idle connection keeps none).
    pub(crate) fn release_if_empty(&mut self) {
        if self.entries.is_empty() {
            self.entries = VecDeque::new();
        }
    }

    fn check_weight(&self, w: usize) -> Result<(), QueueLimit> {
        if self.entries.len() >= self.limits.max_stanzas {
            return Err(QueueLimit::Stanzas);
        }
        if self.bytes.saturating_add(w) > self.limits.max_bytes {
            return Err(QueueLimit::Bytes);
        }
        Ok(())
    }

    /// Records a stanza about to be sent (push first, then send it): it is counted and kept
    /// until acknowledged. Returns its sequence number (the `h` that acknowledges it).
    ///
    /// # Errors
    /// [`QueueFull`] with the stanza when a limit would be exceeded; nothing changes.
    pub fn push(&mut self, stanza: Element) -> Result<Counter, QueueFull> {
        let w = weight(&stanza);
        if let Err(limit) = self.check_weight(w) {
            return Err(QueueFull {
                stanza: Box::new(stanza),
                limit,
            });
        }
        self.entries.push_back((stanza, w));
        self.bytes += w;
        Ok(self.sent.increment())
    }

    /// The peer's `<a h=''/>`: drops and returns the stanzas it acknowledges, oldest first
    /// (an `h` equal to the last one acknowledges none).
    ///
    /// # Errors
    /// [`SmError::HandledCountTooHigh`] when `h` acknowledges more than was sent; the queue
    /// is unchanged and the stream must end with [`SmError::to_stream_error`].
    pub fn on_ack(&mut self, h: Counter) -> Result<Vec<Element>, SmError> {
        let n = self.acked.acknowledges(h, self.sent)?;
        self.acked = h;
        // `n <= len` by `acknowledges` and the invariant.
        let acked: Vec<Element> = self
            .entries
            .drain(..n as usize)
            .map(|(el, w)| {
                self.bytes -= w;
                el
            })
            .collect();
        Ok(acked)
    }

    /// The `h` of the peer's `<resumed/>` (or of our `<resume/>` received, on the receiving
    /// side): drops what the peer handled and returns the rest, oldest first, to send again
    /// right away. They stay queued under their sequence numbers until acknowledged. Call
    /// [`on_ack`](Self::on_ack) first to get the dropped ones.
    ///
    /// # Errors
    /// As [`on_ack`](Self::on_ack).
    pub fn resumed(&mut self, h: Counter) -> Result<Vec<Element>, SmError> {
        self.on_ack(h)?;
        Ok(self.entries.iter().map(|(el, _)| el.clone()).collect())
    }

    /// The unacknowledged stanzas, oldest first.
    pub fn unacked(&self) -> impl DoubleEndedIterator<Item = &Element> + ExactSizeIterator {
        self.entries.iter().map(|(el, _)| el)
    }

    /// The unacknowledged stanzas, oldest first, when the session ends without resumption:
    /// to store (messages for offline delivery) or bounce with an error (RFC 6121 §8.5), or,
    /// on a client, to send again on a new session. After a `<failed h=''/>`, call
    /// [`on_ack`](Self::on_ack) with that `h` first.
    pub fn into_unacked(self) -> Vec<Element> {
        self.entries.into_iter().map(|(el, _)| el).collect()
    }

    /// How many stanzas are unacknowledged.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether everything sent is acknowledged.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes the unacknowledged stanzas count for ([`weight`]).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many stanzas were sent (modulo 2^32).
    pub fn sent_count(&self) -> Counter {
        self.sent
    }

    /// The last `h` the peer acknowledged.
    pub fn acked_count(&self) -> Counter {
        self.acked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::ns;

    fn msg(id: u32) -> Element {
        Element::builder("message", ns::CLIENT)
            .attr("id", id.to_string())
            .child(Element::builder("body", ns::CLIENT).text("hi").build())
            .build()
    }

    fn ids<'a>(els: impl IntoIterator<Item = &'a Element>) -> Vec<String> {
        els.into_iter()
            .map(|e| e.attr("id").unwrap().to_owned())
            .collect()
    }

    #[test]
    fn counts_wrap_and_acks_drop_in_order() {
        let mut q = SentQueue::starting_at(QueueLimits::DEFAULT, Counter::new(u32::MAX - 1));
        let seq: Vec<_> = (0..4).map(|i| q.push(msg(i)).unwrap()).collect();
        assert_eq!(seq, [u32::MAX, 0, 1, 2].map(Counter::new));
        assert_eq!(q.len(), 4);
        let acked = q.on_ack(Counter::new(0)).unwrap();
        assert_eq!(ids(&acked), ["0", "1"]);
        assert_eq!(q.on_ack(Counter::new(0)).unwrap(), Vec::<Element>::new());
        let err = q.on_ack(Counter::new(3)).unwrap_err();
        assert!(matches!(err, SmError::HandledCountTooHigh { .. }));
        assert_eq!(q.len(), 2, "unchanged after an error");
        assert_eq!(ids(q.resumed(Counter::new(1)).unwrap().iter()), ["3"]);
        assert_eq!(ids(q.unacked()), ["3"]);
        assert_eq!(q.acked_count(), Counter::new(1));
        assert_eq!(q.sent_count(), Counter::new(2));
        assert_eq!(ids(&q.into_unacked()), ["3"]);
    }

    #[test]
    fn limits_refuse_without_change() {
        let w = weight(&msg(1));
        let mut q = SentQueue::new(QueueLimits {
            max_stanzas: 2,
            max_bytes: 10 * w,
        });
        q.push(msg(1)).unwrap();
        q.push(msg(2)).unwrap();
        let full = q.push(msg(3)).unwrap_err();
        assert_eq!(full.limit, QueueLimit::Stanzas);
        assert_eq!(*full.stanza, msg(3));
        assert_eq!((q.len(), q.sent_count()), (2, Counter::new(2)));
        q.on_ack(Counter::new(1)).unwrap();
        assert_eq!(q.bytes(), w);
        q.set_limits(QueueLimits {
            max_stanzas: 10,
            max_bytes: w + 1,
        });
        assert_eq!(q.check(&msg(4)), Err(QueueLimit::Bytes));
        assert_eq!(q.push(msg(4)).unwrap_err().limit, QueueLimit::Bytes);
        q.on_ack(Counter::new(2)).unwrap();
        assert_eq!(q.bytes(), 0);
        q.push(msg(4)).unwrap();
    }

    #[test]
    fn weight_is_close_to_the_serialised_size() {
        let m = Element::builder("message", ns::CLIENT)
            .attr("to", "juliet@example.com")
            .child(
                Element::builder("body", ns::CLIENT)
                    .text("Wherefore?")
                    .build(),
            )
            .child(Element::new(
                "active",
                "http://jabber.org/protocol/chatstates",
            ))
            .build();
        let xml = m.to_xml().unwrap();
        let w = weight(&m);
        assert!(
            w.abs_diff(xml.len()) * 5 < xml.len(),
            "{w} vs {}",
            xml.len()
        );
    }
}
