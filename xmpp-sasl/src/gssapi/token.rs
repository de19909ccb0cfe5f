//! The framing of an initial context token (RFC 2743 §3.1), checked before the token reaches
//! the GSS-API library, so that input which is not a Kerberos V5 token at all is refused as
//! `malformed-request` whatever the library would call it. Pure.

/// The DER encoding of the Kerberos V5 mechanism OID 1.2.840.113554.1.2.2 (RFC 1964).
pub(crate) const KRB5_OID: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// Checks that `token` is framed as RFC 2743 §3.1 says (`[APPLICATION 0]` with a DER length
/// that covers exactly the rest, then the mechanism OID) and names Kerberos V5.
pub(crate) fn check_initial_token(token: &[u8]) -> Result<(), &'static str> {
    let [0x60, first, rest @ ..] = token else {
        return Err("not an initial context token (RFC 2743 §3.1 framing)");
    };
    let (len, body) = match *first {
        short @ 0..=0x7f => (usize::from(short), rest),
        long @ 0x81..=0x84 => {
            let n = usize::from(long & 0x7f);
            if rest.len() < n {
                return Err("initial context token cut inside its length");
            }
            let (octets, body) = rest.split_at(n);
            if octets[0] == 0 || (n == 1 && octets[0] < 0x80) {
                return Err("initial context token length is not minimal DER");
            }
            let len = octets
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, body)
        }
        _ => return Err("initial context token length is not DER"),
    };
    if len != body.len() {
        return Err("initial context token length does not match its size");
    }
    match body {
        [0x06, oid_len, oid @ ..] if usize::from(*oid_len) <= oid.len() => {
            if oid[..usize::from(*oid_len)] == KRB5_OID {
                Ok(())
            } else {
                Err("initial context token is not for Kerberos V5")
            }
        }
        _ => Err("initial context token without its mechanism OID"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut t = vec![0x60];
        match body.len() {
            n @ 0..=0x7f => t.push(n as u8),
            n @ 0x80..=0xff => t.extend_from_slice(&[0x81, n as u8]),
            n => t.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        t.extend_from_slice(body);
        t
    }

    fn krb5_body(inner: usize) -> Vec<u8> {
        let mut b = vec![0x06, 9];
        b.extend_from_slice(&KRB5_OID);
        b.extend_from_slice(&[0x01, 0x00]); // TOK_ID of an AP-REQ
        b.extend(std::iter::repeat_n(0xaa, inner));
        b
    }

    #[test]
    fn the_kerberos_oid_is_the_librarys() {
        assert_eq!(*libgssapi::oid::GSS_MECH_KRB5, KRB5_OID);
        assert!(crate::gssapi::is_kerberos(&libgssapi::oid::GSS_MECH_KRB5));
        assert!(!crate::gssapi::is_kerberos(
            &libgssapi::oid::GSS_MECH_SPNEGO
        ));
    }

    #[test]
    fn accepts_kerberos_tokens_of_every_length_form() {
        for inner in [0, 100, 200, 600] {
            assert_eq!(
                check_initial_token(&framed(&krb5_body(inner))),
                Ok(()),
                "{inner}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_kerberos_initial_token() {
        let good = framed(&krb5_body(600));
        // Cut anywhere, or extended: the length no longer matches.
        for cut in [0, 1, 2, 3, 10, good.len() - 1] {
            assert!(check_initial_token(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(check_initial_token(&longer).is_err());
        // Not the framing at all.
        assert!(check_initial_token(b"not a token").is_err());
        assert!(check_initial_token(&[0x30, 0x00]).is_err());
        // Indefinite and non-minimal lengths.
        assert!(check_initial_token(&[0x60, 0x80, 0x06, 0x00]).is_err());
        assert!(check_initial_token(&[0x60, 0x81, 0x02, 0x06, 0x00]).is_err());
        assert!(check_initial_token(&[0x60, 0x82, 0x00, 0x02, 0x06, 0x00]).is_err());
        // Another mechanism (SPNEGO, 1.3.6.1.5.5.2) or no OID.
        let spnego = framed(&[0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x00]);
        assert_eq!(
            check_initial_token(&spnego),
            Err("initial context token is not for Kerberos V5")
        );
        assert!(check_initial_token(&framed(&[0x06, 0x20, 0x2a])).is_err());
        assert!(check_initial_token(&framed(&[0x04, 0x00])).is_err());
    }
}
