//! The machine's state: where it is, typed per role, and what negotiation has learned.
//!
//! The role is not a field beside the phase: it is the variant of [`Side`], and each variant
//! holds that role's phase (`Phase<InitiatorStep>` or `Phase<ReceiverStep>`), its setup and
//! the progress only that role keeps. An initiator's step therefore cannot be written on a
//! receiver (nor the reverse): shared code reads the phase with the step left out
//! ([`Connection::phase`]) and moves only between the stages every role has
//! ([`Connection::set_phase`]); a role's own steps are named in that role's file alone.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use xmpp_jid::FullJid;

use super::{Connection, Event};
use crate::auth::{ClientAuth, ServerAuth};
use crate::header::{Role, Version};
use crate::stream_error::StreamError;

/// Where the machine is: the stages both roles go through, and `S`, the steps only one role
/// takes ([`InitiatorStep`], [`ReceiverStep`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase<S> {
    /// Waiting for the peer's header (initial or response).
    AwaitHeader,
    /// A negotiation step of this role.
    Negotiation(S),
    /// TLS handshake after `<proceed/>` (STARTTLS).
    TlsHandshake,
    /// A SASL exchange is running.
    Sasl,
    /// Component handshake (both sides).
    AwaitHandshake,
    /// Stanzas flow.
    Established,
    /// Our closing tag is sent; waiting for the peer's.
    Closing,
    /// Over.
    Closed,
}

impl<S> Phase<S> {
    /// The same stage, the role's step turned into another type.
    fn map<T>(self, step: impl FnOnce(S) -> T) -> Phase<T> {
        match self {
            Phase::AwaitHeader => Phase::AwaitHeader,
            Phase::Negotiation(s) => Phase::Negotiation(step(s)),
            Phase::TlsHandshake => Phase::TlsHandshake,
            Phase::Sasl => Phase::Sasl,
            Phase::AwaitHandshake => Phase::AwaitHandshake,
            Phase::Established => Phase::Established,
            Phase::Closing => Phase::Closing,
            Phase::Closed => Phase::Closed,
        }
    }
}

/// The initiator's own negotiation steps, each named after what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InitiatorStep {
    /// Header received, waiting for `<stream:features/>`.
    Features,
    /// `<starttls/>` sent, waiting for `<proceed/>` (or `<failure/>`).
    Proceed,
    /// Bind request sent, waiting for its answer.
    Bind,
    /// Legacy session request sent, waiting for its answer.
    Session,
    /// `<enable/>` sent (XEP-0198), waiting for `<enabled/>` or `<failed/>`.
    Enable,
    /// `<resume/>` sent, waiting for `<resumed/>` or `<failed/>`.
    Resume,
}

/// The receiver's own negotiation steps, each named after what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReceiverStep {
    /// Features sent (or a legacy peer's header answered), waiting for the initiator's next
    /// negotiation element.
    NextRequest,
    /// A bind request is waiting for the application's decision.
    BindDecision,
    /// A `<resume/>` request is waiting for the application's decision.
    ResumeDecision,
}

/// The role, with its phase, its setup and the progress only it keeps; boxed to keep the
/// machine small.
pub(super) enum Side {
    Initiator {
        phase: Phase<InitiatorStep>,
        to: String,
        from: Option<String>,
        tls: Option<Arc<rustls::ClientConfig>>,
        auth: Option<ClientAuth>,
        component_secret: Option<String>,
        resource: Option<String>,
        /// The peer's response header was refused with this error, which is sent only if the
        /// next element is not the peer's own stream error (a server refusing us often sends
        /// a header with an empty id and then the reason; that reason is what we report).
        refused_header: Option<StreamError>,
        /// A requested resource was refused with conflict once already.
        bind_retried: bool,
        /// The server offered a mandatory legacy session.
        session_wanted: bool,
    },
    Receiver {
        phase: Phase<ReceiverStep>,
        domains: Vec<String>,
        tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
        auth: Option<ServerAuth>,
        components: Vec<(String, String)>,
        /// The domain we answer as on the current stream.
        local_domain: Option<String>,
        /// Our response header was sent for the current stream.
        header_sent: bool,
        /// `<auth/>` attempts refused because TLS was not negotiated yet.
        plaintext_auth_attempts: u8,
        /// Legacy session done.
        session_done: bool,
    },
}

impl Side {
    /// Which role this is.
    pub(super) fn role(&self) -> Role {
        match self {
            Side::Initiator { .. } => Role::Initiator,
            Side::Receiver { .. } => Role::Receiver,
        }
    }

    /// The phase, for `Debug` (with the role's step).
    pub(super) fn phase_debug(&self) -> &dyn fmt::Debug {
        match self {
            Side::Initiator { phase, .. } => phase,
            Side::Receiver { phase, .. } => phase,
        }
    }
}

/// Negotiation progress both roles keep, discarded in parts at each restart.
#[derive(Debug, Default)]
pub(super) struct Progress {
    pub(super) tls_done: bool,
    /// STARTTLS began and no byte of the peer's first TLS record has arrived yet: whitespace
    /// until then is skipped (see [`Connection::feed_ciphertext`]).
    pub(super) tls_handover: bool,
    /// Authenticated identity (c2s: bare JID, s2s: domain, component: domain).
    pub(super) identity: Option<String>,
    pub(super) bound: Option<FullJid>,
    /// The current stream id.
    pub(super) stream_id: Option<String>,
    /// Peer's `from` on the current stream.
    pub(super) peer_from: Option<String>,
    /// Negotiated stream version (`None`: legacy or component).
    pub(super) version: Option<Version>,
    /// Stream language.
    pub(super) lang: Option<String>,
    /// Pending IQ id (bind / session) on either side.
    pub(super) pending_iq: Option<String>,
    /// Negotiation completed (stanzas flowed on this stream); after our closing tag,
    /// only such a stream still delivers the peer's stanzas.
    pub(super) established: bool,
}

impl Connection {
    /// The phase as shared code sees it: which role's step is running is left out.
    pub(super) fn phase(&self) -> Phase<()> {
        match &*self.side {
            Side::Initiator { phase, .. } => phase.map(|_| ()),
            Side::Receiver { phase, .. } => phase.map(|_| ()),
        }
    }

    /// Moves to a stage every role has (no role's step can be named here).
    pub(super) fn set_phase(&mut self, to: Phase<Infallible>) {
        match &mut *self.side {
            Side::Initiator { phase, .. } => *phase = to.map(|never| match never {}),
            Side::Receiver { phase, .. } => *phase = to.map(|never| match never {}),
        }
    }

    /// Whether a bind request waits for the application's decision.
    pub(super) fn owes_bind_decision(&self) -> bool {
        matches!(
            &*self.side,
            Side::Receiver {
                phase: Phase::Negotiation(ReceiverStep::BindDecision),
                ..
            }
        )
    }

    /// Whether a resumption request waits for the application's decision.
    pub(super) fn owes_resume_decision(&self) -> bool {
        matches!(
            &*self.side,
            Side::Receiver {
                phase: Phase::Negotiation(ReceiverStep::ResumeDecision),
                ..
            }
        )
    }

    /// Whether the application owes a decision (bind or resume); input waits until then.
    pub(super) fn owes_decision(&self) -> bool {
        self.owes_bind_decision() || self.owes_resume_decision()
    }

    /// Negotiation is complete (either role): stanzas flow from here on.
    pub(super) fn establish(&mut self) {
        self.set_phase(Phase::Established);
        self.progress.established = true;
        self.timers.negotiation_deadline = None;
        if let Some(now) = self.timers.now {
            self.touch_tx(now);
            self.touch_rx(now);
        }
        self.events.push_back(Event::Established);
    }
}
