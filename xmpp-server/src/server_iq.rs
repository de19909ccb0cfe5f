//! The IQs the server answers itself (RFC 6120 §10.3.3, §10.5.3.1): disco#info and
//! disco#items (XEP-0030; the items are the hosted components), ping (XEP-0199), software
//! version (XEP-0092), entity time (XEP-0202) and, when configured, the XEP-0258 label catalog
//! (answered by `labels`). Anything else gets `service-unavailable`
//! (RFC 6120 §8.4), in-band registration (XEP-0077) included: UCR-XEP-10 forbids account
//! creation through it. Roster IQs are the IM engine's (see `route`).

use std::time::{SystemTime, UNIX_EPOCH};

use xmpp_im::jid::Jid;
use xmpp_stanza::xep::datetime::{DateTime, Tz};
use xmpp_stanza::xep::disco::{self, DiscoInfo, DiscoItem, DiscoItems, Identity};
use xmpp_stanza::xep::seclabel::Catalog;
use xmpp_stanza::xep::time::{self, EntityTime};
use xmpp_stanza::xep::{ping, version};
use xmpp_stanza::{Condition, Iq, IqPayload, StanzaError};

use crate::config::Config;

/// Whom a server-handled IQ addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addressee {
    /// A hosted domain: the server itself.
    Server,
    /// The sender's own account (no `to`, or its bare JID), answered on its behalf.
    Account,
}

/// The features the server advertises in disco#info.
pub const SERVER_FEATURES: [&str; 5] = [
    disco::NS_INFO,
    disco::NS_ITEMS,
    ping::NS,
    version::NS,
    time::NS,
];

/// The answer to an IQ request the server handles; `None` for a result or error (never
/// answered).
pub(crate) fn answer(iq: &Iq, to: Addressee, config: &Config, now: SystemTime) -> Option<Iq> {
    let IqPayload::Get(_) = &iq.payload_kind else {
        return match &iq.payload_kind {
            IqPayload::Set(_) => iq.unhandled_reply().ok(),
            _ => None,
        };
    };
    let payload = if let Some(query) = iq.payload::<DiscoInfo>() {
        match query {
            Ok(q) if q.node.is_none() => Ok(Some(disco_info(to, config).into())),
            Ok(_) => Err(Condition::ItemNotFound),
            Err(e) => Err(e.condition()),
        }
    } else if let Some(query) = iq.payload::<DiscoItems>() {
        match query {
            Ok(q) if q.node.is_none() => Ok(Some(disco_items(to, config).into())),
            Ok(_) => Err(Condition::ItemNotFound),
            Err(e) => Err(e.condition()),
        }
    } else if let Some(request) = iq.payload::<Catalog>() {
        // XEP-0258 label catalog (see `labels`).
        (request.map_err(|e| e.condition())).and_then(|r| config.labels.answer_catalog(iq, &r, to))
    } else if let Some(p) = iq.payload::<ping::Ping>() {
        p.map(|_| None).map_err(|e| e.condition())
    } else if to == Addressee::Account {
        // Version and time describe the server, not the account.
        Err(Condition::ServiceUnavailable)
    } else if let Some(v) = iq.payload::<version::Version>() {
        v.map(|_| {
            let s = &config.software;
            Some(
                version::Version {
                    name: Some(s.name.clone()),
                    version: Some(s.version.clone()),
                    os: s.os.clone(),
                }
                .into(),
            )
        })
        .map_err(|e| e.condition())
    } else if let Some(t) = iq.payload::<EntityTime>() {
        t.map_err(|e| e.condition()).and_then(|_| {
            let secs = now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            DateTime::from_unix(secs)
                .map(|utc| Some(EntityTime::result(Tz::Utc, utc).into()))
                .ok_or(Condition::InternalServerError)
        })
    } else {
        Err(Condition::ServiceUnavailable)
    };
    match payload {
        Ok(p) => iq.result_reply(p).ok(),
        Err(c) => iq.error_reply(StanzaError::new(c)).ok(),
    }
}

fn disco_info(to: Addressee, config: &Config) -> DiscoInfo {
    let (identity, features) = match to {
        Addressee::Server => {
            let mut identity = Identity::new("server", "im");
            identity.name = Some(config.software.name.clone());
            let labels = config.labels.features();
            let features = SERVER_FEATURES
                .iter()
                .chain(&labels)
                .map(|f| (*f).to_owned());
            (identity, features.collect())
        }
        // XEP-0030 §3.1: an account answers as account/registered.
        Addressee::Account => (
            Identity::new("account", "registered"),
            vec![disco::NS_INFO.to_owned(), disco::NS_ITEMS.to_owned()],
        ),
    };
    DiscoInfo {
        node: None,
        identities: vec![identity],
        features,
        extensions: Vec::new(),
    }
}

fn disco_items(to: Addressee, config: &Config) -> DiscoItems {
    let items = match to {
        Addressee::Server => config
            .components
            .iter()
            .filter_map(|c| {
                Some(DiscoItem {
                    jid: Jid::new(&c.domain).ok()?,
                    node: None,
                    name: c.name.clone(),
                })
            })
            .collect(),
        Addressee::Account => Vec::new(),
    };
    DiscoItems { node: None, items }
}
