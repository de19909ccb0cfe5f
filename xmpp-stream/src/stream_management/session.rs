//! What a connection machine keeps of stream management: the settings it runs with
//! ([`SmSettings`]), the state of one managed session ([`SmSession`]: its id, its full JID,
//! the unacknowledged stanzas and the handled count) which outlives the stream it started on,
//! and the receiving application's answer to a resumption request ([`ResumeDecision`]).

use std::time::Duration;

use xmpp_jid::FullJid;

use super::condition::FailedCondition;
use super::counter::Counter;
use super::inbound::Inbound;
use super::outbound::{QueueFull, QueueLimits, SentQueue};
use super::policy::AckPolicy;
use crate::xml::Element;

/// How a connection machine uses stream management (c2s streams only).
///
/// On an initiator: whether to ask for resumption, the preferred window, when to ask for
/// acknowledgements and how many unacknowledged stanzas to keep. On a receiver: whether to
/// grant resumption, the window granted, and the same two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmSettings {
    /// Initiator: ask for a resumable session. Receiver: grant resumption when asked.
    /// Default `true`.
    pub resume: bool,
    /// Initiator: the preferred window (`max` of `<enable/>`; `None`: the server's
    /// choice). Receiver: the window granted (`max` of `<enabled/>`). Default 300 s on a
    /// receiver, the server's choice on an initiator (see [`SmSettings::initiator`]).
    pub max_resume: Option<Duration>,
    /// When to send `<r/>`.
    pub ack: AckPolicy,
    /// Bounds on the unacknowledged stanzas ([`SendError::QueueFull`] beyond them).
    ///
    /// [`SendError::QueueFull`]: crate::connection::SendError::QueueFull
    pub limits: QueueLimits,
}

impl SmSettings {
    /// Settings for a server: resumption granted for 300 seconds, default ack policy and
    /// queue limits.
    pub fn receiver() -> SmSettings {
        SmSettings {
            resume: true,
            max_resume: Some(Duration::from_secs(300)),
            ack: AckPolicy::DEFAULT,
            limits: QueueLimits::DEFAULT,
        }
    }

    /// Settings for a client: ask for resumption, let the server choose the window.
    pub fn initiator() -> SmSettings {
        SmSettings {
            max_resume: None,
            ..SmSettings::receiver()
        }
    }

    /// The window in whole seconds as the wire carries it (at least 1, at most `u32::MAX`).
    pub(crate) fn max_seconds(&self) -> Option<u32> {
        self.max_resume
            .map(|d| u32::try_from(d.as_secs().max(1)).unwrap_or(u32::MAX))
    }
}

/// One managed session: what was sent and not acknowledged, what was handled from the peer,
/// and (when resumable) the id to resume it by. It lives in the machine while the stream
/// runs; when the stream ends the machine hands it out in [`Event::Detached`], to park it
/// for resumption (a server) or resume it on a new stream (a client, with
/// [`Connection::resume_stream_management`]), or to deal with its unacknowledged stanzas
/// ([`into_unacked`](Self::into_unacked): store or bounce them on a server, send them again
/// on a client).
///
/// [`Event::Detached`]: crate::connection::Event::Detached
/// [`Connection::resume_stream_management`]: crate::connection::Connection::resume_stream_management
#[derive(Debug, Clone, PartialEq)]
pub struct SmSession {
    pub(crate) id: Option<String>,
    pub(crate) jid: FullJid,
    pub(crate) max_resume: Option<u32>,
    pub(crate) sent: SentQueue,
    pub(crate) handled: Inbound,
}

impl SmSession {
    pub(crate) fn new(
        id: Option<String>,
        jid: FullJid,
        max_resume: Option<u32>,
        limits: QueueLimits,
    ) -> SmSession {
        SmSession {
            id,
            jid,
            max_resume,
            sent: SentQueue::new(limits),
            handled: Inbound::new(),
        }
    }

    /// The id to resume by (`None`: the session is not resumable).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether the session can be resumed.
    pub fn is_resumable(&self) -> bool {
        self.id.is_some()
    }

    /// The session's full JID.
    pub fn jid(&self) -> &FullJid {
        &self.jid
    }

    /// The resumption window agreed in `<enabled max=''/>`, if one was given.
    pub fn resume_window(&self) -> Option<Duration> {
        self.max_resume.map(|s| Duration::from_secs(u64::from(s)))
    }

    /// The stanzas handled from the peer (the `h` this side reports).
    pub fn handled(&self) -> Counter {
        self.handled.handled()
    }

    /// The stanzas sent and not acknowledged, oldest first.
    pub fn unacked(&self) -> impl DoubleEndedIterator<Item = &Element> + ExactSizeIterator {
        self.sent.unacked()
    }

    /// The stanzas sent and not acknowledged, oldest first, when the session ends without
    /// resumption.
    pub fn into_unacked(self) -> Vec<Element> {
        self.sent.into_unacked()
    }

    /// Queues a stanza for a session whose stream is gone (a server routing to a session
    /// waiting for resumption): it is sent when the session resumes, after the
    /// retransmissions, or handed back by [`into_unacked`](Self::into_unacked).
    ///
    /// # Errors
    /// [`QueueFull`] (the stanza handed back) beyond the session's limits.
    pub fn push_unsent(&mut self, stanza: Element) -> Result<(), QueueFull> {
        self.sent.push(stanza).map(|_| ())
    }

    /// Bytes held by the unacknowledged stanzas (as [`weight`](super::weight) counts them).
    pub fn unacked_bytes(&self) -> usize {
        self.sent.bytes()
    }
}

/// The receiving application's answer to [`Event::ResumeRequest`], given with
/// [`Connection::resume`].
///
/// [`Event::ResumeRequest`]: crate::connection::Event::ResumeRequest
/// [`Connection::resume`]: crate::connection::Connection::resume
#[derive(Debug, Clone, PartialEq)]
pub enum ResumeDecision {
    /// Resume this session (the one parked under the requested `previd`; it must belong to
    /// the account that authenticated on this stream).
    Accept(SmSession),
    /// Refuse with this condition (`item-not-found` for an unknown or expired id); the
    /// client may bind a new session on the same stream.
    Refuse(FailedCondition),
}
