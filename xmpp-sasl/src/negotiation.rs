//! Client-side mechanism choice: [`ClientPolicy`] (preference list and security rules, with
//! presets per profile), [`choose`] and the resulting [`Choice`], which starts the
//! [`ClientMechanism`].

use rand_core::CryptoRngCore;

use crate::anonymous::AnonymousClient;
use crate::client::ClientMechanism;
use crate::credentials::{Credentials, CredentialsError};
use crate::external::ExternalClient;
use crate::mechanism::Mechanism;
use crate::plain::PlainClient;
use crate::scram::{ChannelBindingMode, IterationLimits, ScramClient};
use crate::transport::Transport;

/// The client's rules for choosing a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientPolicy {
    /// Mechanisms the client is willing to use, most preferred first. A SCRAM entry is upgraded
    /// to its -PLUS variant whenever the client has channel binding data and the server offers
    /// it. EXTERNAL is used only when a client certificate was presented
    /// ([`Transport::client_certificate`]).
    pub preference: Vec<Mechanism>,
    /// Allow PLAIN on a stream without TLS. Off by default: the password would travel in the
    /// clear (UCR-SASL-6).
    pub allow_plain_without_tls: bool,
    /// Refuse to authenticate at all on a stream without TLS (UCR-SASL-4, UCR-TLS-18).
    pub require_tls: bool,
    /// Use only -PLUS SCRAM (or EXTERNAL): never a mechanism without channel binding.
    pub require_channel_binding: bool,
    /// Iteration counts accepted from the server.
    pub iteration_limits: IterationLimits,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy::rfc6120()
    }
}

impl ClientPolicy {
    /// EXTERNAL (with a certificate), SCRAM-SHA-512/256/1 (-PLUS first), then PLAIN (over TLS
    /// only). No ANONYMOUS, no DIGEST-MD5.
    pub fn rfc6120() -> Self {
        ClientPolicy {
            preference: vec![
                Mechanism::External,
                Mechanism::ScramSha512Plus,
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha1Plus,
                Mechanism::ScramSha512,
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
            ],
            allow_plain_without_tls: false,
            require_tls: false,
            require_channel_binding: false,
            iteration_limits: IterationLimits::default(),
        }
    }

    /// DoD UCR 2008: as [`rfc6120`](ClientPolicy::rfc6120), with certificates preferred
    /// (UCR-SASL-7, UCR-TLS-23) and no authentication at all before TLS (UCR-SASL-4).
    pub fn dod_ucr_2008() -> Self {
        ClientPolicy {
            require_tls: true,
            ..ClientPolicy::rfc6120()
        }
    }

    /// NATO BCS: as [`rfc6120`](ClientPolicy::rfc6120), TLS required (S-14). Add ANONYMOUS to
    /// the preference to log in anonymously.
    pub fn nato_bcs() -> Self {
        ClientPolicy {
            require_tls: true,
            ..ClientPolicy::rfc6120()
        }
    }

    /// Replaces the preference list.
    #[must_use]
    pub fn with_preference(mut self, preference: impl IntoIterator<Item = Mechanism>) -> Self {
        self.preference = preference.into_iter().collect();
        self
    }
}

/// Why no mechanism could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The server offered no mechanism at all.
    #[error("the server offered no SASL mechanism")]
    NothingOffered,
    /// The policy requires TLS, or the only usable mechanism sends the password in the clear.
    #[error("TLS is required before authenticating")]
    EncryptionRequired,
    /// Channel binding is required and the server offers no usable -PLUS mechanism.
    #[error("channel binding required but not possible")]
    ChannelBindingRequired,
    /// Nothing offered is acceptable.
    #[error("no acceptable mechanism among those offered: {offered:?}")]
    NoCommonMechanism {
        /// The names offered (cut to 32 names of 20 bytes).
        offered: Vec<String>,
    },
}

/// The chosen mechanism and how it binds to the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    mechanism: Mechanism,
    binding: ChannelBindingMode,
    limits: IterationLimits,
}

impl Choice {
    /// The chosen mechanism, for `<auth mechanism='...'>`.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The SCRAM channel binding mode (gs2 flag); [`ChannelBindingMode::Unused`] for others.
    pub fn channel_binding(&self) -> &ChannelBindingMode {
        &self.binding
    }

    /// Starts the client side of the chosen mechanism. SCRAM draws its nonce from `rng` here.
    pub fn start(
        &self,
        credentials: &Credentials,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Box<dyn ClientMechanism>, CredentialsError> {
        Ok(match self.mechanism {
            Mechanism::Plain => Box::new(PlainClient::new(credentials)?),
            Mechanism::External => Box::new(ExternalClient::new(credentials)),
            Mechanism::Anonymous => Box::new(AnonymousClient::new(credentials)),
            #[cfg(feature = "legacy-digest-md5")]
            Mechanism::DigestMd5 => {
                Box::new(crate::digest_md5::DigestMd5Client::new(credentials, rng)?)
            }
            m => {
                let (hash, _) = m
                    .scram()
                    .unwrap_or((crate::scram::ScramHash::Sha256, false));
                Box::new(ScramClient::new(
                    hash,
                    self.binding.clone(),
                    credentials,
                    self.limits,
                    rng,
                )?)
            }
        })
    }
}

/// Chooses a mechanism among those the server `offered` (the `<mechanism/>` texts, in the
/// server's order), following the client's `policy` and what the `transport` provides.
///
/// Rules: the policy's order decides; a SCRAM entry becomes its -PLUS variant when the client
/// has channel binding data and the server offers that variant; without channel binding data
/// -PLUS is skipped; when the client could bind but the server offers no -PLUS at all, SCRAM
/// is used with the gs2 flag `y` so that a server that does support binding detects the
/// downgrade; PLAIN needs TLS unless explicitly allowed; EXTERNAL needs TLS and a client
/// certificate. Unknown names are ignored.
///
/// ```
/// use xmpp_sasl::{choose, ChannelBinding, ChannelBindingType, ClientPolicy, Mechanism, Transport};
/// let offered = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
/// let policy = ClientPolicy::default();
/// // Without TLS and without binding data: SCRAM-SHA-256, never PLAIN.
/// assert_eq!(choose(&offered, &policy, &Transport::plaintext()).unwrap().mechanism(),
///            Mechanism::ScramSha256);
/// // With binding data: the -PLUS variant.
/// let tls = Transport::tls().with_channel_binding(
///     ChannelBinding::new(ChannelBindingType::TlsExporter, vec![7; 32]));
/// assert_eq!(choose(&offered, &policy, &tls).unwrap().mechanism(), Mechanism::ScramSha256Plus);
/// ```
pub fn choose<S: AsRef<str>>(
    offered: &[S],
    policy: &ClientPolicy,
    transport: &Transport,
) -> Result<Choice, NegotiationError> {
    if offered.is_empty() {
        return Err(NegotiationError::NothingOffered);
    }
    if policy.require_tls && !transport.tls_active {
        return Err(NegotiationError::EncryptionRequired);
    }
    let server: Vec<Mechanism> = offered
        .iter()
        .filter_map(|n| n.as_ref().parse().ok())
        .collect();
    let binding = transport.channel_bindings.first();
    let server_plus = server.iter().any(|m| m.is_plus());
    let mut blocked_by_tls = false;
    let mut blocked_by_binding = false;
    for &wanted in &policy.preference {
        if let (Some((hash, _)), Some(b)) = (wanted.scram(), binding) {
            let plus = Mechanism::for_scram(hash, true);
            if server.contains(&plus) {
                return Ok(Choice {
                    mechanism: plus,
                    binding: ChannelBindingMode::Bound(b.clone()),
                    limits: policy.iteration_limits,
                });
            }
        }
        if !server.contains(&wanted) {
            continue;
        }
        let usable = match wanted {
            Mechanism::Plain => {
                let ok = transport.tls_active || policy.allow_plain_without_tls;
                blocked_by_tls |= !ok;
                ok
            }
            Mechanism::External => transport.tls_active && transport.client_certificate,
            m if m.is_plus() => false, // no binding data (handled above otherwise)
            m if m.scram().is_some() => {
                blocked_by_binding |= policy.require_channel_binding;
                !policy.require_channel_binding
            }
            _ => !policy.require_channel_binding,
        };
        if !usable {
            continue;
        }
        let mode = match (wanted.scram(), binding) {
            (Some(_), Some(_)) if !server_plus => ChannelBindingMode::ServerNotAdvertised,
            _ => ChannelBindingMode::Unused,
        };
        return Ok(Choice {
            mechanism: wanted,
            binding: mode,
            limits: policy.iteration_limits,
        });
    }
    if blocked_by_binding {
        Err(NegotiationError::ChannelBindingRequired)
    } else if blocked_by_tls {
        Err(NegotiationError::EncryptionRequired)
    } else {
        Err(NegotiationError::NoCommonMechanism {
            offered: offered
                .iter()
                .take(32)
                .map(|n| crate::failure::truncate(n.as_ref(), 20))
                .collect(),
        })
    }
}
