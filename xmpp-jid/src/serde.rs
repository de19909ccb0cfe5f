//! `serde` support (feature `serde`): every address and part type serializes as its prepared
//! string, and deserializing parses and prepares, so an invalid address is a deserialization
//! error and never a value.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::{BareJid, DomainPart, FullJid, Jid, JidError, NodePart, ResourcePart};

struct ParseVisitor<T>(PhantomData<T>, &'static str);

impl<T> Visitor<'_> for ParseVisitor<T>
where
    T: TryFrom<String, Error = JidError> + for<'a> TryFrom<&'a str, Error = JidError>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::try_from(v).map_err(E::custom)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        T::try_from(v).map_err(E::custom)
    }
}

macro_rules! serde_impls {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_string(ParseVisitor::<$ty>(PhantomData, $expecting))
            }
        }
    };
}

serde_impls!(Jid, "an XMPP address");
serde_impls!(BareJid, "a bare XMPP address (no resource)");
serde_impls!(FullJid, "a full XMPP address (with a resource)");

macro_rules! serde_part_impls {
    ($name:ident, $expecting:literal) => {
        impl Serialize for $name<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name<'static> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct PartVisitor;

                impl Visitor<'_> for PartVisitor {
                    type Value = $name<'static>;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        $name::new(v).map($name::into_owned).map_err(E::custom)
                    }

                    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                        $name::try_from(v).map_err(E::custom)
                    }
                }

                deserializer.deserialize_string(PartVisitor)
            }
        }
    };
}

serde_part_impls!(NodePart, "an XMPP node (localpart)");
serde_part_impls!(DomainPart, "an XMPP domain");
serde_part_impls!(ResourcePart, "an XMPP resource");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_deserializing_prepares() {
        let jid: Jid = serde_json::from_str(r#""Juliet@Example.COM/Balcony""#).unwrap();
        assert_eq!(jid.as_str(), "juliet@example.com/Balcony");
        assert_eq!(
            serde_json::to_string(&jid).unwrap(),
            r#""juliet@example.com/Balcony""#
        );
        let full: FullJid = serde_json::from_str(r#""a@b/c""#).unwrap();
        assert_eq!(full.resource(), "c");
        let bare: BareJid = serde_json::from_str(r#""A@B""#).unwrap();
        assert_eq!(bare.as_str(), "a@b");
        let node: NodePart<'static> = serde_json::from_str(r#""JULIET""#).unwrap();
        assert_eq!(node, "juliet");
        let domain: DomainPart<'static> = serde_json::from_str(r#""EXAMPLE.com.""#).unwrap();
        assert_eq!(domain, "example.com");
        let resource: ResourcePart<'static> = serde_json::from_str(r#""R R""#).unwrap();
        assert_eq!(serde_json::to_string(&resource).unwrap(), r#""R R""#);
    }

    #[test]
    fn deserializing_rejects_invalid_input_with_the_reason() {
        let err = serde_json::from_str::<Jid>(r#""a@b@c""#).unwrap_err();
        assert!(err.to_string().contains("domain label 0"), "{err}");
        let err = serde_json::from_str::<FullJid>(r#""a@b""#).unwrap_err();
        assert!(err.to_string().contains("needs a resource"), "{err}");
        let err = serde_json::from_str::<BareJid>(r#""a@b/c""#).unwrap_err();
        assert!(err.to_string().contains("cannot have a resource"), "{err}");
        assert!(serde_json::from_str::<NodePart<'static>>(r#""a b""#).is_err());
        assert!(serde_json::from_str::<Jid>("42").is_err());
    }
}
