//! Roster get and roster set processing (RFC 6121 §2.1–§2.6).

use super::{Action, Presence, PresencePayload, RosterResult, ServerEngine};
use crate::error::RosterError;
use crate::jid::{BareJid, FullJid, Jid, bare_of, full_bare};
use crate::roster::{
    RosterContact, RosterPush, RosterQuery, RosterSetRequest, RosterVersion, validate_get,
    validate_set,
};
use crate::store::{Contact, ItemMeta, RosterStore};
use crate::subscription::SubscriptionType;

fn check_owner(from: &FullJid, to: Option<&Jid>) -> Result<BareJid, RosterError> {
    let user = full_bare(from);
    match to {
        Some(to) if bare_of(to) != user => Err(RosterError::Forbidden {
            from: from.clone(),
            owner: bare_of(to),
        }),
        _ => Ok(user),
    }
}

impl<P: PresencePayload, S: RosterStore<P>> ServerEngine<P, S> {
    /// A resource asks for its roster (`to` is the IQ's `to`, `None` when absent). The resource
    /// becomes interested: it gets every later push (UCR-ROSTER-26).
    ///
    /// With versioning on and a `ver` the store can bring up to date, the answer is incremental
    /// (RFC 6121 §2.6.3); otherwise it is the full roster. An unknown or foreign `ver` is not an
    /// error: it just gets the full roster.
    pub fn roster_get(
        &mut self,
        from: &FullJid,
        to: Option<&Jid>,
        query: &RosterQuery,
    ) -> Result<RosterResult, RosterError> {
        let user = check_owner(from, to)?;
        let client_ver = validate_get(query)?;
        let session = self
            .session_mut(from)
            .ok_or_else(|| RosterError::UnknownSession(from.clone()))?;
        session.interested = true;
        let current = self.store.version(&user)?;
        if self.config.roster_versioning {
            if let Some(since) = client_ver.and_then(|v| v.parse::<RosterVersion>().ok()) {
                if let Some(changes) = self.store.changes_since(&user, since)? {
                    let pushes = changes
                        .into_iter()
                        .map(|c| RosterPush {
                            ver: Some(c.ver),
                            change: c.change,
                        })
                        .collect();
                    return Ok(RosterResult::Incremental {
                        ver: current,
                        pushes,
                    });
                }
            }
        }
        Ok(RosterResult::Full {
            ver: self.version_of(current),
            items: self.items(&user)?,
        })
    }

    /// A resource changes its roster. On `Ok` the caller answers the IQ with an empty result, then
    /// carries out the actions: the push to every interested resource (the requester included,
    /// UCR-ROSTER-31) and, for a removal, the cancellations of both subscription directions
    /// (UCR-ROSTER-37..39) with `unavailable` from each available resource to the removed contact,
    /// which therefore stops receiving presence at once (the JITC D1 defect).
    pub fn roster_set(
        &mut self,
        from: &FullJid,
        to: Option<&Jid>,
        query: &RosterQuery,
    ) -> Result<Vec<Action<P>>, RosterError> {
        let user = check_owner(from, to)?;
        let request = validate_set(&user, query, &self.config.roster_limits)?;
        if self.session(from).is_none() {
            return Err(RosterError::UnknownSession(from.clone()));
        }
        let mut out = Vec::new();
        let result = self.apply_set(&user, request, &mut out);
        self.finish(result, out)
    }

    fn apply_set(
        &mut self,
        user: &BareJid,
        request: RosterSetRequest,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), RosterError> {
        let user = user.clone();
        match request {
            RosterSetRequest::Update { jid, name, groups } => {
                let old = self.store.contact(&user, &jid)?;
                let in_roster = old.as_ref().is_some_and(|c| c.item.is_some());
                if !in_roster {
                    let max = self.config.roster_limits.max_items;
                    if self.store.item_count(&user)? >= max {
                        return Err(RosterError::RosterFull { max });
                    }
                }
                let state = old.as_ref().map(|c| c.state).unwrap_or_default();
                let new = Contact {
                    jid: jid.clone(),
                    state,
                    item: Some(ItemMeta { name, groups }),
                };
                // Items are atomic: the push goes out even when nothing changed (RFC 6121 §2.4.2).
                let push = match self.persist(&user, old.as_ref(), new.clone())? {
                    Some(push) => push,
                    None => RosterPush {
                        ver: self.version_of(self.store.version(&user)?),
                        change: crate::roster::RosterChange::Update(
                            new.roster_item().unwrap_or_else(|| RosterContact::new(jid)),
                        ),
                    },
                };
                self.push_to_interested(&user, &push, out);
            }
            RosterSetRequest::Remove(jid) => {
                let old = match self.store.contact(&user, &jid)? {
                    Some(c) if c.item.is_some() => c,
                    _ => return Err(RosterError::ItemNotFound(jid)),
                };
                let ver = self.store.version(&user)?.next();
                let change = crate::roster::RosterChange::Remove(jid.clone());
                self.store.delete_contact(
                    &user,
                    &jid,
                    Some(crate::store::LoggedChange {
                        ver,
                        change: change.clone(),
                    }),
                )?;
                let push = RosterPush {
                    ver: self.version_of(ver),
                    change,
                };
                self.push_to_interested(&user, &push, out);
                if let Some(online) = self.online.get_mut(&user) {
                    online.contact_presence.remove(&jid);
                    online.errored.remove(&jid);
                }
                let state = old.state.state;
                let me: Jid = user.clone().into();
                let them: Jid = jid.clone().into();
                if state.has_to() || state.pending_out() {
                    self.send(
                        me.clone(),
                        them.clone(),
                        Presence::Subscription(SubscriptionType::Unsubscribe, None),
                        out,
                    )?;
                }
                if state.has_from() || state.pending_in() {
                    self.send(
                        me,
                        them.clone(),
                        Presence::Subscription(SubscriptionType::Unsubscribed, None),
                        out,
                    )?;
                }
                if state.has_from() {
                    for resource in self.available(&user) {
                        self.send(
                            resource.into(),
                            them.clone(),
                            Presence::Unavailable(None),
                            out,
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}
