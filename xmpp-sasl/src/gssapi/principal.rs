//! Kerberos principal names as GSS-API displays them ([`Principal`]) and the server's rule for
//! turning an authenticated principal into a local account name ([`PrincipalMapping`]). Pure:
//! no GSS-API call.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::credentials::saslprep;

/// A principal name that cannot be parsed, or a local part that cannot name an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid principal `{name}`: {reason}")]
pub struct PrincipalError {
    /// The name (cut to 64 bytes).
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl PrincipalError {
    fn new(name: &str, reason: &'static str) -> Self {
        PrincipalError {
            name: crate::text::truncate(name, 64),
            reason,
        }
    }
}

/// A Kerberos V5 principal in its string form (RFC 1964 §2.1.1, as MIT krb5 displays it):
/// components separated by `/`, the realm after `@`, `\` escaping the next character
/// (`\n`, `\t`, `\b` and `\0` name control characters).
///
/// ```
/// use xmpp_sasl::gssapi::Principal;
/// let p: Principal = "xmpp/im.example.com@EXAMPLE.COM".parse().unwrap();
/// assert_eq!(p.components(), ["xmpp", "im.example.com"]);
/// assert_eq!(p.realm(), "EXAMPLE.COM");
/// assert_eq!(p.to_string(), "xmpp/im.example.com@EXAMPLE.COM");
/// assert!("juliet".parse::<Principal>().is_err()); // no realm
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Principal {
    components: Vec<String>,
    realm: String,
}

impl Principal {
    /// Parses the string form. A realm is required (GSS-API names of authenticated Kerberos
    /// peers always carry one); no component and not the realm may be empty.
    pub fn parse(s: &str) -> Result<Principal, PrincipalError> {
        let mut components = Vec::new();
        let mut current = String::new();
        let mut realm: Option<String> = None;
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            let (c, literal) = if c == '\\' {
                let escaped = match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('b') => '\u{8}',
                    Some('0') => '\0',
                    Some(other) => other,
                    None => return Err(PrincipalError::new(s, "ends with a lone `\\`")),
                };
                (escaped, true)
            } else {
                (c, false)
            };
            match (c, literal, &mut realm) {
                ('@', false, None) => {
                    components.push(std::mem::take(&mut current));
                    realm = Some(String::new());
                }
                ('@', false, Some(_)) => {
                    return Err(PrincipalError::new(s, "more than one unescaped `@`"));
                }
                ('/', false, None) => components.push(std::mem::take(&mut current)),
                (c, _, Some(r)) => r.push(c),
                (c, _, None) => current.push(c),
            }
        }
        let Some(realm) = realm else {
            return Err(PrincipalError::new(s, "no realm"));
        };
        if realm.is_empty() {
            return Err(PrincipalError::new(s, "empty realm"));
        }
        if components.iter().any(String::is_empty) {
            return Err(PrincipalError::new(s, "empty component"));
        }
        Ok(Principal { components, realm })
    }

    /// The name components (`["juliet"]`, `["xmpp", "host"]`).
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

impl FromStr for Principal {
    type Err = PrincipalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Principal::parse(s)
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '/' | '@' | '\\' => write!(f, "\\{c}")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\0' => f.write_str("\\0")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write_escaped(f, c)?;
        }
        f.write_str("@")?;
        write_escaped(f, &self.realm)
    }
}

/// Checks and prepares a local part: SASLprep'd (the form a [`CredentialStore`] gets, see
/// its docs) and free of what an XMPP node may not contain (RFC 6122: `"&'/:<>@`, spaces and
/// control characters).
///
/// [`CredentialStore`]: crate::CredentialStore
fn local_part(name: &str) -> Option<String> {
    let prepared = saslprep(name, "local part").ok()?;
    let forbidden = |c: char| "\"&'/:<>@".contains(c) || c.is_whitespace() || c.is_control();
    (!prepared.is_empty() && !prepared.contains(forbidden)).then_some(prepared)
}

/// Which authenticated principals may log in, as which local account (the node of the JID
/// for c2s): the server side's authorization rule, explicit and configurable.
///
/// 1. An explicit entry ([`with_principal`](Self::with_principal)) maps that exact principal
///    to its local part, whatever its realm and components.
/// 2. Otherwise a principal of one component in one of the [`realms`](Self::realms) maps to
///    that component: `juliet@EXAMPLE.COM` → `juliet` (the default rule, with the realm the
///    server is configured for).
/// 3. Anything else (another realm, `juliet/admin@EXAMPLE.COM`, a service principal) is
///    refused, as is a local part that is not a valid account name.
///
/// ```
/// use xmpp_sasl::gssapi::{Principal, PrincipalMapping};
/// let mapping = PrincipalMapping::realm("EXAMPLE.COM")
///     .with_principal("romeo/admin@EXAMPLE.COM", "romeo")
///     .unwrap();
/// let map = |p: &str| mapping.map(&p.parse::<Principal>().unwrap());
/// assert_eq!(map("juliet@EXAMPLE.COM").as_deref(), Some("juliet"));
/// assert_eq!(map("romeo/admin@EXAMPLE.COM").as_deref(), Some("romeo"));
/// assert_eq!(map("juliet@OTHER.ORG"), None);
/// assert_eq!(map("nurse/admin@EXAMPLE.COM"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalMapping {
    realms: Vec<String>,
    explicit: BTreeMap<Principal, String>,
}

impl PrincipalMapping {
    /// The default rule for one realm: `name@realm` → `name`. Realms compare exactly (Kerberos
    /// realms are case-sensitive).
    pub fn realm(realm: &str) -> Self {
        PrincipalMapping::default().with_realm(realm)
    }

    /// Maps nothing: only explicit entries will be accepted.
    pub fn none() -> Self {
        PrincipalMapping::default()
    }

    /// Also maps `name@realm` → `name` for this realm (cross-realm trust).
    #[must_use]
    pub fn with_realm(mut self, realm: &str) -> Self {
        if !self.realms.iter().any(|r| r == realm) {
            self.realms.push(realm.to_owned());
        }
        self
    }

    /// Maps exactly `principal` (string form, realm included) to the account `local`.
    pub fn with_principal(mut self, principal: &str, local: &str) -> Result<Self, PrincipalError> {
        let principal = Principal::parse(principal)?;
        let local = local_part(local)
            .ok_or_else(|| PrincipalError::new(local, "not a valid local part"))?;
        self.explicit.insert(principal, local);
        Ok(self)
    }

    /// The realms whose one-component principals map by name.
    pub fn realms(&self) -> &[String] {
        &self.realms
    }

    /// The local account of `principal`, or `None` if it may not log in.
    pub fn map(&self, principal: &Principal) -> Option<String> {
        if let Some(local) = self.explicit.get(principal) {
            return Some(local.clone());
        }
        match principal.components() {
            [name] if self.realms.iter().any(|r| r == principal.realm()) => local_part(name),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Principal {
        Principal::parse(s).unwrap()
    }

    #[test]
    fn parses_components_realm_and_escapes() {
        let user = p("juliet@EXAMPLE.COM");
        assert_eq!(user.components(), ["juliet"]);
        assert_eq!(user.realm(), "EXAMPLE.COM");
        let service = p("xmpp/localhost@EXAMPLE.COM");
        assert_eq!(service.components(), ["xmpp", "localhost"]);
        let odd = p(r"we\/ird\@name/x\\y@RE\@ALM");
        assert_eq!(odd.components(), ["we/ird@name", r"x\y"]);
        assert_eq!(odd.realm(), "RE@ALM");
        assert_eq!(odd.to_string(), r"we\/ird\@name/x\\y@RE\@ALM");
        assert_eq!(p(r"a\nb\tc\0@R").components(), ["a\nb\tc\0"]);
        assert_eq!(p(r"a\nb\tc\0@R").to_string(), r"a\nb\tc\0@R");
        // The realm may contain `/`.
        assert_eq!(p("a@R/S").realm(), "R/S");
    }

    #[test]
    fn refuses_malformed_names() {
        for (bad, reason) in [
            ("juliet", "no realm"),
            ("juliet@", "empty realm"),
            ("@EXAMPLE.COM", "empty component"),
            ("xmpp/@EXAMPLE.COM", "empty component"),
            ("a@B@C", "more than one unescaped `@`"),
            ("a@B\\", "ends with a lone `\\`"),
        ] {
            assert_eq!(
                Principal::parse(bad),
                Err(PrincipalError::new(bad, reason)),
                "{bad}"
            );
        }
    }

    #[test]
    fn default_rule_maps_one_component_of_the_configured_realm() {
        let m = PrincipalMapping::realm("EXAMPLE.COM");
        assert_eq!(m.map(&p("juliet@EXAMPLE.COM")).as_deref(), Some("juliet"));
        // Realms are case-sensitive; other realms, instances and services are refused.
        assert_eq!(m.map(&p("juliet@example.com")), None);
        assert_eq!(m.map(&p("juliet@OTHER.ORG")), None);
        assert_eq!(m.map(&p("juliet/admin@EXAMPLE.COM")), None);
        assert_eq!(m.map(&p("xmpp/localhost@EXAMPLE.COM")), None);
        // A name that cannot be an account is refused.
        for bad in [
            "a:b@EXAMPLE.COM",
            "a\\@b@EXAMPLE.COM",
            "a b@EXAMPLE.COM",
            "\u{7}@EXAMPLE.COM",
        ] {
            assert_eq!(m.map(&p(bad)), None, "{bad}");
        }
        // SASLprep'd, as stores expect.
        assert_eq!(m.map(&p("I\u{ad}X@EXAMPLE.COM")).as_deref(), Some("IX"));
    }

    #[test]
    fn more_realms_and_explicit_entries() {
        let m = PrincipalMapping::realm("EXAMPLE.COM")
            .with_realm("PARTNER.ORG")
            .with_realm("PARTNER.ORG")
            .with_principal("romeo/admin@EXAMPLE.COM", "romeo")
            .unwrap()
            .with_principal("juliet@EXAMPLE.COM", "capulet")
            .unwrap();
        assert_eq!(m.realms(), ["EXAMPLE.COM", "PARTNER.ORG"]);
        assert_eq!(m.map(&p("nurse@PARTNER.ORG")).as_deref(), Some("nurse"));
        assert_eq!(
            m.map(&p("romeo/admin@EXAMPLE.COM")).as_deref(),
            Some("romeo")
        );
        // An explicit entry wins over the realm rule.
        assert_eq!(m.map(&p("juliet@EXAMPLE.COM")).as_deref(), Some("capulet"));
        assert!(
            PrincipalMapping::none()
                .with_principal("x@R", "a@b")
                .is_err()
        );
        assert!(PrincipalMapping::none().with_principal("x", "a").is_err());
        assert_eq!(PrincipalMapping::none().map(&p("juliet@EXAMPLE.COM")), None);
    }
}
