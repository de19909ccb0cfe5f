//! [`CredentialStore`]: how server mechanisms reach user credentials, and [`MemoryStore`], an
//! in-memory implementation for tests, examples and small deployments.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rand_core::CryptoRngCore;

use crate::credentials::{CredentialsError, saslprep};
use crate::scram::{ScramCredentials, ScramHash};
use crate::session::ServerMechanismFactory;

/// Why a store could not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such user (or no credentials for this hash). Reported to the peer as
    /// `not-authorized`, exactly like a wrong password.
    #[error("unknown user")]
    UnknownUser,
    /// The password does not match (from [`CredentialStore::verify_password`]).
    #[error("wrong password")]
    WrongPassword,
    /// The store cannot answer now (directory down, ...): `temporary-auth-failure`.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// The state of an account, checked only after the credentials were verified (so that a
/// disabled account is not revealed to someone who does not know the password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccountStatus {
    /// The account may log in.
    #[default]
    Active,
    /// The account is disabled: `account-disabled`.
    Disabled,
    /// The credentials have expired: `credentials-expired`.
    CredentialsExpired,
}

/// The server's view of user credentials. Usernames arrive SASLprep'd.
///
/// Only [`scram_credentials`](CredentialStore::scram_credentials) is required: SCRAM uses the
/// salted keys directly, and PLAIN is checked against the same keys by the default
/// [`verify_password`](CredentialStore::verify_password), so no plaintext password is ever
/// stored. A store backed by a directory that checks passwords itself (LDAP bind, UCR-SASL-11)
/// overrides `verify_password`.
pub trait CredentialStore {
    /// The SCRAM credentials of `username` for `hash`.
    fn scram_credentials(
        &self,
        username: &str,
        hash: ScramHash,
    ) -> Result<ScramCredentials, StoreError>;

    /// Checks a SASLprep'd password (PLAIN). The default derives the SCRAM keys from the
    /// password with the stored salt (the first hash the store has, SHA-256 first) and compares
    /// them in constant time. For an unknown user it still runs one PBKDF2 so that the answer
    /// takes about as long.
    fn verify_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        let mut unknown = false;
        for hash in [ScramHash::Sha256, ScramHash::Sha512, ScramHash::Sha1] {
            match self.scram_credentials(username, hash) {
                Ok(creds) => {
                    return if creds.matches_prepared_password(password.as_bytes()) {
                        Ok(())
                    } else {
                        Err(StoreError::WrongPassword)
                    };
                }
                Err(StoreError::UnknownUser) => unknown = true,
                Err(e) => return Err(e),
            }
        }
        debug_assert!(unknown);
        // Equalise the time with a real check.
        let _ = ScramHash::Sha256.salted_password(password.as_bytes(), b"unknown-user-salt", 4096);
        Err(StoreError::UnknownUser)
    }

    /// Whether the authenticated `authcid` may act as `authzid` (RFC 6120 §6.3.8). Called only
    /// when the client asked for an authorization identity. The default allows only
    /// `authzid == authcid`.
    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        authcid == authzid
    }

    /// The account's status, asked after the credentials were verified.
    fn account_status(&self, _username: &str) -> AccountStatus {
        AccountStatus::Active
    }

    /// Extension mechanisms that authenticate this store's users (GSSAPI: the Kerberos realm
    /// vouches for the user, this store keeps the account's status and authorizations). A
    /// connection machine registers them on each SASL session it makes
    /// ([`ServerSession::with_extension`](crate::ServerSession::with_extension)). The default
    /// has none; [`ExtendedStore`](crate::ExtendedStore) adds some to any store.
    fn sasl_extensions(&self) -> Vec<Arc<dyn ServerMechanismFactory>> {
        Vec::new()
    }

    /// DIGEST-MD5 (feature `legacy-digest-md5`): `MD5(username ":" realm ":" password)`. The
    /// default has none, so DIGEST-MD5 fails with `not-authorized`.
    #[cfg(feature = "legacy-digest-md5")]
    fn digest_md5_secret(&self, _username: &str, _realm: &str) -> Result<[u8; 16], StoreError> {
        Err(StoreError::UnknownUser)
    }
}

impl<S: CredentialStore + ?Sized> CredentialStore for &S {
    fn scram_credentials(
        &self,
        username: &str,
        hash: ScramHash,
    ) -> Result<ScramCredentials, StoreError> {
        (**self).scram_credentials(username, hash)
    }
    fn verify_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        (**self).verify_password(username, password)
    }
    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        (**self).authorize(authcid, authzid)
    }
    fn account_status(&self, username: &str) -> AccountStatus {
        (**self).account_status(username)
    }
    fn sasl_extensions(&self) -> Vec<Arc<dyn ServerMechanismFactory>> {
        (**self).sasl_extensions()
    }
    #[cfg(feature = "legacy-digest-md5")]
    fn digest_md5_secret(&self, username: &str, realm: &str) -> Result<[u8; 16], StoreError> {
        (**self).digest_md5_secret(username, realm)
    }
}

#[derive(Debug, Clone, Default)]
struct Account {
    scram: Vec<ScramCredentials>,
    status: AccountStatus,
    #[cfg(feature = "legacy-digest-md5")]
    digest_md5: Option<(String, [u8; 16])>,
}

/// A [`CredentialStore`] in memory: SCRAM keys per user and hash, account status, and
/// authorization grants.
///
/// `authorize` accepts `authzid == authcid`, `authzid == authcid@domain` when a domain is set
/// with [`MemoryStore::with_domain`], and explicit grants from [`MemoryStore::grant`].
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    accounts: HashMap<String, Account>,
    grants: HashSet<(String, String)>,
    domain: Option<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Sets the domain: `user@domain` is then accepted as the authorization identity of `user`,
    /// and (with `legacy-digest-md5`) users added later get DIGEST-MD5 secrets for this realm.
    #[must_use]
    pub fn with_domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// Adds (or replaces) a user: derives SCRAM credentials for SHA-1, SHA-256 and SHA-512 with
    /// fresh salts and `iterations`. The password itself is not kept.
    pub fn add_user(
        &mut self,
        username: &str,
        password: &str,
        iterations: u32,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), CredentialsError> {
        let user = saslprep(username, "username")?;
        if user.is_empty() {
            return Err(CredentialsError::Empty { what: "username" });
        }
        let mut account = Account::default();
        for hash in ScramHash::ALL {
            account
                .scram
                .push(ScramCredentials::generate(hash, password, iterations, rng)?);
        }
        #[cfg(feature = "legacy-digest-md5")]
        if let Some(realm) = &self.domain {
            let prepared = saslprep(password, "password")?;
            account.digest_md5 = Some((
                realm.clone(),
                crate::digest_md5::secret::user_secret(&user, realm, &prepared),
            ));
        }
        self.accounts.insert(user, account);
        Ok(())
    }

    /// Adds SCRAM credentials computed elsewhere (replacing those of the same hash).
    pub fn insert_credentials(
        &mut self,
        username: &str,
        credentials: ScramCredentials,
    ) -> Result<(), CredentialsError> {
        let user = saslprep(username, "username")?;
        let account = self.accounts.entry(user).or_default();
        account.scram.retain(|c| c.hash() != credentials.hash());
        account.scram.push(credentials);
        Ok(())
    }

    /// Sets an account's status. Returns `false` if the user is unknown.
    pub fn set_status(&mut self, username: &str, status: AccountStatus) -> bool {
        match self.accounts.get_mut(username) {
            Some(a) => {
                a.status = status;
                true
            }
            None => false,
        }
    }

    /// Allows `authcid` to act as `authzid`.
    pub fn grant(&mut self, authcid: &str, authzid: &str) {
        self.grants.insert((authcid.to_owned(), authzid.to_owned()));
    }

    /// Removes a user. Returns whether it existed.
    pub fn remove_user(&mut self, username: &str) -> bool {
        self.accounts.remove(username).is_some()
    }
}

impl CredentialStore for MemoryStore {
    fn scram_credentials(
        &self,
        username: &str,
        hash: ScramHash,
    ) -> Result<ScramCredentials, StoreError> {
        self.accounts
            .get(username)
            .and_then(|a| a.scram.iter().find(|c| c.hash() == hash))
            .cloned()
            .ok_or(StoreError::UnknownUser)
    }

    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        if authcid == authzid
            || self
                .grants
                .contains(&(authcid.to_owned(), authzid.to_owned()))
        {
            return true;
        }
        match (&self.domain, authzid.split_once('@')) {
            (Some(domain), Some((local, d))) => local == authcid && d.eq_ignore_ascii_case(domain),
            _ => false,
        }
    }

    fn account_status(&self, username: &str) -> AccountStatus {
        self.accounts
            .get(username)
            .map(|a| a.status)
            .unwrap_or_default()
    }

    #[cfg(feature = "legacy-digest-md5")]
    fn digest_md5_secret(&self, username: &str, realm: &str) -> Result<[u8; 16], StoreError> {
        match self
            .accounts
            .get(username)
            .and_then(|a| a.digest_md5.as_ref())
        {
            Some((r, secret)) if r == realm => Ok(*secret),
            _ => Err(StoreError::UnknownUser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn store() -> MemoryStore {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut s = MemoryStore::new().with_domain("example.com");
        s.add_user("juliet", "r0m30", 4096, &mut rng).unwrap();
        s
    }

    /// UCR-SASL-11: the server checks identity and password against its store, which keeps
    /// only salted keys.
    #[test]
    fn ucr_sasl_11_verify_password_against_salted_keys() {
        let s = store();
        assert_eq!(s.verify_password("juliet", "r0m30"), Ok(()));
        assert_eq!(
            s.verify_password("juliet", "wrong"),
            Err(StoreError::WrongPassword)
        );
        assert_eq!(
            s.verify_password("romeo", "r0m30"),
            Err(StoreError::UnknownUser)
        );
        for h in ScramHash::ALL {
            let c = s.scram_credentials("juliet", h).unwrap();
            assert_eq!(c.stored_key().len(), h.output_len());
            assert_eq!(c.iterations(), 4096);
        }
    }

    #[test]
    fn authorize_rules() {
        let mut s = store();
        assert!(s.authorize("juliet", "juliet"));
        assert!(s.authorize("juliet", "juliet@EXAMPLE.com"));
        assert!(!s.authorize("juliet", "romeo@example.com"));
        s.grant("juliet", "romeo@example.com");
        assert!(s.authorize("juliet", "romeo@example.com"));
    }

    #[test]
    fn status_and_removal() {
        let mut s = store();
        assert_eq!(s.account_status("juliet"), AccountStatus::Active);
        assert!(s.set_status("juliet", AccountStatus::Disabled));
        assert_eq!(s.account_status("juliet"), AccountStatus::Disabled);
        assert!(!s.set_status("nobody", AccountStatus::Disabled));
        assert!(s.remove_user("juliet"));
        assert_eq!(
            s.scram_credentials("juliet", ScramHash::Sha1),
            Err(StoreError::UnknownUser)
        );
    }
}
