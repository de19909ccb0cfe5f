//! Public API properties: thread-safety of the handles, trust configuration errors.

use xmpp_blocking::{Client, Error, ServerHandle, Session, Trust};

fn assert_send<T: Send>() {}

#[test]
fn client_and_session_can_move_to_another_thread() {
    assert_send::<Client>();
    assert_send::<Session<std::net::TcpStream>>();
    assert_send::<ServerHandle>();
    assert_send::<Error>();
}

#[test]
fn pem_without_certificates_is_a_trust_error() {
    assert!(matches!(Trust::from_pem(b""), Err(Error::Trust(_))));
    assert!(matches!(
        Trust::from_pem(b"not a pem file at all"),
        Err(Error::Trust(_))
    ));
    let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(Trust::from_pem(broken), Err(Error::Trust(_))));
}

#[test]
fn every_trust_kind_builds_a_client_config() {
    let pem = xmpp_stream::testing::TestPki::new(&["localhost"]).ca_pem;
    let from_pem = Trust::from_pem(pem.as_bytes()).unwrap();
    assert!(matches!(&from_pem, Trust::Checked(_)));
    for trust in [Trust::WebPkiRoots, Trust::InsecureSkipVerify, from_pem] {
        let config = trust.client_config().unwrap();
        let again = Trust::Custom(config.clone()).client_config().unwrap();
        assert!(std::sync::Arc::ptr_eq(&config, &again));
    }
}
