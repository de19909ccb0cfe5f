//! SCRAM message syntax (RFC 5802 §7): attributes, saslname escaping, the gs2 header.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::failure::{Cause, Failure};

/// Splits `s` into `(attribute letter, value)` pairs, in order.
pub(crate) fn attributes(s: &str) -> impl Iterator<Item = Result<(u8, &str), Failure>> {
    s.split(',').map(|part| {
        let b = part.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b'=' {
            return Err(Failure::malformed("SCRAM attribute is not `x=value`"));
        }
        if part.contains('\0') {
            return Err(Failure::malformed("SCRAM attribute contains NUL"));
        }
        Ok((b[0], &part[2..]))
    })
}

/// The next attribute, which must be `key`.
pub(crate) fn expect<'a>(
    it: &mut impl Iterator<Item = Result<(u8, &'a str), Failure>>,
    key: u8,
    what: &'static str,
) -> Result<&'a str, Failure> {
    match it.next() {
        Some(Ok((k, v))) if k == key => Ok(v),
        Some(Err(e)) => Err(e),
        _ => Err(Failure::malformed(what)),
    }
}

/// Escapes a saslname: `=` → `=3D`, `,` → `=2C`.
pub(crate) fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    out
}

/// Unescapes a saslname; any `=` not followed by `2C` or `3D` is an error, as is an empty name.
pub(crate) fn unescape(name: &str) -> Result<String, Failure> {
    if name.is_empty() {
        return Err(Failure::malformed("empty SCRAM username"));
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("=2C") {
            out.push(',');
        } else if tail.starts_with("=3D") {
            out.push('=');
        } else {
            return Err(Failure::malformed("bad `=` escape in SCRAM name"));
        }
        rest = &tail[3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A nonce: printable ASCII except `,`, not empty.
pub(crate) fn check_nonce(nonce: &str) -> Result<(), Failure> {
    if nonce.is_empty()
        || !nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
    {
        return Err(Failure::malformed("SCRAM nonce is not printable"));
    }
    Ok(())
}

/// Strict base64 of an attribute value.
pub(crate) fn b64(value: &str, what: &'static str) -> Result<Vec<u8>, Failure> {
    STANDARD.decode(value).map_err(|_| Failure::malformed(what))
}

/// Parses an iteration count: decimal digits only, not zero.
pub(crate) fn iterations(value: &str) -> Result<u32, Failure> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::malformed("SCRAM iteration count is not a number"));
    }
    match value.parse::<u32>() {
        Ok(0) | Err(_) => Err(Failure::malformed("SCRAM iteration count out of range")),
        Ok(n) => Ok(n),
    }
}

/// The channel binding flag of a gs2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CbFlag<'a> {
    /// `n`: the client does not support channel binding.
    N,
    /// `y`: the client supports it but thinks the server does not.
    Y,
    /// `p=<name>`: the client uses this binding type.
    P(&'a str),
}

/// A parsed client-first message.
#[derive(Debug)]
pub(crate) struct ClientFirst<'a> {
    pub flag: CbFlag<'a>,
    pub authzid: Option<String>,
    /// The gs2 header exactly as sent, including its final comma.
    pub gs2_header: &'a str,
    /// client-first-message-bare.
    pub bare: &'a str,
    pub username: String,
    pub nonce: &'a str,
}

pub(crate) fn parse_client_first(msg: &str) -> Result<ClientFirst<'_>, Failure> {
    let first = msg
        .find(',')
        .ok_or_else(|| Failure::malformed("SCRAM client-first has no gs2 header"))?;
    let second = msg[first + 1..]
        .find(',')
        .map(|i| first + 1 + i)
        .ok_or_else(|| Failure::malformed("SCRAM client-first has no gs2 header"))?;
    let flag = match &msg[..first] {
        "n" => CbFlag::N,
        "y" => CbFlag::Y,
        f if f.starts_with("p=") => {
            let name = &f[2..];
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                return Err(Failure::malformed("bad channel binding name"));
            }
            CbFlag::P(name)
        }
        _ => return Err(Failure::malformed("bad gs2 channel binding flag")),
    };
    let authzid = match &msg[first + 1..second] {
        "" => None,
        a if a.starts_with("a=") => Some(unescape(&a[2..])?),
        _ => return Err(Failure::malformed("bad gs2 authzid")),
    };
    let gs2_header = &msg[..=second];
    let bare = &msg[second + 1..];
    let mut it = attributes(bare);
    let username = match it.next() {
        Some(Ok((b'm', _))) => {
            return Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::MandatoryExtension,
            ));
        }
        Some(Ok((b'n', v))) => unescape(v)?,
        Some(Err(e)) => return Err(e),
        _ => return Err(Failure::malformed("SCRAM client-first lacks n=")),
    };
    let nonce = expect(&mut it, b'r', "SCRAM client-first lacks r=")?;
    check_nonce(nonce)?;
    for extension in it {
        extension?;
    }
    Ok(ClientFirst {
        flag,
        authzid,
        gs2_header,
        bare,
        username,
        nonce,
    })
}

/// A parsed server-first message.
#[derive(Debug)]
pub(crate) struct ServerFirst<'a> {
    pub nonce: &'a str,
    pub salt: Vec<u8>,
    pub iterations: u32,
}

pub(crate) fn parse_server_first(msg: &str) -> Result<ServerFirst<'_>, Failure> {
    let mut it = attributes(msg);
    let nonce = match it.next() {
        Some(Ok((b'm', _))) => {
            return Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::MandatoryExtension,
            ));
        }
        Some(Ok((b'r', v))) => v,
        Some(Err(e)) => return Err(e),
        _ => return Err(Failure::malformed("SCRAM server-first lacks r=")),
    };
    check_nonce(nonce)?;
    let salt = b64(
        expect(&mut it, b's', "SCRAM server-first lacks s=")?,
        "bad salt",
    )?;
    if salt.is_empty() {
        return Err(Failure::malformed("empty SCRAM salt"));
    }
    let iterations = iterations(expect(&mut it, b'i', "SCRAM server-first lacks i=")?)?;
    for extension in it {
        extension?;
    }
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// A parsed client-final message.
#[derive(Debug)]
pub(crate) struct ClientFinal<'a> {
    pub channel_binding: Vec<u8>,
    pub nonce: &'a str,
    /// client-final-message-without-proof.
    pub without_proof: &'a str,
    pub proof: Vec<u8>,
}

pub(crate) fn parse_client_final(msg: &str) -> Result<ClientFinal<'_>, Failure> {
    let cut = msg
        .rfind(",p=")
        .ok_or_else(|| Failure::malformed("SCRAM client-final lacks p="))?;
    let without_proof = &msg[..cut];
    let proof = b64(&msg[cut + 3..], "bad SCRAM proof")?;
    let mut it = attributes(without_proof);
    let channel_binding = b64(
        expect(&mut it, b'c', "SCRAM client-final lacks c=")?,
        "bad SCRAM channel binding",
    )?;
    let nonce = expect(&mut it, b'r', "SCRAM client-final lacks r=")?;
    for extension in it {
        extension?;
    }
    Ok(ClientFinal {
        channel_binding,
        nonce,
        without_proof,
        proof,
    })
}

/// A parsed server-final message.
#[derive(Debug)]
pub(crate) enum ServerFinal {
    Verifier(Vec<u8>),
    Error(String),
}

pub(crate) fn parse_server_final(msg: &str) -> Result<ServerFinal, Failure> {
    let mut it = attributes(msg);
    let out = match it.next() {
        Some(Ok((b'v', v))) => ServerFinal::Verifier(b64(v, "bad SCRAM verifier")?),
        Some(Ok((b'e', v))) => ServerFinal::Error(crate::text::truncate(v, 128)),
        Some(Err(e)) => return Err(e),
        _ => return Err(Failure::malformed("SCRAM server-final lacks v= or e=")),
    };
    for extension in it {
        extension?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn saslname_escaping() {
        assert_eq!(escape("a=b,c"), "a=3Db=2Cc");
        assert_eq!(unescape("a=3Db=2Cc").unwrap(), "a=b,c");
        assert!(unescape("a=3").is_err());
        assert!(unescape("a=41").is_err());
        assert!(unescape("").is_err());
    }

    #[test]
    fn client_first_parts() {
        let m = parse_client_first("p=tls-exporter,a=ad=2Cmin,n=user,r=abc,x=ext").unwrap();
        assert_eq!(m.flag, CbFlag::P("tls-exporter"));
        assert_eq!(m.authzid.as_deref(), Some("ad,min"));
        assert_eq!(m.gs2_header, "p=tls-exporter,a=ad=2Cmin,");
        assert_eq!(m.bare, "n=user,r=abc,x=ext");
        assert_eq!(m.username, "user");
        assert_eq!(m.nonce, "abc");
        for bad in [
            "",
            "n",
            "n,",
            "q,,n=u,r=a",
            "n,b=x,n=u,r=a",
            "n,,r=a",
            "n,,n=u",
            "n,,n=u,r=",
            "n,,n=u,r=a b",
            "p=,,n=u,r=a",
            "p=x y,,n=u,r=a",
            "n,,n=u,r=a,",
            "n,,n=u,r=a,x",
        ] {
            assert!(parse_client_first(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_client_first("n,,m=x,n=u,r=a").unwrap_err().cause(),
            &Cause::MandatoryExtension
        );
    }

    #[test]
    fn server_first_parts() {
        let m = parse_server_first("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096").unwrap();
        assert_eq!((m.nonce, m.iterations), ("abcdef", 4096));
        for bad in [
            "r=a,s=,i=1",
            "r=a,s=QQ==,i=0",
            "r=a,s=QQ==,i=+1",
            "r=a,s=QQ==,i=99999999999",
            "s=QQ==,r=a,i=1",
            "r=a,s=QQ==",
            "r=a,s=Q,i=1",
        ] {
            assert!(parse_server_first(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_final_parts() {
        let m = parse_client_final("c=biws,r=abc,p=AAAA").unwrap();
        assert_eq!(m.channel_binding, b"n,,");
        assert_eq!(m.without_proof, "c=biws,r=abc");
        assert_eq!(m.proof, [0, 0, 0]);
        for bad in [
            "c=biws,r=abc",
            "r=abc,c=biws,p=AAAA",
            "c=biws,r=abc,p=A",
            "c=*,r=a,p=AAAA",
        ] {
            assert!(parse_client_final(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn escape_round_trips(name in "\\PC{1,32}") {
            prop_assert_eq!(unescape(&escape(&name)).unwrap(), name);
        }

        /// Whatever a parser accepts, its parts put back together give the message again:
        /// nothing is skipped, reordered or invented. Arbitrary text and near-valid messages.
        #[test]
        fn what_the_parsers_accept_is_exactly_the_message(
            msg in prop_oneof![
                "\\PC{0,80}",
                "(n|y|p=[a-z.-]{0,6}|q),(a=[a-z=23CD]{0,5})?,[nmr]=[a-z=23CD]{0,5},r=[ -~]{0,8}(,[a-z]=[a-z]{0,3})?",
                "(n|y|p=tls-exporter),(a=[a-z]{1,3}(=2C|=3D)?)?,n=[a-z]{1,3}(=2C|=3D)?[a-z]{0,2},r=[!-+\\--~]{1,8}(,[a-z]=[a-z]{0,3})?",
                "[rms]=[ -~]{0,8},s=[A-Za-z0-9+/=]{0,8},i=[0-9]{0,10}(,[a-z]=[a-z]{0,3})?",
                "r=[!-+\\--~]{1,8},s=(QQ==|c2FsdA==|[A-Za-z0-9+/]{4}),i=0{0,2}[0-9]{1,6}(,[a-z]=[a-z]{0,3})?",
                "c=[A-Za-z0-9+/=]{0,8},r=[ -~]{0,8}(,[a-z]=[a-z]{0,3})?,p=[A-Za-z0-9+/=]{0,8}",
                "c=(biws|eSws|[A-Za-z0-9+/]{4}),r=[!-+\\--~]{1,8}(,[a-z]=[a-z]{0,3})?,p=(AAAA|QQ==|[A-Za-z0-9+/]{4})",
                "[ven]=[A-Za-z0-9+/= -~]{0,12}(,[a-z]=[a-z]{0,3})?",
            ],
        ) {
            if let Ok(m) = parse_client_first(&msg) {
                prop_assert_eq!(format!("{}{}", m.gs2_header, m.bare), msg.clone());
                let flag = match m.flag {
                    CbFlag::N => "n".to_owned(),
                    CbFlag::Y => "y".to_owned(),
                    CbFlag::P(name) => format!("p={name}"),
                };
                let authzid = m.authzid.as_deref().map(|a| format!("a={}", escape(a)));
                prop_assert_eq!(m.gs2_header, format!("{flag},{},", authzid.unwrap_or_default()));
                prop_assert!(check_nonce(m.nonce).is_ok());
                let head = format!("n={},r={}", escape(&m.username), m.nonce);
                prop_assert!(m.bare == head || m.bare.starts_with(&format!("{head},")), "{}", msg);
            }
            if let Ok(m) = parse_server_first(&msg) {
                prop_assert!(check_nonce(m.nonce).is_ok());
                prop_assert!(!m.salt.is_empty() && m.iterations > 0);
                let head = format!("r={},s={},i=", m.nonce, STANDARD.encode(&m.salt));
                prop_assert!(msg.starts_with(&head), "{}", msg);
                let digits: String = msg[head.len()..].chars().take_while(char::is_ascii_digit).collect();
                prop_assert_eq!(digits.parse::<u32>().ok(), Some(m.iterations));
            }
            if let Ok(m) = parse_client_final(&msg) {
                prop_assert_eq!(format!("{},p={}", m.without_proof, STANDARD.encode(&m.proof)), msg.clone());
                let head = format!("c={},r={}", STANDARD.encode(&m.channel_binding), m.nonce);
                prop_assert!(m.without_proof == head || m.without_proof.starts_with(&format!("{head},")), "{}", msg);
            }
            match parse_server_final(&msg) {
                Ok(ServerFinal::Verifier(v)) => {
                    prop_assert!(msg.starts_with(&format!("v={}", STANDARD.encode(&v))), "{}", msg);
                }
                Ok(ServerFinal::Error(e)) => {
                    prop_assert!(msg.starts_with("e="), "{}", msg);
                    prop_assert!(msg[2..].starts_with(&e) && e.len() <= 128, "{}", msg);
                }
                Err(f) => prop_assert_eq!(f.condition(), crate::SaslCondition::MalformedRequest),
            }
        }
    }
}
