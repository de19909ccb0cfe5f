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
use crate::transport::{ChannelBinding, ChannelBindingType, Transport};

/// The client's rules for choosing a mechanism.
///
/// # Channel binding
///
/// A -PLUS mechanism binds the exchange to the TLS session, so a man in the middle who
/// terminates TLS cannot relay it. Which binding type a server computes is not part of RFC 6120:
/// RFC 9266 made `tls-exporter` the default for TLS 1.3, while deployed servers (ejabberd 23.01,
/// for one) bind `tls-unique`, even on TLS 1.3, and answer any other type with
/// `not-authorized`. Guessing therefore locks users out. The client uses a -PLUS mechanism only
/// with a type the server advertised with XEP-0440 (`<sasl-channel-binding/>`,
/// [`Transport::advertised_channel_bindings`]) and that the TLS layer can compute; otherwise it
/// uses the plain SCRAM variant with the gs2 flag `n` (a `y` would make a server that offers
/// -PLUS refuse, as RFC 5802 requires of it). The cost: when a server offers -PLUS without
/// XEP-0440, an attacker who can also strip the advertisement is not detected by SCRAM (XEP-0474
/// would detect it; see the crate docs). [`require_channel_binding`] refuses to authenticate
/// without binding; [`assume_channel_binding`] binds with a fixed type for a server known to
/// support it without advertising.
///
/// Entries of [`preference`] are used exactly as named: a plain SCRAM entry is never upgraded
/// to -PLUS and a -PLUS entry never falls back to its plain variant (the presets list both).
///
/// [`require_channel_binding`]: ClientPolicy::require_channel_binding
/// [`assume_channel_binding`]: ClientPolicy::assume_channel_binding
/// [`preference`]: ClientPolicy::preference
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientPolicy {
    /// Mechanisms the client is willing to use, most preferred first, each used exactly as
    /// named. EXTERNAL is used only when a client certificate was presented
    /// ([`Transport::client_certificate`]); a -PLUS entry only with a channel-binding type the
    /// server advertised (or [`assume_channel_binding`](ClientPolicy::assume_channel_binding)).
    pub preference: Vec<Mechanism>,
    /// Allow PLAIN on a stream without TLS. Off by default: the password would travel in the
    /// clear (UCR-SASL-6).
    pub allow_plain_without_tls: bool,
    /// Refuse to authenticate at all on a stream without TLS (UCR-SASL-4, UCR-TLS-18).
    pub require_tls: bool,
    /// Use only -PLUS SCRAM (or EXTERNAL): never a mechanism without channel binding.
    pub require_channel_binding: bool,
    /// When the server offers -PLUS but advertises no binding type (no XEP-0440), bind with
    /// this type anyway. `None` (the default) uses the plain SCRAM variant instead: set it only
    /// for a server known to compute this type.
    pub assume_channel_binding: Option<ChannelBindingType>,
    /// Iteration counts accepted from the server.
    pub iteration_limits: IterationLimits,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy::rfc6120()
    }
}

impl ClientPolicy {
    /// EXTERNAL (with a certificate), SCRAM-SHA-512/256/1-PLUS (with an advertised binding
    /// type), SCRAM-SHA-512/256/1, then PLAIN (over TLS only). No ANONYMOUS, no DIGEST-MD5.
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
            assume_channel_binding: None,
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

    /// Fits the preference to what `credentials` can serve ([`Credentials::supports`]):
    /// Kerberos credentials (feature `gssapi`) make it GSSAPI alone, since GSSAPI is in no
    /// preset; other credentials keep the entries they support, in order.
    ///
    /// ```
    /// use xmpp_sasl::{ClientPolicy, Credentials, Mechanism};
    /// let anonymous = ClientPolicy::rfc6120()
    ///     .with_preference([Mechanism::Anonymous, Mechanism::Plain, Mechanism::External])
    ///     .for_credentials(&Credentials::anonymous());
    /// assert_eq!(anonymous.preference, [Mechanism::Anonymous, Mechanism::External]);
    /// ```
    #[must_use]
    pub fn for_credentials(mut self, credentials: &Credentials) -> Self {
        #[cfg(feature = "gssapi")]
        if credentials.supports(Mechanism::Gssapi) {
            self.preference = vec![Mechanism::Gssapi];
        }
        self.preference.retain(|m| credentials.supports(*m));
        self
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
    /// Channel binding is required and no -PLUS mechanism can be used: the server offers
    /// none, or advertises no channel-binding type that this connection can compute.
    #[error(
        "channel binding required, but the server offers no -PLUS mechanism with a binding type we can compute"
    )]
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
            #[cfg(feature = "gssapi")]
            Mechanism::Gssapi => Box::new(crate::gssapi::GssapiClient::new(credentials)?),
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
/// Rules: the policy's order decides and each entry is used exactly as named. A -PLUS entry
/// needs a channel-binding type that the server advertised
/// ([`Transport::advertised_channel_bindings`], XEP-0440) and that the transport has data for
/// (the transport's order picks among several); without an advertisement only
/// [`ClientPolicy::assume_channel_binding`] makes it usable. A plain SCRAM entry uses the gs2
/// flag `n` when the server offers any -PLUS mechanism, and `y` when the client could bind but
/// the server offers no -PLUS at all (a server that does support binding then detects the
/// downgrade). PLAIN needs TLS unless explicitly allowed; EXTERNAL needs TLS and a client
/// certificate. Unknown names are ignored.
///
/// ```
/// use xmpp_sasl::{
///     choose, ChannelBinding, ChannelBindingMode, ChannelBindingType, ClientPolicy, Mechanism,
///     Transport,
/// };
/// let offered = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
/// let policy = ClientPolicy::default();
/// // Without TLS and without binding data: SCRAM-SHA-256, never PLAIN.
/// assert_eq!(choose(&offered, &policy, &Transport::plaintext()).unwrap().mechanism(),
///            Mechanism::ScramSha256);
/// // TLS with binding data, but the server did not say which type it binds: no guess.
/// let tls = Transport::tls().with_channel_binding(
///     ChannelBinding::new(ChannelBindingType::TlsExporter, vec![7; 32]));
/// let choice = choose(&offered, &policy, &tls).unwrap();
/// assert_eq!(choice.mechanism(), Mechanism::ScramSha256);
/// assert_eq!(choice.channel_binding(), &ChannelBindingMode::Unused);
/// // The server advertised tls-exporter (XEP-0440): the -PLUS variant.
/// let advertised = tls.with_advertised_channel_bindings([ChannelBindingType::TlsExporter]);
/// assert_eq!(choose(&offered, &policy, &advertised).unwrap().mechanism(),
///            Mechanism::ScramSha256Plus);
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
    let server_plus = server.iter().any(|m| m.is_plus());
    let binding = usable_binding(policy, transport);
    let mut blocked_by_tls = false;
    let mut blocked_by_binding = false;
    for &wanted in &policy.preference {
        if !server.contains(&wanted) {
            continue;
        }
        let mode = match wanted {
            Mechanism::Plain if !transport.tls_active && !policy.allow_plain_without_tls => {
                blocked_by_tls = true;
                continue;
            }
            Mechanism::External if transport.tls_active && transport.client_certificate => {
                ChannelBindingMode::Unused
            }
            Mechanism::External => continue,
            m if m.is_plus() => match binding {
                Some(b) => ChannelBindingMode::Bound(b.clone()),
                None => {
                    blocked_by_binding |= policy.require_channel_binding;
                    continue;
                }
            },
            m if m.scram().is_some() => {
                if policy.require_channel_binding {
                    blocked_by_binding = true;
                    continue;
                }
                if !server_plus && !transport.channel_bindings.is_empty() {
                    ChannelBindingMode::ServerNotAdvertised
                } else {
                    ChannelBindingMode::Unused
                }
            }
            _ if policy.require_channel_binding => {
                blocked_by_binding = true;
                continue;
            }
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
                .map(|n| crate::text::truncate(n.as_ref(), 20))
                .collect(),
        })
    }
}

/// The binding data a -PLUS mechanism may use: the first type of the transport that the server
/// advertised, or without an advertisement the type the policy assumes.
fn usable_binding<'t>(
    policy: &ClientPolicy,
    transport: &'t Transport,
) -> Option<&'t ChannelBinding> {
    match &transport.advertised_channel_bindings {
        Some(types) => transport
            .channel_bindings
            .iter()
            .find(|b| types.contains(&b.kind())),
        None => policy
            .assume_channel_binding
            .and_then(|t| transport.channel_binding(t)),
    }
}
