//! XEP-0198 in the core: sessions whose stream dropped wait, parked, for the client to resume
//! them on a new stream; stanzas for them queue meanwhile; when the window ends (or the queue
//! fills, or the stream closed cleanly, or the session was not resumable) the session ends and
//! what its client never acknowledged is routed again as if its resource had just gone (RFC
//! 6121 §8.5: messages to the account's other resources or offline storage, requests bounced
//! with `service-unavailable`, the rest dropped). Nothing is lost, nothing is sent twice.
//!
//! The connection machines do the wire part (`<enable/>`, counting, `<r/>`/`<a/>`,
//! `<resume/>`, retransmission). The adapter enables stream management on each client
//! machine with [`Config::stream_management`](crate::Config::stream_management), feeds
//! the machine's events as usual (`StreamManagementEnabled`, `ResumeRequest`, `Detached`
//! before `Closed`), carries out [`Action::Resume`] with `Connection::resume`, and calls
//! [`Server::handle_timeout`] when [`Server::poll_timeout`] says so.
//!
//! While a session is parked its resource stays bound and its presence stays available
//! (XEP-0198 §5: a resumed session is the same session), so contacts see no flap.
//!
//! A client whose old stream is still open (it noticed the drop first) resumes too: the old
//! stream is closed with `<conflict/>` and its session goes to the new stream once the old
//! machine hands it out.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use xmpp_im::jid::FullJid;
use xmpp_stanza::Stanza;
use xmpp_stream::connection::CloseReason;
use xmpp_stream::stream_error::{StreamCondition, StreamError};
use xmpp_stream::stream_management::{FailedCondition, ResumeDecision, SmSession};
use xmpp_stream::xml::Element;

use crate::action::{Action, ConnectionId};
use crate::server::Server;
use crate::sessions::Peer;
use crate::storage::Storage;

/// The window when a session names none (XEP-0198 leaves it to the server).
const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// One parked session.
#[derive(Debug)]
pub(crate) struct ParkedSession {
    /// The connection it was on (registered as [`Peer::Parked`]).
    conn: ConnectionId,
    session: SmSession,
    deadline: SystemTime,
}

/// The parked sessions by resumption id.
#[derive(Debug, Default)]
pub(crate) struct Parking {
    sessions: HashMap<String, ParkedSession>,
}

impl<S: Storage> Server<S> {
    /// When [`handle_timeout`](Self::handle_timeout) must next be called: the end of the
    /// earliest resumption window (`None`: no session is parked).
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        self.parking.sessions.values().map(|p| p.deadline).min()
    }

    /// Ends the parked sessions whose window is over at `now`: their resources go, their
    /// contacts get unavailable presence, and what their clients never acknowledged is
    /// routed again.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        self.now = now;
        let expired: Vec<String> = (self.parking.sessions.iter())
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.expire(&id, now);
        }
    }

    /// How many sessions wait for resumption.
    pub fn parked_sessions(&self) -> usize {
        self.parking.sessions.len()
    }

    pub(crate) fn sm_enabled(&mut self, conn: ConnectionId, id: Option<String>) {
        if let Some(Peer::Client { sm_id, .. }) = self.sessions.peers.get_mut(&conn) {
            *sm_id = id;
        }
    }

    /// The adapter could not hand `stanza` (an [`Action::Send`] for `conn`) to the
    /// connection: its stream had ended. The core keeps it with the session's
    /// unacknowledged stanzas (sent on resumption) or, when the session ends, routes it again
    /// like them (RFC 6121 §8.5). Adapters call this for every `Send` their connection's
    /// queue refused as closed, so that nothing routed to a dying stream is lost.
    pub fn undelivered(&mut self, conn: ConnectionId, stanza: Element) {
        let now = self.now;
        let overflow = match self.sessions.peers.get_mut(&conn) {
            Some(Peer::Client {
                detached: Some(session),
                ..
            }) => session.push_unsent(stanza).err().map(|full| *full.stanza),
            Some(Peer::Client { undelivered, .. }) => {
                undelivered.get_or_insert_with(Vec::new).push(stanza);
                None
            }
            Some(Peer::Parked { id, .. }) => {
                let id = id.clone();
                self.queue_for_parked(&id, stanza);
                None
            }
            _ => Some(stanza),
        };
        if let Some(stanza) = overflow {
            self.reroute_unacked(vec![stanza], now);
        }
    }

    pub(crate) fn sm_detached(
        &mut self,
        conn: ConnectionId,
        mut session: Box<SmSession>,
        now: SystemTime,
    ) {
        match self.sessions.peers.get_mut(&conn) {
            Some(Peer::Client {
                detached,
                undelivered,
                ..
            }) => {
                let mut rest = Vec::new();
                for stanza in undelivered.take().unwrap_or_default() {
                    if let Err(full) = session.push_unsent(stanza) {
                        rest.push(*full.stanza);
                    }
                }
                *detached = Some(session);
                self.reroute_unacked(rest, now);
            }
            // The core ended this session itself (a take-over, a bad `from`): nothing of it is
            // resumed, and its resource is gone already.
            _ => self.reroute_unacked(session.into_unacked(), now),
        }
    }

    /// A client asks to resume `previd` on `conn` (authenticated, not bound).
    pub(crate) fn resume_request(&mut self, conn: ConnectionId, previd: &str) {
        let account = match self.sessions.peers.get(&conn) {
            Some(Peer::Client {
                account: Some(a),
                jid: None,
                ..
            }) => a.clone(),
            _ => return self.refuse_resumption(conn),
        };
        let parked_here = (self.parking.sessions.get(previd))
            .is_some_and(|p| p.session.jid().to_bare() == account);
        if parked_here {
            if let Some(parked) = self.parking.sessions.remove(previd) {
                self.sessions.peers.remove(&parked.conn);
                self.hand_over(conn, parked.session);
            }
            return;
        }
        // Still on a live stream (the client saw the drop first): close it and wait for its
        // session.
        let live = self.sessions.peers.iter().find_map(|(c, p)| match p {
            Peer::Client {
                sm_id: Some(id),
                jid: Some(jid),
                resumed_by: None,
                ..
            } if id == previd && jid.to_bare() == account && *c != conn => Some(*c),
            _ => None,
        });
        match live {
            Some(old) => {
                if let Some(Peer::Client { resumed_by, .. }) = self.sessions.peers.get_mut(&old) {
                    *resumed_by = Some(conn);
                }
                let error = StreamError::new(StreamCondition::Conflict)
                    .with_text("en", "the session was resumed on another stream");
                self.push(Action::Close { conn: old, error });
            }
            None => self.refuse_resumption(conn),
        }
    }

    fn refuse_resumption(&mut self, conn: ConnectionId) {
        self.push(Action::Resume {
            conn,
            decision: ResumeDecision::Refuse(FailedCondition::ItemNotFound),
        });
    }

    /// Moves a session to `conn`: its resource now points there, and the machine gets it.
    fn hand_over(&mut self, conn: ConnectionId, session: SmSession) {
        let jid = session.jid().clone();
        if let Some(Peer::Client {
            jid: slot, sm_id, ..
        }) = self.sessions.peers.get_mut(&conn)
        {
            *slot = Some(jid.clone());
            *sm_id = session.id().map(str::to_owned);
        }
        self.sessions.resources.insert(jid, conn);
        self.push(Action::Resume {
            conn,
            decision: ResumeDecision::Accept(session),
        });
    }

    /// A client stream ended (`Closed`): park its session, hand it to the stream resuming
    /// it, or end it.
    pub(crate) fn client_closed(
        &mut self,
        conn: ConnectionId,
        reason: &CloseReason,
        now: SystemTime,
    ) {
        let (session, bound, resumed_by, undelivered) = match self.sessions.peers.get_mut(&conn) {
            Some(Peer::Client {
                detached,
                jid,
                resumed_by,
                undelivered,
                ..
            }) => (
                detached.take(),
                jid.clone(),
                resumed_by.take(),
                undelivered.take().unwrap_or_default(),
            ),
            _ => (None, None, None, Vec::new()),
        };
        let waiting = resumed_by.filter(|new| {
            matches!(
                self.sessions.peers.get(new),
                Some(Peer::Client { jid: None, .. })
            )
        });
        match (session, bound) {
            (Some(session), Some(jid)) if waiting.is_some() && *session.jid() == jid => {
                self.sessions.peers.remove(&conn);
                self.sessions.resources.remove(&jid);
                if let Some(new) = waiting {
                    self.hand_over(new, *session);
                }
            }
            (Some(session), Some(jid)) if self.may_park(&session, &jid, reason) => {
                self.park(conn, jid, *session, now);
            }
            (session, _) => {
                if let Some(new) = waiting {
                    self.refuse_resumption(new);
                }
                self.end_session(conn, None);
                if let Some(session) = session {
                    self.reroute_unacked(session.into_unacked(), now);
                }
            }
        }
        // Handed back by the adapter without a session to join (no stream management):
        // routed again now that the resource is gone.
        self.reroute_unacked(undelivered, now);
    }

    /// A dropped stream's session waits for resumption; a clean close ends it (XEP-0198 §5),
    /// and so does a core whose configuration turned stream management off (whatever its
    /// adapter's machines did).
    fn may_park(&self, session: &SmSession, jid: &FullJid, reason: &CloseReason) -> bool {
        self.config.stream_management.is_some()
            && session.is_resumable()
            && session.jid() == jid
            && !matches!(reason, CloseReason::Graceful)
            && self.parking.sessions.len() < self.config.max_parked_sessions
    }

    fn park(&mut self, conn: ConnectionId, jid: FullJid, session: SmSession, now: SystemTime) {
        let Some(id) = session.id().map(str::to_owned) else {
            return;
        };
        let window = session.resume_window().unwrap_or(DEFAULT_WINDOW);
        self.sessions.peers.insert(
            conn,
            Peer::Parked {
                jid,
                id: id.clone(),
            },
        );
        let parked = ParkedSession {
            conn,
            session,
            deadline: now + window,
        };
        self.parking.sessions.insert(id, parked);
    }

    /// A stanza for a parked session's resource: queued for its resumption; a full queue
    /// ends the session instead.
    pub(crate) fn queue_for_parked(&mut self, id: &str, stanza: Element) {
        let now = self.now;
        let Some(parked) = self.parking.sessions.get_mut(id) else {
            return;
        };
        if let Err(full) = parked.session.push_unsent(stanza) {
            self.expire(id, now);
            self.reroute_unacked(vec![*full.stanza], now);
        }
    }

    /// Ends a parked session now.
    fn expire(&mut self, id: &str, now: SystemTime) {
        if let Some(parked) = self.parking.sessions.remove(id) {
            self.end_session(parked.conn, None);
            self.reroute_unacked(parked.session.into_unacked(), now);
        }
    }

    /// Stanzas a client never acknowledged, its resource now gone: routed again to their
    /// `to`, as RFC 6121 §8.5 says for a resource that is not there.
    pub(crate) fn reroute_unacked(&mut self, stanzas: Vec<Element>, now: SystemTime) {
        for el in stanzas {
            match Stanza::try_from(&el) {
                Ok(Stanza::Message(m)) => self.message_to_account(m, now),
                Ok(Stanza::Iq(iq)) if iq.payload_kind.is_request() => self.iq_to_account(iq, now),
                // Presence is state, sent again when it changes; responses have no one waiting.
                _ => {}
            }
        }
    }
}
