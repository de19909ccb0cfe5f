//! Byte-level tests against the exchanges copied from draft-saintandre-rfc3920bis-04
//! (`tests/data/vectors/`, copied from the project's spec digest). The files are kept byte-exact; this harness splits them into
//! turns and repairs the draft's printing defects in code:
//!
//! - stream headers printed without their final `>` (vectors 01, 02, 09): a `>` is inserted
//!   where a start tag runs into the next `<`;
//! - pretty-printing: line breaks inside tags become spaces, whitespace-only text between
//!   elements is dropped, and wrapped text (base64, `<jid>`, `<text>`) is joined and trimmed;
//! - vector 05's `<auth .../>ZXhh...</auth>` is not well-formed (it self-closes, then has
//!   text): it is used as a negative vector, and a fixed copy (`<auth ...>` with the authzid
//!   `example.com` without the stray trailing LF) as a positive one.
//!
//! Where this library deliberately differs from the draft (RFC 6120 wins), the test says so:
//! vector 03 advertises `<unbind/>` (multi-resource binding, dropped by RFC 6120); vector 09
//! refuses `version='11.0'` while RFC 6120 §4.7.5 answers with the lower version; vectors
//! 06/08 echo the client's `from` in the error header, which we cannot do because the
//! header is refused before its attributes are read; the draft omits the XML declaration,
//! which we send (RFC 6120 §11.5 SHOULD).

mod conn_support;

use std::path::PathBuf;

use conn_support::*;
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{CloseReason, Connection, Event};
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_error::StreamCondition;

fn vector(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The turns of a vector file: (speaker, raw text).
fn turns(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let speaker = ["C: ", "S: ", "S1: ", "S2: "]
            .iter()
            .find(|p| line.starts_with(**p));
        match speaker {
            Some(p) => out.push((
                p.trim_end_matches(": ").to_owned(),
                line[p.len()..].to_owned(),
            )),
            None => {
                if let Some(last) = out.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line);
                }
            }
        }
    }
    out
}

/// Repairs the printing defects of one turn (see the module docs).
fn normalize(raw: &str) -> String {
    let mut out = String::new();
    let mut text = String::new();
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    for ch in raw.chars() {
        if in_tag {
            match (quote, ch) {
                (None, '\'' | '"') => {
                    quote = Some(ch);
                    out.push(ch);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    out.push(ch);
                }
                (None, '<') => {
                    // A start tag printed without its `>`.
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    out.push('>');
                    in_tag = true;
                    out.push('<');
                }
                (None, '>') => {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    if out.ends_with('/') {
                        out.pop();
                        while out.ends_with(' ') {
                            out.pop();
                        }
                        out.push('/');
                    }
                    out.push('>');
                    in_tag = false;
                }
                (None, '\n') => {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                }
                _ => out.push(ch),
            }
        } else if ch == '<' {
            let t: String = text.replace('\n', "");
            out.push_str(t.trim());
            text.clear();
            in_tag = true;
            out.push('<');
        } else {
            text.push(ch);
        }
    }
    if in_tag {
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('>');
    }
    out
}

fn replace_attr(s: &str, name: &str, value: &str) -> String {
    let key = format!(" {name}='");
    let Some(start) = s.find(&key) else {
        return s.to_owned();
    };
    let vstart = start + key.len();
    let vend = vstart + s[vstart..].find('\'').unwrap();
    format!("{}{}{}", &s[..vstart], value, &s[vend..])
}

fn remove_attr(s: &str, name: &str) -> String {
    let key = format!(" {name}='");
    let Some(start) = s.find(&key) else {
        return s.to_owned();
    };
    let vstart = start + key.len();
    let vend = vstart + s[vstart..].find('\'').unwrap() + 1;
    format!("{}{}", &s[..start], &s[vend..])
}

const DECL: &str = "<?xml version='1.0'?>";

#[test]
fn harness_repairs_the_known_defects() {
    let t = turns(&vector("01-c2s-starttls.xml"));
    assert_eq!(t.len(), 6);
    assert_eq!(
        normalize(&t[1].1),
        "<stream:stream from='example.com' id='t7AMCin9zjMNwQKDnplntZPIDEI=' to='juliet@example.com' \
         version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    assert_eq!(
        normalize(&t[2].1),
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
    );
}

#[test]
fn vector_01_starttls_server_side_bytes() {
    let t = turns(&vector("01-c2s-starttls.xml"));
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let (out, _) = feed(&mut s, secs(0), normalize(&t[0].1).as_bytes());
    let id = s.stream_id().unwrap().to_owned();
    let expected = format!(
        "{DECL}{}{}",
        replace_attr(&normalize(&t[1].1), "id", &id),
        normalize(&t[2].1)
    );
    assert_eq!(out, expected);
    let (out, _) = feed(&mut s, secs(0), normalize(&t[3].1).as_bytes());
    assert_eq!(out, normalize(&t[4].1));
}

#[test]
fn vector_01_starttls_client_side_bytes() {
    let t = turns(&vector("01-c2s-starttls.xml"));
    let pki = TestPki::example();
    let mut opts = ClientOpts::tls(&pki);
    // The draft's client puts `from` in the header before TLS, as UCR-ATTR-1 demands.
    opts.profile = Profile::dod_ucr_2008();
    let mut c = client(opts);
    let (out, _) = drain(&mut c);
    assert_eq!(out, format!("{DECL}{}", normalize(&t[0].1)));
    let (out, events) = feed(
        &mut c,
        secs(0),
        format!("{}{}", normalize(&t[1].1), normalize(&t[2].1)).as_bytes(),
    );
    assert_eq!(out, normalize(&t[3].1));
    assert!(
        matches!(&events[0], Event::StreamOpened { id, .. } if id == "t7AMCin9zjMNwQKDnplntZPIDEI=")
    );
    // After <proceed/> the next bytes are the TLS ClientHello, not XML.
    let (out, _) = feed(&mut c, secs(0), normalize(&t[4].1).as_bytes());
    assert_eq!(out.as_bytes()[0], 0x16);
}

#[test]
fn vector_02_digest_md5_features_and_refusal() {
    let t = turns(&vector("02-c2s-sasl-digest-md5.xml"));
    // Features parse: DIGEST-MD5 and PLAIN, required.
    let mut c = client(ClientOpts::plaintext());
    let _ = drain(&mut c);
    let (out, _) = feed(
        &mut c,
        secs(0),
        format!("{}{}", normalize(&t[0].1), normalize(&t[1].1)).as_bytes(),
    );
    // Our client does not use DIGEST-MD5 (historic, RFC 6331); it picks PLAIN.
    assert!(
        out.starts_with("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"),
        "{out}"
    );
    // Our server does not offer DIGEST-MD5 by default: the draft's <auth> is refused.
    let mut s = plaintext_server();
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, _) = feed(&mut s, secs(0), normalize(&t[2].1).as_bytes());
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>"
    );
    // The wrapped base64 of the challenge decodes once joined (with the draft's trailing LF).
    let challenge = normalize(&t[3].1);
    let b64 = challenge
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let data = xmpp_sasl::wire::decode(b64).unwrap();
    assert!(data.starts_with(b"realm=\"example.com\""));
    assert_eq!(data.last(), Some(&b'\n'));
}

/// A plaintext server taken through PLAIN to the bind stage.
fn server_at_bind_stage() -> Connection {
    let mut s = plaintext_server();
    let header = b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>";
    let _ = feed(&mut s, secs(0), header);
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    );
    assert_eq!(out, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    let (out, _) = feed(&mut s, secs(0), header);
    assert!(out.ends_with(
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind></stream:features>"
    ));
    s
}

#[test]
fn vector_03_server_generated_bind_bytes() {
    let t = turns(&vector("03-c2s-bind-server-generated.xml"));
    // Draft-only: <unbind/> (multi-resource binding) is not advertised by RFC 6120 servers.
    assert!(normalize(&t[1].1).contains("<unbind"));
    let mut s = server_at_bind_stage();
    let (_, events) = feed(&mut s, secs(0), normalize(&t[2].1).as_bytes());
    assert_eq!(events, vec![Event::BindRequest { resource: None }]);
    s.bind(BindDecision::Accept(
        "4db06f06-1ea4-11dc-aca3-000bcd821bfb".into(),
    ))
    .unwrap();
    let (out, events) = drain(&mut s);
    assert_eq!(out, normalize(&t[3].1));
    assert!(
        matches!(&events[0], Event::Bound(j) if j.as_str() == "juliet@example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb")
    );
}

#[test]
fn vector_03_client_adopts_the_wrapped_jid() {
    let t = turns(&vector("03-c2s-bind-server-generated.xml"));
    let mut opts = ClientOpts::plaintext();
    opts.resource = None;
    let mut c = client(opts);
    let mut s = plaintext_server();
    // Run to the bind request, but stop the server from answering.
    let mut tr = Transcript::default();
    pump_with(&mut c, &mut s, secs(0), &mut tr, &mut |_, _| {});
    let req = tr.c2s_str();
    let id = req
        .rsplit("<iq id='")
        .next()
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    // The draft's answer, raw (wrapped <jid>), with our request id.
    let answer = replace_attr(&t[3].1, "id", &id);
    let (_, events) = feed(&mut c, secs(0), answer.as_bytes());
    assert!(matches!(
        &events[0],
        Event::Bound(j) if j.as_str() == "juliet@example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb"
    ));
    assert_eq!(events[1], Event::Established);
}

#[test]
fn vector_04_client_resource_conflict_bytes() {
    let t = turns(&vector("04-bind-client-generated-conflict.xml"));
    let mut s = server_at_bind_stage();
    let (_, events) = feed(&mut s, secs(0), normalize(&t[0].1).as_bytes());
    assert_eq!(
        events,
        vec![Event::BindRequest {
            resource: Some("balcony".into())
        }]
    );
    s.bind(BindDecision::Refuse(xmpp_stream::bind::BindError::Conflict))
        .unwrap();
    let (out, _) = drain(&mut s);
    assert_eq!(out, normalize(&t[1].1));
    // The stream stays open for a retry.
    assert!(!s.is_closed());
}

#[test]
fn vector_05_malformed_external_auth_ends_the_stream() {
    let t = turns(&vector("05-s2s-sasl-external.xml"));
    let auth = t.iter().find(|(who, _)| who == "S1").unwrap();
    let mut s = plaintext_server();
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, events) = feed(&mut s, secs(0), normalize(&auth.1).as_bytes());
    // `<auth .../>` is complete on its own (and EXTERNAL needs TLS); the text after it is
    // character data between first-level elements: bad-format, and the stream ends.
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>\
         <stream:error><bad-format xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
    );
    assert!(matches!(
        events.last(),
        Some(Event::Closed(CloseReason::LocalError(e))) if e.condition() == StreamCondition::BadFormat
    ));
    // The fixed copy: `<auth ...>`, authzid without the stray LF.
    let fixed = normalize(&auth.1)
        .replace("mechanism='EXTERNAL'/>", "mechanism='EXTERNAL'>")
        .replace("ZXhhbXBsZS5jb20K", "ZXhhbXBsZS5jb20=");
    let el: xmpp_stream::xml::Element = fixed.parse().unwrap();
    assert_eq!(el.attr("mechanism"), Some("EXTERNAL"));
    assert_eq!(
        xmpp_sasl::wire::decode_auth(&el.text()).unwrap().as_deref(),
        Some(&b"example.com"[..])
    );
    // The s2s headers carry no xml:lang and the final features are empty.
    assert!(!normalize(&t[0].1).contains("xml:lang"));
    assert_eq!(normalize(&t.last().unwrap().1), "<stream:features/>");
}

#[test]
fn vector_06_setup_error_without_to_and_wrong_namespace() {
    let t = turns(&vector("06-stream-error-setup-host-unspecified.xml"));
    let mut s = plaintext_server();
    let (out, _) = feed(&mut s, secs(0), normalize(&t[0].1).as_bytes());
    let id = s.stream_id().unwrap().to_owned();
    // Deviation: no `to` (the refused header's attributes are not read).
    let expected = remove_attr(&replace_attr(&normalize(&t[1].1), "id", &id), "to");
    assert_eq!(out, expected);
}

#[test]
fn vector_07_restricted_xml_bytes() {
    let t = turns(&vector("07-stream-error-restricted-xml.xml"));
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut tr = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut tr);
    // The stanza as printed: the comment is the point, the newlines are content here.
    let (out, _) = feed(&mut s, secs(1), t[0].1.as_bytes());
    assert_eq!(out, normalize(&t[1].1));
}

#[test]
fn vector_08_bad_namespace_prefix_bytes() {
    let t = turns(&vector("08-stream-error-bad-namespace-prefix.xml"));
    let mut s = plaintext_server();
    let (out, _) = feed(&mut s, secs(0), normalize(&t[0].1).as_bytes());
    let id = s.stream_id().unwrap().to_owned();
    let expected = remove_attr(&replace_attr(&normalize(&t[1].1), "id", &id), "to");
    assert_eq!(out, expected);
}

#[test]
fn vector_09_higher_version_is_answered_not_refused() {
    let t = turns(&vector("09-stream-error-unsupported-version.xml"));
    let mut s = plaintext_server();
    let (out, events) = feed(&mut s, secs(0), normalize(&t[0].1).as_bytes());
    let id = s.stream_id().unwrap().to_owned();
    // RFC 6120 §4.7.5: answer with the lower version (1.0); the draft's <unsupported-version/>
    // reply contradicts it. The header itself matches the draft's (with its `>` restored).
    let draft_reply = normalize(&t[1].1);
    let header_end = draft_reply.find("<stream:error>").unwrap();
    let expected_header = replace_attr(&draft_reply[..header_end], "id", &id);
    assert!(
        out.starts_with(&expected_header),
        "{out}\n{expected_header}"
    );
    assert!(!out.contains("stream:error"));
    assert!(matches!(
        events[0],
        Event::StreamOpened {
            version: Some(xmpp_stream::header::Version::V1_0),
            ..
        }
    ));
}

#[test]
fn vector_10_schema_invalid_iq_type_is_delivered_not_validated() {
    let t = turns(&vector("10-iq-bad-request-stanza-error.xml"));
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut tr = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut tr);
    // UCR-XML-5: the stream layer does not validate; the stanza layer answers bad-request.
    // Its `from` is the bound JID of our test session.
    let iq = normalize(&t[0].1);
    let (out, events) = feed(&mut s, secs(1), iq.as_bytes());
    assert_eq!(out, "");
    let Some(Event::Stanza(el)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(el.attr("type"), Some("subscribe"));
}
