//! Published SCRAM and PBKDF2 vectors, run through the real client and server machines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;
use crate::{
    ClientMechanism, CredentialStore, Credentials, Identity, ServerContext, ServerMechanism,
    ServerPolicy, ServerStep, StoreError, Transport,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 6070: PBKDF2-HMAC-SHA1 test vectors (the 16,777,216-iteration one is left out).
#[test]
fn rfc6070_pbkdf2_hmac_sha1() {
    let cases: [(&[u8], &[u8], u32, &str); 5] = [
        (
            b"password",
            b"salt",
            1,
            "0c60c80f961f0e71f3a9b524af6012062fe037a6",
        ),
        (
            b"password",
            b"salt",
            2,
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
        ),
        (
            b"password",
            b"salt",
            4096,
            "4b007901b765489abead49d926f721d065a429c1",
        ),
        (
            b"passwordPASSWORDpassword",
            b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
            4096,
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
        ),
        (
            b"pass\0word",
            b"sa\0lt",
            4096,
            "56fa6aa75548099dcc37d7f03425e0c3",
        ),
    ];
    for (p, s, c, dk) in cases {
        let mut out = vec![0; dk.len() / 2];
        ScramHash::Sha1.pbkdf2_into(p, s, c, &mut out);
        assert_eq!(out, hex(dk), "c={c}");
    }
}

struct OneUser(ScramCredentials);

impl CredentialStore for OneUser {
    fn scram_credentials(&self, u: &str, h: ScramHash) -> Result<ScramCredentials, StoreError> {
        if u == "user" && h == self.0.hash() {
            Ok(self.0.clone())
        } else {
            Err(StoreError::UnknownUser)
        }
    }
}

struct Vector {
    hash: ScramHash,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    client_first: &'static str,
    server_first: &'static str,
    client_final: &'static str,
    server_final: &'static str,
}

fn run_vector(v: &Vector) {
    // Client side: fixed nonce, the server's messages fed in.
    let creds = Credentials::password("user", "pencil").unwrap();
    let mut client = ScramClient::with_nonce(
        v.hash,
        ChannelBindingMode::Unused,
        &creds,
        IterationLimits::default(),
        v.client_nonce.to_owned(),
    )
    .unwrap();
    assert_eq!(
        client.initial_response().unwrap().unwrap(),
        v.client_first.as_bytes()
    );
    assert_eq!(
        client.step(v.server_first.as_bytes()).unwrap(),
        v.client_final.as_bytes()
    );
    client.finish(Some(v.server_final.as_bytes())).unwrap();

    // Server side: credentials derived from the password and the published salt.
    let salt = STANDARD.decode(v.salt).unwrap();
    let store = OneUser(ScramCredentials::derive(v.hash, "pencil", &salt, 4096).unwrap());
    let mut server =
        ScramServer::new(v.hash, false, &ServerPolicy::rfc6120()).with_server_nonce(v.server_nonce);
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let transport = Transport::plaintext();
    let mut ctx = ServerContext::new(&store, &mut rng, &transport);
    assert_eq!(
        server
            .start(&mut ctx, Some(v.client_first.as_bytes()))
            .unwrap(),
        ServerStep::Challenge(v.server_first.as_bytes().to_vec())
    );
    match server.step(&mut ctx, v.client_final.as_bytes()).unwrap() {
        ServerStep::Success(s) => {
            assert_eq!(
                s.additional_data.as_deref(),
                Some(v.server_final.as_bytes())
            );
            assert_eq!(
                s.identity,
                Identity::User {
                    authcid: "user".into(),
                    authzid: None
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

/// RFC 5802 §5: the SCRAM-SHA-1 example exchange, byte for byte, both sides.
#[test]
fn rfc5802_scram_sha1_example() {
    run_vector(&Vector {
        hash: ScramHash::Sha1,
        client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
        server_nonce: "3rfcNHYJY1ZVvWVs7j",
        salt: "QSXCR+Q6sek8bf92",
        client_first: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        server_first: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        client_final: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        server_final: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    });
}

/// RFC 7677 §3: the SCRAM-SHA-256 example exchange, byte for byte, both sides.
#[test]
fn rfc7677_scram_sha256_example() {
    run_vector(&Vector {
        hash: ScramHash::Sha256,
        client_nonce: "rOprNGfwEbeRWgbNEkqO",
        server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
        client_first: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        client_final: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        server_final: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    });
}

#[test]
fn client_escapes_username_and_authzid() {
    let creds = Credentials::password("a=b,c", "pw")
        .unwrap()
        .with_authzid("x,y")
        .unwrap();
    let mut client = ScramClient::with_nonce(
        ScramHash::Sha256,
        ChannelBindingMode::ServerNotAdvertised,
        &creds,
        IterationLimits::default(),
        "nonce".into(),
    )
    .unwrap();
    assert_eq!(
        client.initial_response().unwrap().unwrap(),
        b"y,a=x=2Cy,n=a=3Db=2Cc,r=nonce"
    );
}

#[test]
fn client_state_machine_refuses_out_of_order_calls() {
    let creds = Credentials::password("user", "pencil").unwrap();
    let mut client = ScramClient::with_nonce(
        ScramHash::Sha1,
        ChannelBindingMode::Unused,
        &creds,
        IterationLimits::default(),
        "abc".into(),
    )
    .unwrap();
    // Success before any proof: the server has not proved anything.
    assert_eq!(
        client.finish(None).unwrap_err().cause(),
        &crate::Cause::MissingServerVerification
    );
    assert!(client.initial_response().is_err());
    assert!(client.step(b"r=abcdef,s=QQ==,i=4096").is_err());
}
