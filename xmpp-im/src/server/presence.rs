//! Presence processing (RFC 6121 §4): broadcast, probes, directed presence, unavailable on logout
//! and on disconnect, and inbound presence delivery.

use std::collections::BTreeSet;

use super::{Action, Presence, PresencePayload, ServerEngine};
use crate::error::{EngineError, StanzaErrorCondition, StoreError};
use crate::jid::{BareJid, FullJid, Jid, bare_domain, bare_of, full_bare, full_of, resource_of};
use crate::store::RosterStore;
use crate::subscription::SubscriptionType;

impl<P: PresencePayload, S: RosterStore<P>> ServerEngine<P, S> {
    /// A connected local resource sent a presence stanza; `to` is its `to` (`None`: a broadcast).
    ///
    /// - no `to`, available: initial presence or an update (RFC 6121 §4.2.2, §4.4.2): broadcast
    ///   to contacts with `from`/`both`, to the account's available resources including the
    ///   sender; on initial presence also probes (or cached contact presence), the other
    ///   resources' presence, pending subscription requests and an offline flush;
    /// - no `to`, unavailable (§4.5.2): the same audience plus the resource's directed-presence
    ///   recipients;
    /// - with `to`: subscription stanzas follow RFC 6121 Appendix A.2; other presence is directed
    ///   presence (§4.6), remembered so that `unavailable` reaches its recipients later; a probe is
    ///   sent (from the bare JID) only to a contact the user is subscribed to (UCR-PRES-11).
    pub fn presence_from_client(
        &mut self,
        from: &FullJid,
        to: Option<&Jid>,
        presence: Presence<P>,
    ) -> Result<Vec<Action<P>>, EngineError> {
        if self.session(from).is_none() {
            return Err(EngineError::UnknownSession(from.clone()));
        }
        let mut out = Vec::new();
        let result = self.client_presence(from, to, presence, &mut out);
        self.finish(result, out)
    }

    fn client_presence(
        &mut self,
        from: &FullJid,
        to: Option<&Jid>,
        presence: Presence<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), EngineError> {
        let user = full_bare(from);
        match (to, presence) {
            (None, Presence::Available(p)) => self.broadcast_available(from, p, out)?,
            (None, Presence::Unavailable(p)) => self.go_unavailable(from, p, true, out)?,
            (None, Presence::Subscription(..)) => out.push(Action::PresenceError {
                to: from.clone(),
                from: user.into(),
                condition: StanzaErrorCondition::BadRequest,
            }),
            // A probe or an error addressed to nobody has nothing to act on.
            (None, Presence::Probe | Presence::Error(_)) => {}
            (Some(to), Presence::Subscription(kind, p)) => {
                let contact = bare_of(to);
                if contact == user {
                    out.push(Action::PresenceError {
                        to: from.clone(),
                        from: to.clone(),
                        condition: StanzaErrorCondition::NotAllowed,
                    });
                } else {
                    self.outbound_subscription(&user, &contact, kind, p, out)?;
                }
            }
            (Some(to), Presence::Available(p)) => {
                {
                    let max = self.config.max_directed_per_resource;
                    let session = self
                        .session_mut(from)
                        .ok_or_else(|| EngineError::UnknownSession(from.clone()))?;
                    if !session.directed.contains(to) {
                        if session.directed.len() >= max {
                            out.push(Action::PresenceError {
                                to: from.clone(),
                                from: to.clone(),
                                condition: StanzaErrorCondition::ResourceConstraint,
                            });
                            return Ok(());
                        }
                        session.directed.insert(to.clone());
                    }
                }
                self.send(from.clone().into(), to.clone(), Presence::Available(p), out)?;
            }
            (Some(to), Presence::Unavailable(p)) => {
                if let Some(session) = self.session_mut(from) {
                    session.directed.remove(to);
                }
                self.send(
                    from.clone().into(),
                    to.clone(),
                    Presence::Unavailable(p),
                    out,
                )?;
            }
            (Some(to), Presence::Probe) => {
                let contact = bare_of(to);
                let subscribed = self
                    .store
                    .contact(&user, &contact)?
                    .is_some_and(|c| c.state.state.has_to());
                if subscribed {
                    self.send(user.into(), contact.into(), Presence::Probe, out)?;
                }
            }
            (Some(to), Presence::Error(p)) => {
                self.send(from.clone().into(), to.clone(), Presence::Error(p), out)?
            }
        }
        Ok(())
    }

    /// A presence stanza arrived from a remote server for a JID at a local domain.
    ///
    /// For an account that does not exist, a `subscribe` or a probe is answered with
    /// `unsubscribed` and anything else is dropped (RFC 6121 §8.5.1, UCR-SUB-16, UCR-PRES-14).
    pub fn presence_from_remote(
        &mut self,
        from: &Jid,
        to: &Jid,
        presence: Presence<P>,
    ) -> Result<Vec<Action<P>>, EngineError> {
        let user = bare_of(to);
        if !self.is_local_domain(bare_domain(&user)) {
            return Err(EngineError::NotLocalAccount(user));
        }
        let mut out = Vec::new();
        let result = self.inbound(from.clone(), to.clone(), presence, &mut out);
        self.finish(result.map_err(EngineError::from), out)
    }

    /// The resource's connection is gone (after a clean logout, or detected dead by the adapter:
    /// UCR-PRES-27). If it was still available, or had directed presence outstanding, the engine
    /// sends `unavailable` on its behalf to everyone who had its presence (UCR-PRES-28,
    /// UCR-PRES-31). The resource is then forgotten.
    pub fn disconnect(&mut self, jid: &FullJid) -> Result<Vec<Action<P>>, EngineError> {
        if self.session(jid).is_none() {
            return Err(EngineError::UnknownSession(jid.clone()));
        }
        let mut out = Vec::new();
        let result = self.go_unavailable(jid, None, false, &mut out);
        let user = full_bare(jid);
        if let Some(online) = self.online.get_mut(&user) {
            online.resources.remove(crate::jid::full_resource(jid));
            if online.resources.is_empty() {
                self.online.remove(&user);
            }
        }
        self.finish(result.map_err(EngineError::from), out)
    }

    fn broadcast_available(
        &mut self,
        from: &FullJid,
        p: P,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let user = full_bare(from);
        let first_in_account = self.available(&user).iter().all(|r| r == from);
        self.seq += 1;
        let seq = self.seq;
        let Some(session) = self.session_mut(from) else {
            return Ok(());
        };
        let was_available = session.presence.is_some();
        let was_eligible = session
            .presence
            .as_ref()
            .is_some_and(|old| old.priority() >= 0);
        match &mut session.presence {
            Some(last) => **last = p.clone(),
            None => session.presence = Some(Box::new(p.clone())),
        }
        if !was_available {
            session.available_seq = seq;
        }
        let contacts = self.store.contacts(&user)?;
        let errored = self
            .online
            .get(&user)
            .map(|o| o.errored.clone())
            .unwrap_or_default();
        let me: Jid = from.clone().into();
        // To contacts with `from`/`both` (UCR-PRES-3, UCR-PRES-19).
        for c in contacts
            .iter()
            .filter(|c| c.state.state.has_from() && !errored.contains(&c.jid))
        {
            self.send(
                me.clone(),
                c.jid.clone().into(),
                Presence::Available(p.clone()),
                out,
            )?;
        }
        // To the account's available resources, the sender included (UCR-PRES-4, UCR-PRES-21).
        for to in self.available(&user) {
            out.push(Action::DeliverPresence {
                to,
                from: me.clone(),
                presence: Presence::Available(p.clone()),
            });
        }
        if !was_available {
            for (other, op) in self.available_resources(&user) {
                if &other != from {
                    out.push(Action::DeliverPresence {
                        to: from.clone(),
                        from: other.into(),
                        presence: Presence::Available(op),
                    });
                }
            }
            if first_in_account {
                // Probes from the bare JID to contacts the user is subscribed to (UCR-PRES-5,
                // UCR-PRES-9..11); local contacts are answered at once.
                for c in contacts.iter().filter(|c| c.state.state.has_to()) {
                    self.send(
                        user.clone().into(),
                        c.jid.clone().into(),
                        Presence::Probe,
                        out,
                    )?;
                }
            } else if let Some(online) = self.online.get(&user) {
                for (sender, cp) in online.contact_presence.values().flatten() {
                    out.push(Action::DeliverPresence {
                        to: from.clone(),
                        from: sender.clone(),
                        presence: Presence::Available(cp.clone()),
                    });
                }
            }
            // Unanswered requests, redelivered to each resource that becomes available (UCR-SUB-18).
            for c in contacts.iter().filter(|c| c.state.state.pending_in()) {
                let request = self.store.pending_request(&user, &c.jid)?;
                out.push(Action::DeliverPresence {
                    to: from.clone(),
                    from: c.jid.clone().into(),
                    presence: Presence::Subscription(SubscriptionType::Subscribe, request),
                });
            }
        }
        if !was_eligible && p.priority() >= 0 {
            out.push(Action::FlushOffline { to: from.clone() });
        }
        Ok(())
    }

    fn go_unavailable(
        &mut self,
        from: &FullJid,
        p: Option<P>,
        include_sender: bool,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let user = full_bare(from);
        let Some(session) = self.session_mut(from) else {
            return Ok(());
        };
        let was_available = session.presence.take().is_some();
        let directed = std::mem::take(&mut session.directed);
        let me: Jid = from.clone().into();
        // Bare JIDs the broadcast reaches (their available resources, as a directed bare-JID
        // unavailable would).
        let mut covered: BTreeSet<BareJid> = BTreeSet::new();
        if was_available {
            covered.insert(user.clone());
            let errored = self
                .online
                .get(&user)
                .map(|o| o.errored.clone())
                .unwrap_or_default();
            for c in self.store.contacts(&user)? {
                if c.state.state.has_from() && !errored.contains(&c.jid) {
                    self.send(
                        me.clone(),
                        c.jid.clone().into(),
                        Presence::Unavailable(p.clone()),
                        out,
                    )?;
                    covered.insert(c.jid);
                }
            }
            let mut own = self.available(&user);
            if include_sender {
                own.push(from.clone());
                own.sort();
            }
            for to in own {
                out.push(Action::DeliverPresence {
                    to,
                    from: me.clone(),
                    presence: Presence::Unavailable(p.clone()),
                });
            }
        }
        // Directed-presence recipients that the broadcast did not reach (UCR-PRES-28, RFC 6121
        // §4.6.3). A full JID was reached only if it is a local available resource; a remote one
        // always gets its own (a duplicate unavailable is harmless, a missing one is a leak).
        for to in directed {
            let reached = covered.contains(&bare_of(&to))
                && match full_of(&to) {
                    None => true,
                    Some(resource) => self.is_available(&resource),
                };
            if !reached {
                self.send(me.clone(), to, Presence::Unavailable(p.clone()), out)?;
            }
        }
        if self.available(&user).is_empty() {
            if let Some(online) = self.online.get_mut(&user) {
                online.contact_presence.clear();
                online.errored.clear();
            }
        }
        Ok(())
    }

    /// Presence for a JID at a local domain, from a remote server or from a local account.
    pub(super) fn inbound(
        &mut self,
        from: Jid,
        to: Jid,
        presence: Presence<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let user = bare_of(&to);
        let contact = bare_of(&from);
        if !self.store.account_exists(&user) {
            if matches!(
                presence,
                Presence::Probe | Presence::Subscription(SubscriptionType::Subscribe, _)
            ) {
                self.send(
                    user.into(),
                    contact.into(),
                    Presence::Subscription(SubscriptionType::Unsubscribed, None),
                    out,
                )?;
            }
            return Ok(());
        }
        match presence {
            // A full `to` is handled as the bare JID (UCR-SUB-13).
            Presence::Subscription(kind, p) => {
                self.inbound_subscription(&user, &contact, kind, p, out)
            }
            Presence::Probe => self.answer_probe(&user, &contact, out),
            other => self.deliver_presence(&user, resource_of(&to), from, other, out),
        }
    }

    /// RFC 6121 §4.3.2 (UCR-PRES-14..16).
    fn answer_probe(
        &mut self,
        user: &BareJid,
        prober: &BareJid,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let me: Jid = user.clone().into();
        let them: Jid = prober.clone().into();
        let allowed = self
            .store
            .contact(user, prober)?
            .is_some_and(|c| c.state.state.has_from());
        if !allowed {
            // From the bare JID: a full JID would leak presence.
            return self.send(
                me,
                them,
                Presence::Subscription(SubscriptionType::Unsubscribed, None),
                out,
            );
        }
        let resources = self.available_resources(user);
        if resources.is_empty() {
            return self.send(me, them, Presence::Unavailable(None), out);
        }
        for (from, p) in resources {
            self.send(from.into(), them.clone(), Presence::Available(p), out)?;
        }
        Ok(())
    }

    /// Available, unavailable or error presence for a local account (RFC 6121 §4.2.3, §4.4.3,
    /// §4.5.3, §8.5.2.1.2, §8.5.3.2.2).
    fn deliver_presence(
        &mut self,
        user: &BareJid,
        resource: Option<&str>,
        from: Jid,
        presence: Presence<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let contact = bare_of(&from);
        // Only contacts are remembered (cached presence for `to`, errors for `from`), so these
        // sets stay within the roster's size whoever sends presence.
        let (subscribed, subscriber) = match presence {
            Presence::Available(_) | Presence::Error(_) => self
                .store
                .contact(user, &contact)?
                .map_or((false, false), |c| {
                    (c.state.state.has_to(), c.state.state.has_from())
                }),
            _ => (false, false),
        };
        let max_cached = self.config.max_cached_resources_per_contact;
        let Some(online) = self.online.get_mut(user) else {
            // Nobody online: presence is dropped (UCR-ROUTE-10).
            return Ok(());
        };
        match &presence {
            Presence::Error(_) => {
                if subscriber {
                    online.errored.insert(contact.clone());
                }
            }
            Presence::Unavailable(_) => {
                online.errored.remove(&contact);
                if let Some(cache) = online.contact_presence.get_mut(&contact) {
                    if resource_of(&from).is_some() {
                        cache.remove(&from);
                    } else {
                        cache.clear();
                    }
                    if cache.is_empty() {
                        online.contact_presence.remove(&contact);
                    }
                }
            }
            Presence::Available(p) => {
                online.errored.remove(&contact);
                if subscribed && resource.is_none() {
                    let cache = online.contact_presence.entry(contact.clone()).or_default();
                    if cache.contains_key(&from) || cache.len() < max_cached {
                        cache.insert(from.clone(), p.clone());
                    }
                }
            }
            Presence::Probe | Presence::Subscription(..) => {}
        }
        match resource {
            Some(r) => {
                // To a full JID: that resource if connected, otherwise dropped.
                if let Some(session) = online.resources.get(r) {
                    out.push(Action::DeliverPresence {
                        to: session.jid.clone(),
                        from,
                        presence,
                    });
                }
            }
            None => {
                // To the bare JID: every available resource (UCR-PRES-6, UCR-ROUTE-10).
                for session in online.resources.values().filter(|s| s.presence.is_some()) {
                    out.push(Action::DeliverPresence {
                        to: session.jid.clone(),
                        from: from.clone(),
                        presence: presence.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}
