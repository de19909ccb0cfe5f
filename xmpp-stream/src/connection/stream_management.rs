//! XEP-0198 on a c2s stream: the `<sm/>` feature, enabling after bind, counting stanzas
//! both ways, `<r/>` and `<a/>`, resumption instead of bind (the initiator asks, the
//! receiving application decides, as for bind) and retransmission of what the peer did not
//! handle. The counters, queue and ack policy are the pure parts in
//! [`crate::stream_management`]; this file moves them through the machine.
//!
//! When the stream ends the machine hands the session out in [`Event::Detached`]: a server
//! parks it for resumption or deals with its unacknowledged stanzas, a client resumes it on
//! its next stream.

use std::time::Instant;

use super::state::{InitiatorStep, ReceiverStep};
use super::{ConfigError, Connection, Event, ResumeStateError, SendError};
use crate::header::{Role, StreamKind};
use crate::stream_error::{StreamCondition, StreamError};
use crate::stream_management::{
    AckRequester, Counter, Enable, Enabled, Failed, FailedCondition, Nonza, Resume, ResumeDecision,
    Resumed, SmSession, SmSettings, is_sm,
};
use crate::xml::Element;

/// Stream management on one machine: its settings and the managed session.
#[derive(Debug)]
pub(super) struct SmLink {
    settings: SmSettings,
    /// Initiator: the server offered `<sm/>` in the features after authentication.
    offered: bool,
    /// The managed session: enabled or resumed on this stream, or (initiator, before
    /// `<resumed/>`) the one to resume.
    session: Option<SmSession>,
    /// Stanzas are counted on this stream (enabled or resumed).
    active: bool,
    requester: AckRequester,
    /// Receiver: the `h` of the pending `<resume/>`.
    resume_h: Counter,
}

impl Connection {
    /// Turns stream management (XEP-0198) on for this c2s machine, before negotiation
    /// reaches binding. An initiator enables it after binding when the server offers it; a
    /// receiver offers it with the bind feature, answers `<enable/>` and hands resumption
    /// requests to the application ([`Event::ResumeRequest`]).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] on a stream other than c2s.
    pub fn enable_stream_management(&mut self, settings: SmSettings) -> Result<(), ConfigError> {
        if self.kind != StreamKind::Client {
            return Err(ConfigError::Invalid(
                "stream management runs on client streams",
            ));
        }
        self.sm = Some(Box::new(SmLink {
            settings,
            offered: false,
            session: None,
            active: false,
            requester: AckRequester::new(settings.ack),
            resume_h: Counter::ZERO,
        }));
        Ok(())
    }

    /// Initiator: resume `previous` (taken from the last stream with
    /// [`take_stream_management`](Self::take_stream_management)) instead of binding. Turns
    /// stream management on with [`SmSettings::initiator`] if it is not on yet. On
    /// `<resumed/>` the unacknowledged stanzas the server did not handle are sent again
    /// ([`Event::Resumed`]); on `<failed/>` they come back in [`Event::ResumeFailed`] and
    /// the machine binds.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] on a receiver, a stream other than c2s, or a session that
    /// is not resumable.
    pub fn resume_stream_management(&mut self, previous: SmSession) -> Result<(), ConfigError> {
        if self.role() != Role::Initiator {
            return Err(ConfigError::Invalid("only the initiator resumes a session"));
        }
        if !previous.is_resumable() {
            return Err(ConfigError::Invalid("the session is not resumable"));
        }
        if self.sm.is_none() {
            self.enable_stream_management(SmSettings::initiator())?;
        }
        if let Some(link) = self.sm.as_mut() {
            link.session = Some(previous);
        }
        Ok(())
    }

    /// The managed session, while the machine holds one.
    pub fn stream_management(&self) -> Option<&SmSession> {
        self.sm.as_ref().and_then(|l| l.session.as_ref())
    }

    /// Takes the managed session out of the machine before the stream ends (when it ends,
    /// the machine hands it out in [`Event::Detached`] by itself). Counting stops.
    pub fn take_stream_management(&mut self) -> Option<SmSession> {
        let link = self.sm.as_mut()?;
        link.active = false;
        link.session.take()
    }

    /// Receiving c2s side: answers the pending [`Event::ResumeRequest`]. Accepting resumes
    /// the session on this stream (`<resumed/>`, retransmissions, [`Event::Resumed`],
    /// [`Event::Established`]); an `h` that acknowledges more than the session sent ends the
    /// stream with `<undefined-condition/>`, the session staying in the machine. Refusing
    /// sends `<failed/>`; the client may bind.
    ///
    /// # Errors
    /// [`ResumeStateError`] (the decision handed back) when no request is pending, or the
    /// session is not a resumable session of the authenticated account.
    pub fn resume(&mut self, decision: ResumeDecision) -> Result<(), ResumeStateError> {
        if !self.owes_resume_decision() {
            return Err(ResumeStateError::NotPending(Box::new(decision)));
        }
        match decision {
            ResumeDecision::Refuse(condition) => {
                self.write_nonza(Nonza::Failed(Failed::new(condition)));
                self.set_receiver_step(ReceiverStep::NextRequest);
            }
            ResumeDecision::Accept(session) => {
                let account = self.progress.identity.as_deref().unwrap_or_default();
                let ours = session.is_resumable()
                    && session
                        .jid()
                        .to_bare()
                        .as_str()
                        .eq_ignore_ascii_case(account);
                if !ours {
                    return Err(ResumeStateError::WrongSession(Box::new(session)));
                }
                self.resume_accepted(session);
            }
        }
        self.flush_tls();
        self.held = false;
        self.process_input();
        Ok(())
    }

    fn resume_accepted(&mut self, mut session: SmSession) {
        let Some(link) = self.sm.as_mut() else {
            return;
        };
        let h = link.resume_h;
        let resend = session.sent.resumed(h);
        let previd = session.id.clone().unwrap_or_default();
        let handled = session.handled();
        let jid = session.jid.clone();
        link.session = Some(session);
        let resend = match resend {
            Ok(r) => r,
            Err(e) => {
                self.fail(e.to_stream_error());
                return;
            }
        };
        link.active = true;
        link.requester.reset();
        self.write_nonza(Nonza::Resumed(Resumed { previd, h: handled }));
        self.progress.bound = Some(jid.clone());
        self.resend(&resend);
        self.events.push_back(Event::Resumed {
            jid,
            resent: resend.len(),
        });
        self.set_receiver_step(ReceiverStep::NextRequest);
        self.establish();
    }

    /// Sends stanzas again (already queued under their sequence numbers), then asks for an
    /// acknowledgement if there were any.
    fn resend(&mut self, stanzas: &[Element]) {
        for el in stanzas {
            self.write_element(el);
        }
        if !stanzas.is_empty() {
            self.request_ack();
        }
    }

    fn write_nonza(&mut self, nonza: Nonza) {
        self.write_element(&Element::from(nonza));
    }

    fn request_ack(&mut self) {
        if let Some(link) = self.sm.as_mut() {
            link.requester.on_request_sent();
        }
        self.write_nonza(Nonza::Request);
    }

    /// Receiver: whether the bind-stage features carry `<sm/>`.
    pub(super) fn offers_stream_management(&self) -> bool {
        self.sm.is_some()
    }

    /// Initiator, features after authentication: remembers whether `<sm/>` is offered and,
    /// with a session to resume, sends `<resume/>` (true) instead of binding. Without the
    /// feature a session to resume cannot be: its stanzas come back in
    /// [`Event::ResumeFailed`].
    pub(super) fn initiator_sm_features(&mut self, features: &crate::features::Features) -> bool {
        let Some(link) = self.sm.as_mut() else {
            return false;
        };
        link.offered = features.other.iter().any(is_sm);
        let Some(session) = link.session.as_ref() else {
            return false;
        };
        if link.offered {
            let resume = Resume {
                previd: session.id.clone().unwrap_or_default(),
                h: session.handled(),
            };
            self.write_nonza(Nonza::Resume(resume));
            self.set_initiator_step(InitiatorStep::Resume);
            true
        } else {
            let unacked = link.session.take().map(SmSession::into_unacked);
            self.events.push_back(Event::ResumeFailed {
                unacked: unacked.unwrap_or_default(),
            });
            false
        }
    }

    /// Initiator, bound (and past the legacy session): enables stream management when the
    /// server offers it and this machine wants it, otherwise the stream is established.
    pub(super) fn initiator_enable_or_establish(&mut self) {
        let wanted = self.sm.as_ref().is_some_and(|l| l.offered);
        if !wanted {
            self.establish();
            return;
        }
        let Some(link) = self.sm.as_ref() else {
            return;
        };
        let enable = Enable {
            resume: link.settings.resume,
            max: link.settings.max_seconds(),
        };
        self.write_nonza(Nonza::Enable(enable));
        self.set_initiator_step(InitiatorStep::Enable);
    }

    /// Initiator: a stream management element during negotiation (`<enabled/>`,
    /// `<resumed/>`, `<failed/>`).
    pub(super) fn initiator_sm_negotiation(&mut self, step: InitiatorStep, el: &Element) {
        let nonza = match Nonza::try_from(el) {
            Ok(n) => n,
            Err(e) => {
                self.fail(
                    StreamError::new(StreamCondition::BadFormat).with_text("en", e.to_string()),
                );
                return;
            }
        };
        match (step, nonza) {
            (InitiatorStep::Enable, Nonza::Enabled(enabled)) => self.on_enabled(enabled),
            (InitiatorStep::Enable, Nonza::Failed(failed)) => {
                tracing::debug!(condition = ?failed.condition, "stream management refused");
                self.establish();
            }
            (InitiatorStep::Resume, Nonza::Resumed(resumed)) => self.on_resumed(resumed),
            (InitiatorStep::Resume, Nonza::Failed(failed)) => {
                let session = self.sm.as_mut().and_then(|l| l.session.take());
                let mut unacked = Vec::new();
                if let Some(mut session) = session {
                    if let Some(h) = failed.h {
                        // What the server says it handled of the old session need not be sent again.
                        let _acked = session.sent.on_ack(h);
                    }
                    unacked = session.into_unacked();
                }
                self.events.push_back(Event::ResumeFailed { unacked });
                self.send_bind_request(true);
            }
            _ => self.fail(
                StreamError::new(StreamCondition::UnsupportedStanzaType)
                    .with_text("en", "unexpected stream management element"),
            ),
        }
    }

    fn on_enabled(&mut self, enabled: Enabled) {
        let Some(jid) = self.progress.bound.clone() else {
            self.fail(StreamError::new(StreamCondition::UndefinedCondition));
            return;
        };
        let Some(link) = self.sm.as_mut() else {
            return;
        };
        let id = enabled.id.filter(|_| enabled.resume);
        let session = SmSession::new(id.clone(), jid, enabled.max, link.settings.limits);
        link.session = Some(session);
        link.active = true;
        link.requester.reset();
        self.events.push_back(Event::StreamManagementEnabled { id });
        self.establish();
    }

    fn on_resumed(&mut self, resumed: Resumed) {
        let Some(link) = self.sm.as_mut() else {
            return;
        };
        let Some(session) = link.session.as_mut() else {
            return;
        };
        if session.id.as_deref() != Some(resumed.previd.as_str()) {
            self.fail(
                StreamError::new(StreamCondition::UndefinedCondition)
                    .with_text("en", "resumed another session than the one asked for"),
            );
            return;
        }
        let resend = match session.sent.resumed(resumed.h) {
            Ok(r) => r,
            Err(e) => {
                self.fail(e.to_stream_error());
                return;
            }
        };
        let jid = session.jid.clone();
        link.active = true;
        link.requester.reset();
        self.progress.bound = Some(jid.clone());
        self.resend(&resend);
        self.events.push_back(Event::Resumed {
            jid,
            resent: resend.len(),
        });
        self.establish();
    }

    /// Receiver, after authentication and before bind: `<resume/>` goes to the application,
    /// `<enable/>` is refused (XEP-0198 §3: only after binding).
    pub(super) fn receiver_sm_negotiation(&mut self, el: &Element) {
        match Nonza::try_from(el) {
            Ok(Nonza::Resume(resume)) => match self.sm.as_mut() {
                Some(link) if link.settings.resume => {
                    link.resume_h = resume.h;
                    self.set_receiver_step(ReceiverStep::ResumeDecision);
                    self.held = true;
                    self.events.push_back(Event::ResumeRequest {
                        previd: resume.previd,
                    });
                }
                _ => self.write_nonza(Nonza::Failed(Failed::new(
                    FailedCondition::FeatureNotImplemented,
                ))),
            },
            Ok(Nonza::Enable(_)) => self.write_nonza(Nonza::Failed(Failed::new(
                FailedCondition::UnexpectedRequest,
            ))),
            Ok(_) => self.fail(StreamError::new(StreamCondition::UnsupportedStanzaType)),
            Err(e) => self
                .fail(StreamError::new(StreamCondition::BadFormat).with_text("en", e.to_string())),
        }
    }

    /// A stream management element on an established stream (either side).
    pub(super) fn on_sm_element(&mut self, el: &Element) {
        let nonza = match Nonza::try_from(el) {
            Ok(n) => n,
            Err(e) => {
                self.fail(
                    StreamError::new(StreamCondition::BadFormat).with_text("en", e.to_string()),
                );
                return;
            }
        };
        let active = self.sm.as_ref().is_some_and(|l| l.active);
        match nonza {
            Nonza::Request if active => {
                let h = self.stream_management().map(SmSession::handled);
                self.write_nonza(Nonza::Ack(crate::stream_management::Ack {
                    h: h.unwrap_or_default(),
                }));
            }
            Nonza::Ack(ack) if active => self.on_ack(ack.h),
            Nonza::Enable(enable) if self.role() == Role::Receiver => self.on_enable(enable),
            Nonza::Resume(_) if self.role() == Role::Receiver => self.write_nonza(Nonza::Failed(
                Failed::new(FailedCondition::UnexpectedRequest),
            )),
            // `<r/>`/`<a/>` without stream management, or an element only the other side sends.
            _ => self.fail(
                StreamError::new(StreamCondition::UnsupportedStanzaType)
                    .with_text("en", "stream management is not enabled"),
            ),
        }
    }

    fn on_ack(&mut self, h: Counter) {
        let Some(link) = self.sm.as_mut() else {
            return;
        };
        let Some(session) = link.session.as_mut() else {
            return;
        };
        match session.sent.on_ack(h) {
            Ok(_) => link.requester.on_ack(),
            Err(e) => self.fail(e.to_stream_error()),
        }
    }

    fn on_enable(&mut self, enable: Enable) {
        let Some(link) = self.sm.as_ref() else {
            self.write_nonza(Nonza::Failed(Failed::new(
                FailedCondition::FeatureNotImplemented,
            )));
            return;
        };
        if link.active {
            self.write_nonza(Nonza::Failed(Failed::new(
                FailedCondition::UnexpectedRequest,
            )));
            return;
        }
        let Some(jid) = self.progress.bound.clone() else {
            self.write_nonza(Nonza::Failed(Failed::new(
                FailedCondition::UnexpectedRequest,
            )));
            return;
        };
        let settings = link.settings;
        let id = (enable.resume && settings.resume).then(|| self.new_stream_id());
        let max = id.as_ref().and(settings.max_seconds());
        if let Some(link) = self.sm.as_mut() {
            link.session = Some(SmSession::new(id.clone(), jid, max, settings.limits));
            link.active = true;
            link.requester.reset();
        }
        self.write_nonza(Nonza::Enabled(Enabled {
            resume: id.is_some(),
            id: id.clone(),
            max,
            location: None,
        }));
        self.events.push_back(Event::StreamManagementEnabled { id });
    }

    /// Before a clean close: an `<a/>` for everything handled (XEP-0198 §4 recommends it),
    /// so that the peer ends the session knowing what was received and routes nothing of it
    /// again.
    pub(super) fn sm_ack_before_close(&mut self) {
        if !self.is_established() {
            return;
        }
        let h = match self.sm.as_ref().filter(|l| l.active) {
            Some(link) => link.session.as_ref().map(SmSession::handled),
            None => None,
        };
        if let Some(h) = h {
            self.write_nonza(Nonza::Ack(crate::stream_management::Ack { h }));
        }
    }

    /// A stanza from the peer was handed to the application: count it.
    pub(super) fn sm_count_inbound(&mut self) {
        if let Some(link) = self.sm.as_mut().filter(|l| l.active) {
            if let Some(session) = link.session.as_mut() {
                session.handled.on_stanza();
            }
        }
    }

    /// Before a stanza is written: whether the queue has room (`Some(weight)`: it is
    /// managed and will be queued with [`sm_record_outbound`](Self::sm_record_outbound)).
    pub(super) fn sm_check_outbound(&self, el: &Element) -> Result<Option<usize>, SendError> {
        match self.sm.as_ref().filter(|l| l.active) {
            Some(link) => match link.session.as_ref() {
                Some(s) => s
                    .sent
                    .check_weighed(el)
                    .map(Some)
                    .map_err(SendError::QueueFull),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// After a stanza was written: queue it until acknowledged, and ask for an
    /// acknowledgement when the policy says so.
    pub(super) fn sm_record_outbound(&mut self, el: &Element, weight: usize, now: Option<Instant>) {
        let Some(link) = self.sm.as_mut().filter(|l| l.active) else {
            return;
        };
        let Some(session) = link.session.as_mut() else {
            return;
        };
        session.sent.push_weighed(el.clone(), weight);
        let Some(now) = now else {
            return;
        };
        link.requester.on_sent(now);
        // Half a queue unacknowledged: ask now, whatever the policy, so that the queue
        // drains before it refuses a send.
        let limits = session.sent.limits();
        let filling = session.sent.len() * 2 >= limits.max_stanzas
            || session.sent.bytes() * 2 >= limits.max_bytes;
        let due = link.requester.poll_ack_request(now);
        if !due && filling && !link.requester.is_outstanding() {
            link.requester.on_request_sent();
            self.write_nonza(Nonza::Request);
        } else if due {
            self.write_nonza(Nonza::Request);
        }
    }

    /// Frees the unacknowledged-stanza queue's buffer when it is empty (see
    /// [`Connection::release_buffers`]).
    pub(super) fn sm_release_buffers(&mut self) {
        if let Some(session) = self.sm.as_mut().and_then(|l| l.session.as_mut()) {
            session.sent.release_if_empty();
        }
    }

    /// When `<r/>` is due, if stream management is active.
    pub(super) fn sm_timeout(&self) -> Option<Instant> {
        self.sm
            .as_ref()
            .filter(|l| l.active)
            .and_then(|l| l.requester.poll_timeout())
    }

    /// The clock reached [`sm_timeout`](Self::sm_timeout).
    pub(super) fn sm_handle_timeout(&mut self, now: Instant) {
        let due = self
            .sm
            .as_mut()
            .filter(|l| l.active)
            .is_some_and(|l| l.requester.poll_ack_request(now));
        if due {
            self.write_nonza(Nonza::Request);
            self.flush_tls();
        }
    }
}
