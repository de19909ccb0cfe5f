//! [`ExtendedStore`]: any [`CredentialStore`] plus the extension mechanisms (GSSAPI, ...) that
//! authenticate its users, so that code which is handed only a store (the connection machine's
//! receiver, the adapters' servers) offers them too.

use std::fmt;
use std::sync::Arc;

use crate::scram::{ScramCredentials, ScramHash};
use crate::session::ServerMechanismFactory;
use crate::store::{AccountStatus, CredentialStore, StoreError};

/// A credential store with extension mechanisms: every [`CredentialStore`] call goes to the
/// inner store, and [`CredentialStore::sasl_extensions`] lists the inner store's extensions,
/// then the ones added here.
///
/// ```
/// use std::sync::Arc;
/// use xmpp_sasl::{
///     CredentialStore, ExtendedStore, MemoryStore, ServerMechanism, ServerMechanismFactory,
///     ServerPolicy, ServerSession, Transport,
/// };
///
/// /// A guest login: ANONYMOUS's exchange under a name of its own.
/// #[derive(Debug)]
/// struct Guest;
/// impl ServerMechanismFactory for Guest {
///     fn name(&self) -> &str { "X-GUEST" }
///     fn is_offered(&self, transport: &Transport) -> bool { transport.tls_active }
///     fn start(&self) -> Box<dyn ServerMechanism> {
///         Box::new(xmpp_sasl::anonymous::AnonymousServer::new())
///     }
/// }
///
/// let store = ExtendedStore::new(MemoryStore::new()).with_extension(Arc::new(Guest));
/// // What a connection machine does with the store it was given:
/// let session = store
///     .sasl_extensions()
///     .into_iter()
///     .fold(ServerSession::new(ServerPolicy::rfc6120()), ServerSession::with_extension);
/// assert_eq!(session.offered(&Transport::tls())[0], "X-GUEST");
/// assert!(!session.offered(&Transport::plaintext()).contains(&"X-GUEST"));
/// ```
#[derive(Clone)]
pub struct ExtendedStore<S> {
    inner: S,
    extensions: Vec<Arc<dyn ServerMechanismFactory>>,
}

impl<S> ExtendedStore<S> {
    /// `inner` with no extension added yet.
    pub fn new(inner: S) -> Self {
        ExtendedStore {
            inner,
            extensions: Vec::new(),
        }
    }

    /// Adds an extension mechanism (offered before the built-ins, in the order added).
    #[must_use]
    pub fn with_extension(mut self, factory: Arc<dyn ServerMechanismFactory>) -> Self {
        self.extensions.push(factory);
        self
    }

    /// The inner store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The inner store, to change its accounts.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for ExtendedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtendedStore")
            .field("inner", &self.inner)
            .field(
                "extensions",
                &self.extensions.iter().map(|e| e.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<S: CredentialStore> CredentialStore for ExtendedStore<S> {
    fn scram_credentials(
        &self,
        username: &str,
        hash: ScramHash,
    ) -> Result<ScramCredentials, StoreError> {
        self.inner.scram_credentials(username, hash)
    }
    fn verify_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        self.inner.verify_password(username, password)
    }
    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        self.inner.authorize(authcid, authzid)
    }
    fn account_status(&self, username: &str) -> AccountStatus {
        self.inner.account_status(username)
    }
    fn sasl_extensions(&self) -> Vec<Arc<dyn ServerMechanismFactory>> {
        let mut all = self.inner.sasl_extensions();
        all.extend(self.extensions.iter().cloned());
        all
    }
    #[cfg(feature = "legacy-digest-md5")]
    fn digest_md5_secret(&self, username: &str, realm: &str) -> Result<[u8; 16], StoreError> {
        self.inner.digest_md5_secret(username, realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServerMechanism;
    use crate::store::MemoryStore;
    use crate::transport::Transport;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[derive(Debug)]
    struct Named(&'static str);
    impl ServerMechanismFactory for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn is_offered(&self, _: &Transport) -> bool {
            true
        }
        fn start(&self) -> Box<dyn ServerMechanism> {
            Box::new(crate::plain::PlainServer::new())
        }
    }

    #[test]
    fn delegates_to_the_inner_store_and_lists_extensions_in_order() {
        let mut inner = MemoryStore::new();
        inner
            .add_user("juliet", "r0m30", 4096, &mut ChaCha20Rng::seed_from_u64(1))
            .unwrap();
        let mut store = ExtendedStore::new(inner)
            .with_extension(Arc::new(Named("X-ONE")))
            .with_extension(Arc::new(Named("X-THREE")));
        let names: Vec<String> = store
            .sasl_extensions()
            .iter()
            .map(|e| e.name().to_owned())
            .collect();
        assert_eq!(names, ["X-ONE", "X-THREE"]);
        assert_eq!(store.verify_password("juliet", "r0m30"), Ok(()));
        assert_eq!(
            store.verify_password("juliet", "wrong"),
            Err(StoreError::WrongPassword)
        );
        assert!(
            store
                .inner_mut()
                .set_status("juliet", AccountStatus::Disabled)
        );
        assert_eq!(store.account_status("juliet"), AccountStatus::Disabled);
        assert!(format!("{store:?}").contains("X-THREE"));
    }

    #[test]
    fn nested_stores_list_inner_extensions_first() {
        let inner = ExtendedStore::new(MemoryStore::new()).with_extension(Arc::new(Named("X-IN")));
        let outer = ExtendedStore::new(inner).with_extension(Arc::new(Named("X-OUT")));
        let names: Vec<String> = outer
            .sasl_extensions()
            .iter()
            .map(|e| e.name().to_owned())
            .collect();
        assert_eq!(names, ["X-IN", "X-OUT"]);
    }
}
