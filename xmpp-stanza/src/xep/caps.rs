//! XEP-0115 entity capabilities: the [`Caps`] element, the verification string
//! ([`verification_string`]), its hash ([`hash_ver`]) and the check that refuses a forged
//! `ver` ([`Caps::verify`]).

use base64::Engine;
use sha1::Digest;
use xmpp_stream::xml::Element;

use super::disco::DiscoInfo;
use super::forms::FieldType;
use crate::util::req_attr;
use crate::{ParseError, Payload};

/// `http://jabber.org/protocol/caps`.
pub const NS: &str = "http://jabber.org/protocol/caps";

/// `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='...' ver='...'/>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caps {
    /// The hash function name (IANA), `sha-1` by default.
    pub hash: String,
    /// The software's URI.
    pub node: String,
    /// The verification string hash, base64.
    pub ver: String,
    /// Legacy `ext`.
    pub ext: Option<String>,
}

/// Why a disco#info result does not match (or cannot be checked against) a caps `ver`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CapsError {
    /// The hash function is not one this crate computes (`sha-1`, `sha-256`, `sha-512`).
    #[error("unsupported caps hash function {0:?}")]
    UnsupportedHash(String),
    /// The result has the same identity (category/type/lang/name) twice.
    #[error("disco#info has a duplicate identity")]
    DuplicateIdentity,
    /// The result has the same feature twice.
    #[error("disco#info has a duplicate feature {0:?}")]
    DuplicateFeature(String),
    /// Two extended forms have the same `FORM_TYPE`.
    #[error("disco#info has two extended forms with FORM_TYPE {0:?}")]
    DuplicateFormType(String),
    /// The recomputed hash differs from `ver`: a forged or stale advertisement.
    #[error("caps ver {claimed:?} does not match the computed {computed:?}")]
    Mismatch {
        /// The `ver` received.
        claimed: String,
        /// The hash of the disco#info result.
        computed: String,
    },
}

/// The XEP-0115 §5.1 verification string `S` of a disco#info result.
///
/// Forms whose `FORM_TYPE` is missing or not hidden are left out (§5.4 step 3.6).
///
/// # Errors
/// [`CapsError::DuplicateIdentity`], [`CapsError::DuplicateFeature`],
/// [`CapsError::DuplicateFormType`]: the result must not be used (§5.4 step 3.3-3.5).
pub fn verification_string(info: &DiscoInfo) -> Result<String, CapsError> {
    let mut ids: Vec<String> = info
        .identities
        .iter()
        .map(|i| {
            format!(
                "{}/{}/{}/{}",
                i.category,
                i.kind,
                i.lang.as_deref().unwrap_or(""),
                i.name.as_deref().unwrap_or("")
            )
        })
        .collect();
    ids.sort();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(CapsError::DuplicateIdentity);
    }
    let mut features: Vec<&str> = info.features.iter().map(String::as_str).collect();
    features.sort_unstable();
    if let Some(w) = features.windows(2).find(|w| w[0] == w[1]) {
        return Err(CapsError::DuplicateFeature(w[0].to_owned()));
    }
    let mut forms: Vec<(&str, &super::forms::DataForm)> = info
        .extensions
        .iter()
        .filter_map(|f| {
            let ft = f.field("FORM_TYPE")?;
            if ft.kind != Some(FieldType::Hidden) {
                return None;
            }
            Some((ft.values.first()?.as_str(), f))
        })
        .collect();
    forms.sort_by(|a, b| a.0.cmp(b.0));
    if let Some(w) = forms.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(CapsError::DuplicateFormType(w[0].0.to_owned()));
    }
    let mut s = String::new();
    for i in ids {
        s.push_str(&i);
        s.push('<');
    }
    for f in features {
        s.push_str(f);
        s.push('<');
    }
    for (form_type, form) in forms {
        s.push_str(form_type);
        s.push('<');
        let mut fields: Vec<_> = form
            .fields
            .iter()
            .filter(|f| f.var.as_deref().is_some_and(|v| v != "FORM_TYPE"))
            .collect();
        fields.sort_by(|a, b| a.var.cmp(&b.var));
        for f in fields {
            s.push_str(f.var.as_deref().unwrap_or(""));
            s.push('<');
            let mut values: Vec<&str> = f.values.iter().map(String::as_str).collect();
            values.sort_unstable();
            for v in values {
                s.push_str(v);
                s.push('<');
            }
        }
    }
    Ok(s)
}

/// The base64 hash of `s` with `hash` (`sha-1`, `sha-256`, `sha-512`); `None` for another.
pub fn hash_ver(hash: &str, s: &str) -> Option<String> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    Some(match hash {
        "sha-1" => b64.encode(sha1::Sha1::digest(s.as_bytes())),
        "sha-256" => b64.encode(sha2::Sha256::digest(s.as_bytes())),
        "sha-512" => b64.encode(sha2::Sha512::digest(s.as_bytes())),
        _ => return None,
    })
}

impl Caps {
    /// The caps element advertising `info` under `node`, hashed with SHA-1.
    ///
    /// # Errors
    /// As [`verification_string`].
    pub fn for_info(node: impl Into<String>, info: &DiscoInfo) -> Result<Caps, CapsError> {
        let s = verification_string(info)?;
        Ok(Caps {
            hash: "sha-1".into(),
            node: node.into(),
            ver: hash_ver("sha-1", &s).unwrap_or_default(),
            ext: None,
        })
    }

    /// Checks that `info` (the disco#info result for `node#ver`) hashes to `ver`.
    ///
    /// # Errors
    /// [`CapsError::Mismatch`] for a forged `ver`, [`CapsError::UnsupportedHash`], or the
    /// errors of [`verification_string`].
    pub fn verify(&self, info: &DiscoInfo) -> Result<(), CapsError> {
        let s = verification_string(info)?;
        let computed = hash_ver(&self.hash, &s)
            .ok_or_else(|| CapsError::UnsupportedHash(self.hash.clone()))?;
        if computed == self.ver {
            Ok(())
        } else {
            Err(CapsError::Mismatch {
                claimed: self.ver.clone(),
                computed,
            })
        }
    }
}

impl Payload for Caps {
    const NAME: &'static str = "c";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for Caps {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        Ok(Caps {
            hash: req_attr(e, "c", "hash")?.to_owned(),
            node: req_attr(e, "c", "node")?.to_owned(),
            ver: req_attr(e, "c", "ver")?.to_owned(),
            ext: e.attr("ext").map(str::to_owned),
        })
    }
}

impl From<Caps> for Element {
    fn from(c: Caps) -> Element {
        Element::builder("c", NS)
            .attr("hash", c.hash)
            .attr("node", c.node)
            .attr("ver", c.ver)
            .attr_opt("ext", c.ext)
            .build()
    }
}
