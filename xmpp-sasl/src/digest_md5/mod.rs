//! DIGEST-MD5 (RFC 2831), client ([`DigestMd5Client`]) and server ([`DigestMd5Server`]),
//! behind the non-default feature `legacy-digest-md5`.
//!
//! DIGEST-MD5 is historic (RFC 6331) and only here for old deployments (the 2007 draft made it
//! mandatory). Only `qop=auth` with `algorithm=md5-sess` and `charset=utf-8` is supported (no
//! integrity or confidentiality layer); `digest-uri` is `xmpp/<domain>`. The server keeps
//! `MD5(username:realm:password)` per user instead of the password
//! ([`CredentialStore::digest_md5_secret`](crate::CredentialStore::digest_md5_secret)) and
//! sends `rspauth` in a challenge, which every client understands; the client also accepts it
//! as `<success/>` data, as in the draft's example.

pub(crate) mod secret;

use md5::{Digest, Md5};
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;

use crate::client::ClientMechanism;
use crate::condition::SaslCondition;
use crate::credentials::{Credentials, CredentialsError, saslprep};
use crate::failure::{Cause, Failure};
use crate::scram::new_nonce;
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};
use crate::store::{AccountStatus, StoreError};

pub use secret::user_secret;

const MAX_DIRECTIVES: usize = 32;

fn unexpected() -> Failure {
    Failure::new(SaslCondition::MalformedRequest, Cause::UnexpectedMessage)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The `response` value (or `rspauth` when `rspauth` is set), RFC 2831 §2.1.2.1.
#[allow(clippy::too_many_arguments)]
fn response_value(
    secret: &[u8; 16],
    nonce: &str,
    cnonce: &str,
    authzid: Option<&str>,
    nc: &str,
    qop: &str,
    digest_uri: &str,
    rspauth: bool,
) -> String {
    let mut a1 = Md5::new();
    a1.update(secret);
    a1.update(format!(":{nonce}:{cnonce}").as_bytes());
    if let Some(a) = authzid {
        a1.update(b":");
        a1.update(a.as_bytes());
    }
    let ha1 = hex(&a1.finalize());
    let a2 = if rspauth {
        format!(":{digest_uri}")
    } else {
        format!("AUTHENTICATE:{digest_uri}")
    };
    let ha2 = hex(&Md5::digest(a2.as_bytes()));
    hex(&Md5::digest(
        format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}").as_bytes(),
    ))
}

/// Parses `key=value` directives (values as tokens or quoted strings), RFC 2831 §7.1.
fn directives(data: &[u8]) -> Result<Vec<(String, String)>, Failure> {
    let text =
        std::str::from_utf8(data).map_err(|_| Failure::malformed("DIGEST-MD5 is not UTF-8"))?;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chars = text.chars().peekable();
    let lws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    loop {
        while chars.peek().is_some_and(|&c| lws(c) || c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || lws(c) || c == ',' {
                break;
            }
            key.push(c.to_ascii_lowercase());
            chars.next();
        }
        while chars.peek().is_some_and(|&c| lws(c)) {
            chars.next();
        }
        if key.is_empty() || chars.next() != Some('=') {
            return Err(Failure::malformed("DIGEST-MD5 directive is not key=value"));
        }
        while chars.peek().is_some_and(|&c| lws(c)) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(Failure::malformed("DIGEST-MD5 unterminated string")),
                    },
                    Some(c) => value.push(c),
                    None => return Err(Failure::malformed("DIGEST-MD5 unterminated string")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || lws(c) {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        while chars.peek().is_some_and(|&c| lws(c)) {
            chars.next();
        }
        match chars.next() {
            None | Some(',') => {}
            Some(_) => return Err(Failure::malformed("DIGEST-MD5 junk after a directive")),
        }
        if out.len() == MAX_DIRECTIVES {
            return Err(Failure::malformed("too many DIGEST-MD5 directives"));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The single value of `key`; a repeated directive is an error (except `realm` in challenges,
/// which the caller reads with [`all`]).
fn single<'a>(d: &'a [(String, String)], key: &str) -> Result<Option<&'a str>, Failure> {
    let mut it = d.iter().filter(|(k, _)| k == key);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(Failure::malformed("repeated DIGEST-MD5 directive"));
    }
    Ok(first)
}

fn all<'a>(d: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    d.iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn rspauth_of(data: &[u8]) -> Result<String, Failure> {
    let d = directives(data)?;
    single(&d, "rspauth")?
        .map(str::to_owned)
        .ok_or_else(|| Failure::malformed("DIGEST-MD5 rspauth missing"))
}

#[derive(Debug)]
enum ClientState {
    Initial,
    SentResponse { rspauth: String },
    Verified,
    Done,
    Failed,
}

/// The client side of DIGEST-MD5. `Debug` never shows the password.
pub struct DigestMd5Client {
    username: String,
    password: String,
    authzid: Option<String>,
    domain: String,
    cnonce: String,
    state: ClientState,
}

impl std::fmt::Debug for DigestMd5Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestMd5Client")
            .field("username", &self.username)
            .field("domain", &self.domain)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl DigestMd5Client {
    /// A DIGEST-MD5 client; needs username, password and the server's domain
    /// ([`Credentials::with_domain`]). The cnonce is drawn from `rng` here.
    pub fn new(
        credentials: &Credentials,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, CredentialsError> {
        let (user, pass) = credentials.user_password("DIGEST-MD5")?;
        let domain = credentials
            .domain
            .clone()
            .ok_or(CredentialsError::MissingDomain)?;
        Ok(DigestMd5Client {
            username: user.to_owned(),
            password: pass.to_owned(),
            authzid: credentials.authzid.clone(),
            domain,
            cnonce: new_nonce(rng),
            state: ClientState::Initial,
        })
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        let d = directives(challenge)?;
        let nonce = single(&d, "nonce")?
            .ok_or_else(|| Failure::malformed("DIGEST-MD5 challenge lacks nonce"))?;
        if single(&d, "algorithm")? != Some("md5-sess") {
            return Err(Failure::malformed("DIGEST-MD5 algorithm is not md5-sess"));
        }
        if let Some(qop) = single(&d, "qop")? {
            if !qop.split(',').any(|q| q.trim() == "auth") {
                return Err(Failure::new(
                    SaslCondition::MechanismTooWeak,
                    Cause::Malformed("DIGEST-MD5 server does not offer qop=auth"),
                ));
            }
        }
        let realm = all(&d, "realm").next().unwrap_or(&self.domain).to_owned();
        let digest_uri = format!("xmpp/{}", self.domain);
        let secret = user_secret(&self.username, &realm, &self.password);
        let authzid = self.authzid.as_deref();
        let nc = "00000001";
        let response = response_value(
            &secret,
            nonce,
            &self.cnonce,
            authzid,
            nc,
            "auth",
            &digest_uri,
            false,
        );
        let rspauth = response_value(
            &secret,
            nonce,
            &self.cnonce,
            authzid,
            nc,
            "auth",
            &digest_uri,
            true,
        );
        let mut msg = format!(
            "username={},realm={},nonce={},cnonce={},nc={nc},qop=auth,digest-uri={},response={response},charset=utf-8",
            quote(&self.username),
            quote(&realm),
            quote(nonce),
            quote(&self.cnonce),
            quote(&digest_uri),
        );
        if let Some(a) = authzid {
            msg.push_str(&format!(",authzid={}", quote(a)));
        }
        self.state = ClientState::SentResponse { rspauth };
        Ok(msg.into_bytes())
    }
}

fn check_rspauth(expected: &str, data: &[u8]) -> Result<(), Failure> {
    let got = rspauth_of(data)?;
    if bool::from(
        got.to_ascii_lowercase()
            .as_bytes()
            .ct_eq(expected.as_bytes()),
    ) {
        Ok(())
    } else {
        Err(Failure::not_authorized(Cause::ServerSignatureMismatch))
    }
}

impl ClientMechanism for DigestMd5Client {
    fn name(&self) -> &str {
        "DIGEST-MD5"
    }

    /// DIGEST-MD5 has no initial response.
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        match self.state {
            ClientState::Initial => Ok(None),
            _ => Err(unexpected()),
        }
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        let result = match std::mem::replace(&mut self.state, ClientState::Failed) {
            ClientState::Initial => self.respond(challenge),
            ClientState::SentResponse { rspauth } => check_rspauth(&rspauth, challenge).map(|()| {
                self.state = ClientState::Verified;
                Vec::new()
            }),
            _ => Err(unexpected()),
        };
        if result.is_err() {
            self.state = ClientState::Failed;
        }
        result
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        let result = match (
            std::mem::replace(&mut self.state, ClientState::Failed),
            additional_data,
        ) {
            (ClientState::SentResponse { rspauth }, Some(data)) if !data.is_empty() => {
                check_rspauth(&rspauth, data)
            }
            (ClientState::Verified, None | Some([])) => Ok(()),
            (ClientState::Done | ClientState::Failed | ClientState::Verified, _) => {
                Err(unexpected())
            }
            _ => Err(Failure::not_authorized(Cause::MissingServerVerification)),
        };
        if result.is_ok() {
            self.state = ClientState::Done;
        }
        result
    }
}

#[derive(Debug)]
enum ServerState {
    Initial,
    SentChallenge { nonce: String },
    SentRspauth { identity: Identity },
    Done,
}

/// The server side of DIGEST-MD5.
#[derive(Debug)]
pub struct DigestMd5Server {
    realm: String,
    state: ServerState,
}

impl DigestMd5Server {
    /// A DIGEST-MD5 server for `realm` (the server's domain; `digest-uri` must be
    /// `xmpp/<realm>`).
    pub fn new(realm: &str) -> Self {
        DigestMd5Server {
            realm: realm.to_owned(),
            state: ServerState::Initial,
        }
    }

    fn verify(
        &self,
        ctx: &mut ServerContext<'_>,
        nonce: &str,
        data: &[u8],
    ) -> Result<(String, Identity), Failure> {
        let d = directives(data)?;
        let need = |k: &'static str| {
            single(&d, k)?.ok_or(Failure::malformed("DIGEST-MD5 response lacks a directive"))
        };
        let username = need("username")?;
        let cnonce = need("cnonce")?;
        let nc = need("nc")?;
        let digest_uri = need("digest-uri")?;
        let response = need("response")?;
        if need("nonce")? != nonce {
            return Err(Failure::not_authorized(Cause::NonceMismatch));
        }
        if nc != "00000001" {
            return Err(Failure::not_authorized(Cause::NonceMismatch));
        }
        let qop = single(&d, "qop")?.unwrap_or("auth");
        if qop != "auth" {
            return Err(Failure::malformed("DIGEST-MD5 qop other than auth"));
        }
        if single(&d, "charset")?.is_some_and(|c| c != "utf-8") {
            return Err(Failure::malformed("DIGEST-MD5 charset other than utf-8"));
        }
        if single(&d, "realm")?.is_some_and(|r| r != self.realm) {
            return Err(Failure::not_authorized(Cause::Malformed(
                "DIGEST-MD5 realm mismatch",
            )));
        }
        let uri_ok = digest_uri
            .strip_prefix("xmpp/")
            .map(|host| host.split('/').next().unwrap_or_default())
            .is_some_and(|host| host.eq_ignore_ascii_case(&self.realm));
        if !uri_ok {
            return Err(Failure::not_authorized(Cause::Malformed(
                "DIGEST-MD5 digest-uri is not xmpp/<realm>",
            )));
        }
        if response.len() != 32 || !response.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Failure::malformed(
                "DIGEST-MD5 response is not 32 hex digits",
            ));
        }
        let authzid = single(&d, "authzid")?.filter(|a| !a.is_empty());
        let user =
            saslprep(username, "username").map_err(|_| Failure::not_authorized(Cause::Saslprep))?;
        let (secret, known) = match ctx.store.digest_md5_secret(&user, &self.realm) {
            Ok(s) => (s, true),
            Err(StoreError::Unavailable(why)) => {
                return Err(Failure::new(
                    SaslCondition::TemporaryAuthFailure,
                    Cause::Temporary(why),
                ));
            }
            Err(_) => {
                let mut s = [0u8; 16];
                ctx.rng.fill_bytes(&mut s);
                (s, false)
            }
        };
        let expected = response_value(&secret, nonce, cnonce, authzid, nc, qop, digest_uri, false);
        let matches = bool::from(
            response
                .to_ascii_lowercase()
                .as_bytes()
                .ct_eq(expected.as_bytes()),
        );
        if !known {
            return Err(Failure::not_authorized(Cause::UnknownUser));
        }
        if !matches {
            return Err(Failure::not_authorized(Cause::InvalidCredentials));
        }
        match ctx.store.account_status(&user) {
            AccountStatus::Active => {}
            AccountStatus::Disabled => {
                return Err(Failure::new(
                    SaslCondition::AccountDisabled,
                    Cause::AccountDisabled,
                ));
            }
            AccountStatus::CredentialsExpired => {
                return Err(Failure::new(
                    SaslCondition::CredentialsExpired,
                    Cause::CredentialsExpired,
                ));
            }
        }
        if let Some(a) = authzid {
            if a != user && !ctx.store.authorize(&user, a) {
                return Err(Failure::new(
                    SaslCondition::InvalidAuthzid,
                    Cause::AuthzidRefused,
                ));
            }
        }
        let rspauth = response_value(&secret, nonce, cnonce, authzid, nc, qop, digest_uri, true);
        Ok((
            format!("rspauth={rspauth}"),
            Identity::User {
                authcid: user,
                authzid: authzid.map(str::to_owned),
            },
        ))
    }
}

impl ServerMechanism for DigestMd5Server {
    fn name(&self) -> &str {
        "DIGEST-MD5"
    }

    /// DIGEST-MD5 forbids an initial response (`malformed-request`); a zero-length one (`=`,
    /// as in the 2007 draft's example) is taken as none.
    fn start(
        &mut self,
        ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        if !matches!(self.state, ServerState::Initial) {
            return Err(unexpected());
        }
        if initial_response.is_some_and(|d| !d.is_empty()) {
            self.state = ServerState::Done;
            return Err(Failure::malformed("DIGEST-MD5 has no initial response"));
        }
        let nonce = new_nonce(ctx.rng);
        let challenge = format!(
            "realm={},nonce={},qop=\"auth\",charset=utf-8,algorithm=md5-sess",
            quote(&self.realm),
            quote(&nonce)
        );
        self.state = ServerState::SentChallenge { nonce };
        Ok(ServerStep::Challenge(challenge.into_bytes()))
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        match std::mem::replace(&mut self.state, ServerState::Done) {
            ServerState::SentChallenge { nonce } => {
                let (rspauth, identity) = self.verify(ctx, &nonce, response)?;
                self.state = ServerState::SentRspauth { identity };
                Ok(ServerStep::Challenge(rspauth.into_bytes()))
            }
            ServerState::SentRspauth { identity } if response.is_empty() => {
                Ok(ServerStep::Success(Success {
                    additional_data: None,
                    identity,
                }))
            }
            _ => Err(unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2831 §4 example: user chris, password secret, realm elwood.innosoft.com.
    #[test]
    fn rfc2831_example_response_and_rspauth() {
        let secret = user_secret("chris", "elwood.innosoft.com", "secret");
        let args = (
            "OA6MG9tEQGm2hh",
            "OA6MHXh6VqTrRk",
            "00000001",
            "auth",
            "imap/elwood.innosoft.com",
        );
        assert_eq!(
            response_value(&secret, args.0, args.1, None, args.2, args.3, args.4, false),
            "d388dad90d4bbd760a152321f2143af7"
        );
        assert_eq!(
            response_value(&secret, args.0, args.1, None, args.2, args.3, args.4, true),
            "ea40f60335c427b5527b84dbabcdfffd"
        );
    }

    #[test]
    fn rfc2831_example_challenge_parses() {
        let d = directives(
            b"realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",algorithm=md5-sess,charset=utf-8",
        )
        .unwrap();
        assert_eq!(single(&d, "nonce").unwrap(), Some("OA6MG9tEQGm2hh"));
        assert_eq!(single(&d, "algorithm").unwrap(), Some("md5-sess"));
        assert_eq!(
            all(&d, "realm").collect::<Vec<_>>(),
            ["elwood.innosoft.com"]
        );
    }

    #[test]
    fn directive_syntax() {
        let d = directives(b" a = \"x\\\"y\" ,, b=tok ,\n").unwrap();
        assert_eq!(d, [("a".into(), "x\"y".into()), ("b".into(), "tok".into())]);
        for bad in [&b"a"[..], b"=x", b"a=\"open", b"a=x y", b"a=\"x\\"] {
            assert!(directives(bad).is_err(), "{bad:?}");
        }
        assert!(directives(&b"a=1,".repeat(40)).is_err());
        assert!(single(&directives(b"a=1,a=2").unwrap(), "a").is_err());
    }

    #[test]
    fn quoting_round_trips() {
        let q = quote("a\"b\\c");
        let d = directives(format!("k={q}").as_bytes()).unwrap();
        assert_eq!(d[0].1, "a\"b\\c");
    }
}
