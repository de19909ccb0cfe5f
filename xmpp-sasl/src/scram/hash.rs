//! [`ScramHash`] and [`ScramCredentials`]: the hash functions of SCRAM and the salted keys a
//! server stores instead of passwords (RFC 5802 §3).

use std::fmt;

use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::credentials::{CredentialsError, saslprep};

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScramHash {
    /// SHA-1 (SCRAM-SHA-1, RFC 5802), 20-byte output.
    Sha1,
    /// SHA-256 (SCRAM-SHA-256, RFC 7677), 32-byte output.
    Sha256,
    /// SHA-512 (SCRAM-SHA-512), 64-byte output.
    Sha512,
}

/// The minimum iteration count RFC 7677 asks for, and this crate's default minimum.
pub const MIN_ITERATIONS: u32 = 4096;

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

impl ScramHash {
    /// Every hash, strongest first.
    pub const ALL: [ScramHash; 3] = [ScramHash::Sha512, ScramHash::Sha256, ScramHash::Sha1];

    /// Output length in bytes (the length of StoredKey, ServerKey, proofs and signatures).
    pub const fn output_len(self) -> usize {
        match self {
            ScramHash::Sha1 => 20,
            ScramHash::Sha256 => 32,
            ScramHash::Sha512 => 64,
        }
    }

    /// The hash name as used in mechanism names: `"SHA-1"`, `"SHA-256"`, `"SHA-512"`.
    pub const fn name(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SHA-1",
            ScramHash::Sha256 => "SHA-256",
            ScramHash::Sha512 => "SHA-512",
        }
    }

    /// `HMAC(key, parts[0] || parts[1] || ...)`.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => mac::<Hmac<Sha1>>(key, parts),
            ScramHash::Sha256 => mac::<Hmac<Sha256>>(key, parts),
            ScramHash::Sha512 => mac::<Hmac<Sha512>>(key, parts),
        }
    }

    /// `H(data)`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// PBKDF2 with this hash's HMAC, filling `out` (any length).
    pub(crate) fn pbkdf2_into(self, password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
        match self {
            ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, out),
            ScramHash::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out),
            ScramHash::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, out),
        }
    }

    /// `SaltedPassword := Hi(Normalize(password), salt, i)` for an already prepared password.
    pub(crate) fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0; self.output_len()];
        self.pbkdf2_into(password, salt, iterations, &mut out);
        out
    }

    /// `(ClientKey, StoredKey, ServerKey)` from a salted password.
    pub(crate) fn keys(self, salted_password: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let client_key = self.hmac(salted_password, &[b"Client Key"]);
        let stored_key = self.hash(&client_key);
        let server_key = self.hmac(salted_password, &[b"Server Key"]);
        (client_key, stored_key, server_key)
    }
}

impl fmt::Display for ScramHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a server stores for one user and one hash instead of the password: salt, iteration
/// count, `StoredKey = H(ClientKey)` and `ServerKey` (RFC 5802 §3).
///
/// `Debug` shows only the hash, iteration count and lengths, never the keys.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScramCredentials {
    hash: ScramHash,
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl ScramCredentials {
    /// Credentials from stored values (for example read back from a database). The key lengths
    /// must match the hash; salt and iteration count must not be empty or zero.
    pub fn new(
        hash: ScramHash,
        salt: Vec<u8>,
        iterations: u32,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, CredentialsError> {
        if salt.is_empty() {
            return Err(CredentialsError::EmptySalt);
        }
        if iterations == 0 {
            return Err(CredentialsError::ZeroIterations);
        }
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(CredentialsError::KeyLength {
                expected: hash.output_len(),
            });
        }
        Ok(ScramCredentials {
            hash,
            salt,
            iterations,
            stored_key,
            server_key,
        })
    }

    /// Derives the credentials from a password (SASLprep'd here) with the given salt and
    /// iteration count. Costs one PBKDF2 run.
    pub fn derive(
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, CredentialsError> {
        if salt.is_empty() {
            return Err(CredentialsError::EmptySalt);
        }
        if iterations == 0 {
            return Err(CredentialsError::ZeroIterations);
        }
        let password = saslprep(password, "password")?;
        let salted = hash.salted_password(password.as_bytes(), salt, iterations);
        let (_, stored_key, server_key) = hash.keys(&salted);
        Ok(ScramCredentials {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key,
            server_key,
        })
    }

    /// Derives the credentials from a password with a fresh random 16-byte salt.
    pub fn generate(
        hash: ScramHash,
        password: &str,
        iterations: u32,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, CredentialsError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        ScramCredentials::derive(hash, password, &salt, iterations)
    }

    /// The hash.
    pub fn hash(&self) -> ScramHash {
        self.hash
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// `StoredKey = H(HMAC(SaltedPassword, "Client Key"))`.
    pub fn stored_key(&self) -> &[u8] {
        &self.stored_key
    }

    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub fn server_key(&self) -> &[u8] {
        &self.server_key
    }

    /// Checks a (prepared) password against these credentials in constant time. Costs one
    /// PBKDF2 run.
    pub(crate) fn matches_prepared_password(&self, password: &[u8]) -> bool {
        let salted = self
            .hash
            .salted_password(password, &self.salt, self.iterations);
        let (_, stored_key, _) = self.hash.keys(&salted);
        bool::from(stored_key.ct_eq(&self.stored_key))
    }
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .finish_non_exhaustive()
    }
}
