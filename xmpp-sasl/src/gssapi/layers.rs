//! The security-layer negotiation of RFC 4752 §3.1 and §3.3, as pure data: the server's
//! [`LayerOffer`] (4 octets: the layers it supports and the largest message it can receive)
//! and the client's [`LayerChoice`] (4 octets plus the authorization identity). Both travel
//! inside GSS-API wrap tokens (integrity only); wrapping is the mechanism's business, this
//! module only encodes and checks the cleartext.

use std::fmt;

/// The largest maximum-message size the 3 octets can carry.
pub const MAX_SIZE: u32 = 0x00FF_FFFF;

/// A bit mask of the security layers of RFC 4752 §3.3. Other bits may be defined in the future;
/// an offer may carry them (they are kept and ignored), a choice may not.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecurityLayers(u8);

impl SecurityLayers {
    /// No security layer (`1`): what this crate uses, since TLS protects the stream.
    pub const NONE: SecurityLayers = SecurityLayers(1);
    /// Integrity protection (`2`).
    pub const INTEGRITY: SecurityLayers = SecurityLayers(2);
    /// Confidentiality protection (`4`).
    pub const CONFIDENTIALITY: SecurityLayers = SecurityLayers(4);

    /// The mask as sent.
    pub const fn from_bits(bits: u8) -> Self {
        SecurityLayers(bits)
    }

    /// The octet to send.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every layer of `other` is in `self`.
    pub const fn contains(self, other: SecurityLayers) -> bool {
        self.0 & other.0 == other.0
    }

    /// The layers of both.
    #[must_use]
    pub const fn union(self, other: SecurityLayers) -> Self {
        SecurityLayers(self.0 | other.0)
    }

    /// Whether a layer that protects messages (integrity or confidentiality) is in the mask.
    pub const fn protects(self) -> bool {
        self.0 & (Self::INTEGRITY.0 | Self::CONFIDENTIALITY.0) != 0
    }
}

impl fmt::Debug for SecurityLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityLayers({:#04x})", self.0)
    }
}

/// A security-layer message that does not follow RFC 4752 §3.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// The server's message is not exactly 4 octets.
    #[error("the server's security-layer message has {len} octets, not 4")]
    OfferLength {
        /// Octets received.
        len: usize,
    },
    /// The client's message is shorter than 4 octets.
    #[error("the client's security-layer message has {len} octets, fewer than 4")]
    ChoiceTooShort {
        /// Octets received.
        len: usize,
    },
    /// A maximum size that 3 octets cannot carry.
    #[error("maximum message size {0} does not fit in 3 octets")]
    MaxSizeTooLarge(u32),
    /// A non-zero maximum size without a security layer that protects messages (RFC 4752:
    /// it MUST be 0 then).
    #[error("maximum message size {0} without a security layer (it must be 0)")]
    MaxSizeWithoutLayer(u32),
    /// The client's choice is not exactly one known layer.
    #[error("the chosen security layers {0:#04x} are not exactly one known layer")]
    NotOneLayer(u8),
    /// The authorization identity is not UTF-8.
    #[error("the authorization identity is not UTF-8")]
    AuthzidNotUtf8,
}

/// The server's security-layer message (RFC 4752 §3.1): the layers it supports and the largest
/// message it can receive.
///
/// ```
/// use xmpp_sasl::gssapi::{LayerOffer, SecurityLayers};
/// // What this crate's server sends: no security layer, so a maximum size of 0.
/// assert_eq!(LayerOffer::NO_LAYER.encode(), [1, 0, 0, 0]);
/// let offer = LayerOffer::decode(&[7, 0x01, 0x00, 0x00]).unwrap();
/// assert!(offer.layers().contains(SecurityLayers::NONE));
/// assert_eq!(offer.max_size(), 65536);
/// // Without a protecting layer the size must be 0.
/// assert!(LayerOffer::decode(&[1, 0, 0, 1]).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerOffer {
    layers: SecurityLayers,
    max_size: u32,
}

impl LayerOffer {
    /// No security layer, maximum size 0: the offer of a server that relies on TLS.
    pub const NO_LAYER: LayerOffer = LayerOffer {
        layers: SecurityLayers::NONE,
        max_size: 0,
    };

    /// An offer, checked as [`decode`](Self::decode) checks a received one.
    pub fn new(layers: SecurityLayers, max_size: u32) -> Result<Self, LayerError> {
        if max_size > MAX_SIZE {
            return Err(LayerError::MaxSizeTooLarge(max_size));
        }
        if max_size != 0 && !layers.protects() {
            return Err(LayerError::MaxSizeWithoutLayer(max_size));
        }
        Ok(LayerOffer { layers, max_size })
    }

    /// The layers offered.
    pub fn layers(&self) -> SecurityLayers {
        self.layers
    }

    /// The largest message the server can receive (0 without a protecting layer).
    pub fn max_size(&self) -> u32 {
        self.max_size
    }

    /// The 4 octets: the mask, then the size in network byte order.
    pub fn encode(&self) -> [u8; 4] {
        let [_, a, b, c] = self.max_size.to_be_bytes();
        [self.layers.bits(), a, b, c]
    }

    /// Parses the unwrapped server message: exactly 4 octets, and a size of 0 unless a layer
    /// that protects messages is offered.
    pub fn decode(bytes: &[u8]) -> Result<Self, LayerError> {
        let &[mask, a, b, c] = bytes else {
            return Err(LayerError::OfferLength { len: bytes.len() });
        };
        LayerOffer::new(
            SecurityLayers::from_bits(mask),
            u32::from_be_bytes([0, a, b, c]),
        )
    }
}

/// The client's security-layer message (RFC 4752 §3.1): the layer it selected, the largest
/// message it can receive and the authorization identity (UTF-8, not NUL-terminated; empty
/// for none).
///
/// ```
/// use xmpp_sasl::gssapi::{LayerChoice, SecurityLayers};
/// let choice = LayerChoice::no_layer(Some("juliet@example.com"));
/// let bytes = choice.encode();
/// assert_eq!(&bytes[..4], [1, 0, 0, 0]);
/// assert_eq!(&bytes[4..], b"juliet@example.com");
/// assert_eq!(LayerChoice::decode(&bytes).unwrap(), choice);
/// assert_eq!(LayerChoice::decode(&[1, 0, 0, 0]).unwrap().authzid(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayerChoice {
    layer: SecurityLayers,
    max_size: u32,
    authzid: Option<String>,
}

impl LayerChoice {
    /// No security layer, maximum size 0, and the authorization identity (an empty one is
    /// none): what this crate's client sends.
    pub fn no_layer(authzid: Option<&str>) -> Self {
        LayerChoice {
            layer: SecurityLayers::NONE,
            max_size: 0,
            authzid: authzid.filter(|a| !a.is_empty()).map(str::to_owned),
        }
    }

    /// A choice, checked as [`decode`](Self::decode) checks a received one.
    pub fn new(
        layer: SecurityLayers,
        max_size: u32,
        authzid: Option<&str>,
    ) -> Result<Self, LayerError> {
        let known = [
            SecurityLayers::NONE,
            SecurityLayers::INTEGRITY,
            SecurityLayers::CONFIDENTIALITY,
        ];
        if !known.contains(&layer) {
            return Err(LayerError::NotOneLayer(layer.bits()));
        }
        if max_size > MAX_SIZE {
            return Err(LayerError::MaxSizeTooLarge(max_size));
        }
        if max_size != 0 && !layer.protects() {
            return Err(LayerError::MaxSizeWithoutLayer(max_size));
        }
        Ok(LayerChoice {
            layer,
            max_size,
            authzid: authzid.filter(|a| !a.is_empty()).map(str::to_owned),
        })
    }

    /// The layer selected.
    pub fn layer(&self) -> SecurityLayers {
        self.layer
    }

    /// The largest message the client can receive (0 without a protecting layer).
    pub fn max_size(&self) -> u32 {
        self.max_size
    }

    /// The authorization identity, if one was sent.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The octets: the layer, the size in network byte order, the authorization identity.
    pub fn encode(&self) -> Vec<u8> {
        let [_, a, b, c] = self.max_size.to_be_bytes();
        let authzid = self.authzid.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(4 + authzid.len());
        out.extend_from_slice(&[self.layer.bits(), a, b, c]);
        out.extend_from_slice(authzid.as_bytes());
        out
    }

    /// Parses the unwrapped client message: at least 4 octets, exactly one known layer, a size
    /// of 0 unless that layer protects messages, and a UTF-8 authorization identity.
    pub fn decode(bytes: &[u8]) -> Result<Self, LayerError> {
        let [mask, a, b, c, authzid @ ..] = bytes else {
            return Err(LayerError::ChoiceTooShort { len: bytes.len() });
        };
        let authzid = std::str::from_utf8(authzid).map_err(|_| LayerError::AuthzidNotUtf8)?;
        LayerChoice::new(
            SecurityLayers::from_bits(*mask),
            u32::from_be_bytes([0, *a, *b, *c]),
            Some(authzid),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_encodes_mask_then_size_in_network_order() {
        let offer = LayerOffer::new(
            SecurityLayers::NONE.union(SecurityLayers::INTEGRITY),
            0x0012_3456,
        )
        .unwrap();
        assert_eq!(offer.encode(), [3, 0x12, 0x34, 0x56]);
        assert_eq!(LayerOffer::decode(&offer.encode()), Ok(offer));
        assert_eq!(LayerOffer::NO_LAYER.encode(), [1, 0, 0, 0]);
        assert_eq!(LayerOffer::decode(&[1, 0, 0, 0]), Ok(LayerOffer::NO_LAYER));
        // The largest size 3 octets carry.
        let max = LayerOffer::decode(&[4, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(max.max_size(), MAX_SIZE);
        assert!(max.layers().contains(SecurityLayers::CONFIDENTIALITY));
        assert!(!max.layers().contains(SecurityLayers::NONE));
    }

    #[test]
    fn offer_keeps_unknown_bits() {
        let offer = LayerOffer::decode(&[0x81, 0, 0, 0]).unwrap();
        assert!(offer.layers().contains(SecurityLayers::NONE));
        assert_eq!(offer.layers().bits(), 0x81);
        assert_eq!(offer.encode(), [0x81, 0, 0, 0]);
    }

    #[test]
    fn offer_is_exactly_four_octets() {
        for bad in [&[][..], &[1], &[1, 0, 0], &[1, 0, 0, 0, 0]] {
            assert_eq!(
                LayerOffer::decode(bad),
                Err(LayerError::OfferLength { len: bad.len() })
            );
        }
    }

    #[test]
    fn offer_size_must_be_zero_without_a_protecting_layer() {
        assert_eq!(
            LayerOffer::decode(&[1, 0, 1, 0]),
            Err(LayerError::MaxSizeWithoutLayer(256))
        );
        assert_eq!(
            LayerOffer::decode(&[0, 0, 0, 1]),
            Err(LayerError::MaxSizeWithoutLayer(1))
        );
        assert_eq!(
            LayerOffer::new(SecurityLayers::INTEGRITY, MAX_SIZE + 1),
            Err(LayerError::MaxSizeTooLarge(MAX_SIZE + 1))
        );
    }

    #[test]
    fn choice_round_trips_with_and_without_authzid() {
        let none = LayerChoice::no_layer(None);
        assert_eq!(none.encode(), [1, 0, 0, 0]);
        assert_eq!(LayerChoice::decode(&[1, 0, 0, 0]), Ok(none.clone()));
        // An empty authorization identity is none.
        assert_eq!(LayerChoice::no_layer(Some("")), none);
        let with = LayerChoice::no_layer(Some("rom\u{e9}o@example.com"));
        let bytes = with.encode();
        assert_eq!(&bytes[4..], "rom\u{e9}o@example.com".as_bytes());
        assert_eq!(LayerChoice::decode(&bytes), Ok(with));
        let integrity = LayerChoice::new(SecurityLayers::INTEGRITY, 4096, None).unwrap();
        assert_eq!(integrity.encode(), [2, 0, 0x10, 0]);
        assert_eq!(LayerChoice::decode(&integrity.encode()), Ok(integrity));
    }

    #[test]
    fn choice_is_exactly_one_known_layer() {
        for mask in [0u8, 3, 5, 6, 7, 8, 0x80] {
            assert_eq!(
                LayerChoice::decode(&[mask, 0, 0, 0]),
                Err(LayerError::NotOneLayer(mask)),
                "{mask:#x}"
            );
        }
    }

    #[test]
    fn choice_checks_length_size_and_utf8() {
        for bad in [&[][..], &[1], &[1, 0, 0]] {
            assert_eq!(
                LayerChoice::decode(bad),
                Err(LayerError::ChoiceTooShort { len: bad.len() })
            );
        }
        assert_eq!(
            LayerChoice::decode(&[1, 0, 0, 2]),
            Err(LayerError::MaxSizeWithoutLayer(2))
        );
        assert_eq!(
            LayerChoice::decode(&[1, 0, 0, 0, 0xff, 0xfe]),
            Err(LayerError::AuthzidNotUtf8)
        );
        assert_eq!(
            LayerChoice::new(SecurityLayers::CONFIDENTIALITY, u32::MAX, None),
            Err(LayerError::MaxSizeTooLarge(u32::MAX))
        );
    }
}
