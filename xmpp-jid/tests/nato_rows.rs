//! The NATO BCS addressing rows (§2.3.1) that RFC 6122 preparation implements, one row's text
//! per test.

use xmpp_jid::Jid;

#[test]
fn nato_n_04_a_service_domain_is_an_fqdn_an_ip_literal_or_a_bare_hostname() {
    for (input, domain) in [
        ("im.example.com", "im.example.com"),
        ("192.0.2.7", "192.0.2.7"),
        ("[2001:db8::7]", "[2001:db8::7]"),
        ("chatserver", "chatserver"),
        ("juliet@192.0.2.7/phone", "192.0.2.7"),
        ("juliet@[2001:db8::7]/phone", "[2001:db8::7]"),
    ] {
        let jid = Jid::new(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(jid.domain(), domain, "{input}");
    }
    // An IPv6 literal needs its brackets, and what is none of the four shapes is refused.
    for bad in ["2001:db8::7", "[2001:db8::zz]", "bad domain", "a..b", ""] {
        assert!(Jid::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn nato_n_06_the_localpart_is_optional_and_case_insensitive() {
    let service = Jid::new("example.com").unwrap();
    assert_eq!(service.node(), None);
    let lower = Jid::new("juliet@example.com").unwrap();
    for spelling in [
        "Juliet@example.com",
        "JULIET@example.com",
        "jUlIeT@EXAMPLE.COM",
    ] {
        assert_eq!(Jid::new(spelling).unwrap(), lower, "{spelling}");
    }
    assert_eq!(lower.node(), Some("juliet"));
}

#[test]
fn nato_n_07_the_resourcepart_is_optional_and_case_sensitive() {
    let bare = Jid::new("juliet@example.com").unwrap();
    assert_eq!(bare.resource(), None);
    let device = Jid::new("juliet@example.com/device").unwrap();
    let upper = Jid::new("juliet@example.com/Device").unwrap();
    assert_ne!(device, upper);
    assert_eq!(upper.resource(), Some("Device"));
    assert_eq!(device.to_bare(), upper.to_bare());
}
