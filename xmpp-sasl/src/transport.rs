//! [`Transport`]: what the TLS layer tells SASL about the connection (TLS on or off, channel
//! binding data, identities proved by the peer's certificate), and [`ChannelBinding`].

use std::fmt;
use std::str::FromStr;

/// A channel binding type usable with the SCRAM `-PLUS` mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-exporter` (RFC 9266): TLS exporter with label `EXPORTER-Channel-Binding`, no
    /// context, 32 bytes. The type to use with TLS 1.3.
    TlsExporter,
    /// `tls-server-end-point` (RFC 5929 §4): hash of the server's certificate.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// Every supported type, preferred first.
    pub const ALL: [ChannelBindingType; 2] = [
        ChannelBindingType::TlsExporter,
        ChannelBindingType::TlsServerEndPoint,
    ];

    /// The registered name used in the SCRAM gs2 header (`p=<name>`).
    pub const fn name(self) -> &'static str {
        match self {
            ChannelBindingType::TlsExporter => "tls-exporter",
            ChannelBindingType::TlsServerEndPoint => "tls-server-end-point",
        }
    }
}

impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to [`ChannelBindingType::from_str`] is not a supported type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported channel binding type `{name}`")]
pub struct UnknownChannelBindingType {
    /// The name (cut to 64 bytes).
    pub name: String,
}

impl FromStr for ChannelBindingType {
    type Err = UnknownChannelBindingType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelBindingType::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownChannelBindingType {
                name: crate::text::truncate(s, 64),
            })
    }
}

/// Channel binding data for one type, exported by the TLS layer for this connection.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChannelBinding {
    kind: ChannelBindingType,
    data: Vec<u8>,
}

impl ChannelBinding {
    /// Binding data of a type, as exported by the TLS library.
    pub fn new(kind: ChannelBindingType, data: impl Into<Vec<u8>>) -> Self {
        ChannelBinding {
            kind,
            data: data.into(),
        }
    }

    /// The type.
    pub fn kind(&self) -> ChannelBindingType {
        self.kind
    }

    /// The binding data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .finish()
    }
}

/// What the layers below SASL established for this connection; filled in by the stream layer
/// after TLS and handed to negotiation and to the server mechanisms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transport {
    /// The stream is protected by TLS (confidentiality and integrity).
    pub tls_active: bool,
    /// Channel binding data available on this connection, preferred first. A client normally
    /// gives one; a server gives every type it can export.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Server side: the identities (JIDs or domains) the peer's TLS certificate proves, already
    /// checked by the TLS layer and acceptable for this stream (XEP-0178: for c2s those
    /// matching the stream's `to` domain), preferred first. EXTERNAL is offered only when this
    /// is not empty.
    pub peer_identities: Vec<String>,
    /// Client side: this client presented a certificate in the TLS handshake, so EXTERNAL may
    /// be chosen.
    pub client_certificate: bool,
    /// Client side: the channel-binding types the server advertised for this connection
    /// (XEP-0440 `<sasl-channel-binding/>`), or `None` when it advertised nothing. A -PLUS
    /// mechanism is chosen only with a type listed here (see [`choose`](crate::choose)).
    /// Types this crate does not know (`tls-unique`) are left out, so `Some(vec![])` means
    /// "advertised, but nothing we can compute".
    pub advertised_channel_bindings: Option<Vec<ChannelBindingType>>,
}

impl Transport {
    /// A stream without TLS.
    pub fn plaintext() -> Self {
        Transport::default()
    }

    /// A stream protected by TLS.
    pub fn tls() -> Self {
        Transport {
            tls_active: true,
            ..Transport::default()
        }
    }

    /// Adds channel binding data.
    #[must_use]
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_bindings.push(binding);
        self
    }

    /// Server side: adds an identity proved by the peer's certificate.
    #[must_use]
    pub fn with_peer_identity(mut self, identity: impl Into<String>) -> Self {
        self.peer_identities.push(identity.into());
        self
    }

    /// Client side: records that a client certificate was presented.
    #[must_use]
    pub fn with_client_certificate(mut self) -> Self {
        self.client_certificate = true;
        self
    }

    /// Client side: records the channel-binding types the server advertised (XEP-0440).
    #[must_use]
    pub fn with_advertised_channel_bindings(
        mut self,
        types: impl IntoIterator<Item = ChannelBindingType>,
    ) -> Self {
        self.advertised_channel_bindings = Some(types.into_iter().collect());
        self
    }

    /// The binding data of a type, if available.
    pub fn channel_binding(&self, kind: ChannelBindingType) -> Option<&ChannelBinding> {
        self.channel_bindings.iter().find(|b| b.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_binding_type_names() {
        for t in ChannelBindingType::ALL {
            assert_eq!(t.name().parse::<ChannelBindingType>(), Ok(t));
        }
        assert!("tls-unique".parse::<ChannelBindingType>().is_err());
    }

    #[test]
    fn debug_does_not_print_binding_data() {
        let b = ChannelBinding::new(ChannelBindingType::TlsExporter, vec![0xAB; 32]);
        let s = format!("{b:?}");
        assert!(s.contains("len: 32") && !s.contains("171"), "{s}");
    }

    #[test]
    fn transport_lookup_by_type() {
        let t = Transport::tls().with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsServerEndPoint,
            *b"x",
        ));
        assert!(t.channel_binding(ChannelBindingType::TlsExporter).is_none());
        assert_eq!(
            t.channel_binding(ChannelBindingType::TlsServerEndPoint)
                .map(ChannelBinding::data),
            Some(&b"x"[..])
        );
    }
}
