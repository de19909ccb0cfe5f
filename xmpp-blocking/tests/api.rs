//! Public API properties: thread-safety of the handles, trust configuration errors.

use xmpp_blocking::{
    Client, ClientConfig, Driver, Error, ServerHandle, Session, Trust, TrustError,
};

fn assert_send<T: Send>() {}

#[test]
fn client_driver_and_session_can_move_to_another_thread() {
    assert_send::<Client>();
    assert_send::<Driver<std::net::TcpStream>>();
    assert_send::<Session>();
    assert_send::<ServerHandle>();
    assert_send::<Error>();
}

#[test]
fn pem_without_certificates_is_a_trust_error() {
    let refused = |pem: &[u8]| -> Error { Trust::from_pem(pem).unwrap_err().into() };
    assert!(matches!(refused(b""), Error::Trust(_)));
    assert!(matches!(refused(b"not a pem file at all"), Error::Trust(_)));
    let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(refused(broken), Error::Trust(_)));
}

#[test]
fn every_trust_kind_builds_a_client_config() {
    let pem = xmpp_stream::testing::TestPki::new(&["localhost"]).ca_pem;
    let from_pem = Trust::from_pem(pem.as_bytes()).unwrap();
    for trust in [
        Trust::webpki_roots(),
        Trust::insecure_skip_verify(),
        from_pem,
    ] {
        let config = ClientConfig::trusting(&trust).unwrap();
        let tls = config.tls.expect("a TLS configuration");
        // A rustls configuration of the application's own is used as it is.
        let again = ClientConfig::new(tls.clone()).tls.unwrap();
        assert!(std::sync::Arc::ptr_eq(&tls, &again));
    }
}

#[test]
fn an_empty_anchor_list_is_refused_by_trusting() {
    let err = ClientConfig::trusting(&Trust::certificates(Vec::new())).unwrap_err();
    assert_eq!(err, TrustError::NoAnchors);
}
