//! How a [`Server`](crate::Server) behaves: [`Config`], the hosted [`Component`]s and the
//! [`ResourceConflict`] policy. Every limit is on by default.

use std::fmt;

use xmpp_im::server::EngineConfig;
use xmpp_stream::connection::ReceiverAuth;
use xmpp_stream::stream_management::SmSettings;

use crate::labels::LabelConfig;

/// What happens when a client asks for a resource another session of its account holds
/// (RFC 6120 §7.7.2.2; UCR-BIND-7: resources are unique among an account's sessions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ResourceConflict {
    /// Give the newcomer a generated resource instead (RFC 6120's RECOMMENDED behaviour).
    #[default]
    Override,
    /// Close the existing session with a `<conflict/>` stream error and bind the newcomer.
    TakeOver,
    /// Refuse the newcomer with a `<conflict/>` stanza error; its stream stays open.
    Refuse,
}

/// An XEP-0114 component the server admits: it serves `domain` (a subdomain such as
/// `conference.example.com`, or any other name) after proving `secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct Component {
    /// The domain the component serves; stanzas to it and to JIDs at it go to the component.
    pub domain: String,
    /// The shared secret of the XEP-0114 handshake.
    pub secret: String,
    /// Its name in disco#items (`None`: no name).
    pub name: Option<String>,
}

impl Component {
    /// A component serving `domain`, authenticated by `secret`.
    pub fn new(domain: impl Into<String>, secret: impl Into<String>) -> Component {
        Component {
            domain: domain.into(),
            secret: secret.into(),
            name: None,
        }
    }
}

impl fmt::Debug for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Component")
            .field("domain", &self.domain)
            .field("secret", &"..")
            .field("name", &self.name)
            .finish()
    }
}

/// What the server says about itself in disco#info and XEP-0092 software version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareIdentity {
    /// The software name (disco identity name and version `<name/>`).
    pub name: String,
    /// The software version.
    pub version: String,
    /// The operating system; `None` leaves `<os/>` out (revealing it helps attackers).
    pub os: Option<String>,
}

impl Default for SoftwareIdentity {
    fn default() -> Self {
        SoftwareIdentity {
            name: "xmpp-server".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            os: None,
        }
    }
}

/// The server core's setup.
///
/// ```
/// use xmpp_server::{Component, Config, ResourceConflict};
///
/// let mut config = Config::new(["example.com"]);
/// config.components.push(Component::new("conference.example.com", "s3cret"));
/// config.resource_conflict = ResourceConflict::TakeOver;
/// assert!(config.is_component_domain("conference.example.com"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The IM engine's setup: the hosted domains, roster limits, delivery policy, resources
    /// per account.
    pub im: EngineConfig,
    /// The components admitted on component streams.
    pub components: Vec<Component>,
    /// What a bind request for a taken resource gets.
    pub resource_conflict: ResourceConflict,
    /// What version and disco#info say.
    pub software: SoftwareIdentity,
    /// Most messages kept offline per account by [`MemoryStorage`](crate::MemoryStorage)
    /// (default 100); a message beyond it is bounced with `service-unavailable` (XEP-0160 §4).
    pub max_offline_per_account: usize,
    /// XEP-0198 on client streams: what the adapters' receiving machines offer (default
    /// [`SmSettings::receiver`]: resumption granted for 300 seconds); `None` turns stream
    /// management off. See [`resumption`](crate::resumption).
    pub stream_management: Option<SmSettings>,
    /// Most sessions waiting for resumption at once (default 10,000): beyond it a session
    /// whose stream drops ends at once, its unacknowledged stanzas stored or bounced.
    pub max_parked_sessions: usize,
    /// XEP-0258 security labels: the catalog and the delivery policy (default: neither, labels
    /// pass through unchecked; see [`labels`](crate::labels)).
    pub labels: LabelConfig,
}

impl Config {
    /// The defaults, hosting these domains: no components, [`ResourceConflict::Override`].
    pub fn new<I, D>(domains: I) -> Config
    where
        I: IntoIterator<Item = D>,
        D: Into<String>,
    {
        Config {
            im: EngineConfig::new(domains),
            components: Vec::new(),
            resource_conflict: ResourceConflict::default(),
            software: SoftwareIdentity::default(),
            max_offline_per_account: 100,
            stream_management: Some(SmSettings::receiver()),
            max_parked_sessions: 10_000,
            labels: LabelConfig::default(),
        }
    }

    /// Whether `domain` is one of the hosted (user) domains.
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.im.domains.contains(domain)
    }

    /// Whether `domain` is served by a configured component.
    pub fn is_component_domain(&self, domain: &str) -> bool {
        self.components.iter().any(|c| c.domain == domain)
    }

    /// The component configured for `domain`.
    pub fn component(&self, domain: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.domain == domain)
    }

    /// The authentication a component listener's receiving machines use: the configured
    /// (domain, secret) pairs.
    pub fn component_auth(&self) -> ReceiverAuth {
        ReceiverAuth::Components(
            self.components
                .iter()
                .map(|c| (c.domain.clone(), c.secret.clone()))
                .collect(),
        )
    }

    /// The domains a client listener's receiving machines serve (the hosted domains).
    pub fn domains(&self) -> Vec<String> {
        self.im.domains.iter().cloned().collect()
    }
}
