//! Subscription stanza processing (RFC 6121 §3): executes the decisions of
//! [`crate::subscription::outbound`] and [`crate::subscription::inbound`].

use super::{Action, Presence, PresencePayload, ServerEngine};
use crate::error::StoreError;
use crate::jid::{BareJid, Jid};
use crate::store::{Contact, ItemMeta, RosterStore};
use crate::subscription::{ContactState, PresenceFollowUp, SubscriptionType, inbound, outbound};

impl<P: PresencePayload, S: RosterStore<P>> ServerEngine<P, S> {
    /// RFC 6121 §3.1.2, §3.1.5, §3.2.2, §3.3.2, §3.4.2: `user` (local, existing) sent a
    /// subscription stanza to `contact` (already normalised to a bare JID, UCR-SUB-6).
    pub(super) fn outbound_subscription(
        &mut self,
        user: &BareJid,
        contact: &BareJid,
        kind: SubscriptionType,
        payload: Option<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let old = self.store.contact(user, contact)?;
        let current = old.as_ref().map(|c| c.state).unwrap_or_default();
        let t = outbound(current, kind);
        let mut item = old.as_ref().and_then(|c| c.item.clone());
        // A request (§3.1.2) or a pre-approval (§3.4.2) puts the contact in the roster; so does
        // any state a client must see.
        if item.is_none() && (kind == SubscriptionType::Subscribe || visible(t.state)) {
            item = Some(ItemMeta::default());
        }
        let new = Contact {
            jid: contact.clone(),
            state: t.state,
            item,
        };
        let push = self.persist(user, old.as_ref(), new)?;
        if current.state.pending_in() && !t.state.state.pending_in() {
            self.store.set_pending_request(user, contact, None)?;
        }
        let me: Jid = user.clone().into();
        let them: Jid = contact.clone().into();
        if t.route {
            // Stamped with the user's bare JID (UCR-SUB-9).
            self.send(me, them.clone(), Presence::Subscription(kind, payload), out)?;
        }
        if let Some(push) = push {
            self.push_to_interested(user, &push, out);
        }
        self.follow_up(user, &them, t.follow_up, out)
    }

    /// RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3, §3.4: a subscription stanza from `contact`
    /// arrived for `user` (local, existing).
    pub(super) fn inbound_subscription(
        &mut self,
        user: &BareJid,
        contact: &BareJid,
        kind: SubscriptionType,
        payload: Option<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        let old = self.store.contact(user, contact)?;
        if old.is_none() && kind == SubscriptionType::Subscribe && !self.config.auto_approve {
            let hidden = self
                .store
                .contact_count(user)?
                .saturating_sub(self.store.item_count(user)?);
            if hidden >= self.config.roster_limits.max_pending_requests {
                // Too many unanswered requests from strangers: refuse instead of storing.
                let reply = Presence::Subscription(SubscriptionType::Unsubscribed, None);
                return self.send(user.clone().into(), contact.clone().into(), reply, out);
            }
        }
        let current = old.as_ref().map(|c| c.state).unwrap_or_default();
        let auto = self.config.auto_approve && kind == SubscriptionType::Subscribe;
        let mut t = inbound(
            ContactState {
                approved: current.approved || auto,
                ..current
            },
            kind,
        );
        if auto && t.state.approved {
            // The account-wide auto-approval was not used up by this request (nothing to
            // approve): it must not turn into a stored per-contact pre-approval.
            t.state.approved = current.approved;
        }
        let mut item = old.as_ref().and_then(|c| c.item.clone());
        if item.is_none() && visible(t.state) {
            item = Some(ItemMeta::default());
        }
        let new = Contact {
            jid: contact.clone(),
            state: t.state,
            item,
        };
        let push = self.persist(user, old.as_ref(), new)?;
        let them: Jid = contact.clone().into();
        if t.deliver {
            if kind == SubscriptionType::Subscribe {
                // Kept whole until answered, and delivered to every available resource now and
                // to each one that becomes available later (UCR-SUB-17, UCR-SUB-18).
                if let Some(p) = &payload {
                    self.store
                        .set_pending_request(user, contact, Some(p.clone()))?;
                }
                for to in self.available(user) {
                    out.push(Action::DeliverPresence {
                        to,
                        from: them.clone(),
                        presence: Presence::Subscription(kind, payload.clone()),
                    });
                }
            } else {
                // Delivered before the push (UCR-SUB-27, UCR-SUB-39, UCR-SUB-47).
                for to in self.interested(user) {
                    out.push(Action::DeliverPresence {
                        to,
                        from: them.clone(),
                        presence: Presence::Subscription(kind, payload.clone()),
                    });
                }
            }
        }
        if current.state.pending_in() && !t.state.state.pending_in() {
            self.store.set_pending_request(user, contact, None)?;
        }
        if current.state.has_to() && !t.state.state.has_to() {
            if let Some(online) = self.online.get_mut(user) {
                online.contact_presence.remove(contact);
            }
        }
        if let Some(push) = push {
            self.push_to_interested(user, &push, out);
        }
        if let Some(reply) = t.auto_reply {
            // From the user's bare JID (UCR-SUB-15, UCR-SUB-16).
            self.send(
                user.clone().into(),
                them.clone(),
                Presence::Subscription(reply, None),
                out,
            )?;
        }
        self.follow_up(user, &them, t.follow_up, out)
    }

    fn follow_up(
        &mut self,
        user: &BareJid,
        them: &Jid,
        follow_up: PresenceFollowUp,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        match follow_up {
            PresenceFollowUp::None => Ok(()),
            PresenceFollowUp::SendAvailable => {
                for (from, p) in self.available_resources(user) {
                    self.send(from.into(), them.clone(), Presence::Available(p), out)?;
                }
                Ok(())
            }
            PresenceFollowUp::SendUnavailable => {
                for from in self.available(user) {
                    self.send(from.into(), them.clone(), Presence::Unavailable(None), out)?;
                }
                Ok(())
            }
        }
    }
}

/// Whether a contact in this state must be in the roster for the user to see it.
fn visible(state: ContactState) -> bool {
    state.approved || state.state.has_to() || state.state.has_from() || state.state.pending_out()
}
