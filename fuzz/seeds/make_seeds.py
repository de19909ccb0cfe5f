#!/usr/bin/env python3
"""Writes the seed corpora of jid, xml_reader, stanza (vector part), sasl_wire, sasl_client,
sasl_server, conn_receiver and conn_initiator from the spec vectors
(/work/shared/spec/vectors, path overridable with VECTORS=...) and inputs of the tests.
conn_structured and im_engine have their own generators next to this file, and so have the
pair-mode seeds of sasl_client/sasl_server (first byte >= 0x80: sasl_pair.py).

Input layouts it follows: xml_reader = split seed byte (0x80: prepend a stream header) +
bytes; conn_receiver/conn_initiator = selector byte (% 8: 0-5 c2s with stage (sel / 8) % 4,
6 s2s, 7 component) + chunk size byte + bytes; sasl_client/sasl_server = the derive(Arbitrary)
encoding of their Input structs (arbitrary 1.5: u8 and bool one byte each, Option = bool +
value, Vec = (1, element)* 0)."""
import base64
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get("VECTORS", "/work/shared/spec/vectors")


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    open(os.path.join(d, name), "wb").write(data)


def turns(text):
    """Splits a vector into (speaker, bytes) turns; fixes headers printed without '>'."""
    out = []
    for line in text.splitlines(keepends=True):
        m = re.match(r"^(C|S|S1|S2):\s?(.*)$", line, re.S)
        if m:
            out.append([m.group(1), m.group(2)])
        elif out:
            out[-1][1] += line
    fixed = []
    for who, body in out:
        b = body.strip("\n")
        if b.startswith("<stream:stream") and ">" not in b:
            b += ">"
        fixed.append((who, b))
    return fixed


# -- vectors: xml_reader, conn_receiver (client side), conn_initiator (server side), stanza
for fn in sorted(os.listdir(VECTORS)):
    if not fn.endswith(".xml"):
        continue
    name = fn[:-4]
    t = turns(open(os.path.join(VECTORS, fn), encoding="utf-8").read())
    client = "".join(b for w, b in t if w in ("C", "S1"))
    server = "".join(b for w, b in t if w in ("S", "S2"))
    s2s = fn.startswith("05-")
    for side, data in (("c", client), ("s", server)):
        if data:
            write("xml_reader", f"{name}-{side}", bytes([0]) + data.encode())
            write("xml_reader", f"{name}-{side}-split", bytes([5]) + data.encode())
    sel = 6 if s2s else 0
    if not s2s and not client.lstrip().startswith(("<stream:stream", "<?xml")):
        sel = 8  # a mid-negotiation excerpt: after the valid header prefix
    if client:
        write("conn_receiver", name, bytes([sel, 0]) + client.encode())
        write("conn_receiver", f"{name}-bytewise", bytes([sel, 1]) + client.encode())
    if server:
        write("conn_initiator", name, bytes([sel, 0]) + server.encode())
        write("conn_initiator", f"{name}-split7", bytes([sel, 7]) + server.encode())
    # Stanzas from the vectors (not stream-level elements).
    stanzas = "".join(b for _, b in t if re.match(r"<(message|presence|iq)\b", b))
    if stanzas:
        write("stanza", f"vector-{name}", stanzas)

# -- conn_receiver/conn_initiator after each valid prefix stage (c2s), with stanzas and closes
STANZAS = ("<message to='romeo@example.net' type='chat'><body>hi</body></message>"
           "<presence/><iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>")
for stage in range(4):
    write("conn_receiver", f"stage{stage}", bytes([stage * 8, 0]) + STANZAS.encode())
    write("conn_initiator", f"stage{stage}", bytes([stage * 8, 3]) + STANZAS.encode())
write("conn_receiver", "component", bytes([7, 0]) +
      b"<stream:stream to='c.example.com' xmlns='jabber:component:accept' "
      b"xmlns:stream='http://etherx.jabber.org/streams'><handshake>aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d</handshake>")
write("conn_initiator", "component", bytes([7, 0]) +
      b"<stream:stream from='c.example.com' id='3BF96D32' xmlns='jabber:component:accept' "
      b"xmlns:stream='http://etherx.jabber.org/streams'><handshake/>")

# -- xml_reader: restricted XML, references, namespaces, splits inside UTF-8
for i, s in enumerate([
    "<a xmlns='x' b='&lt;&amp;&#65;&#x10FFFF;'>t&gt;</a>",
    "<p:a xmlns:p='urn:p' p:b='1'><p:c/></p:a>",
    "<!DOCTYPE x><a/>", "<!-- c --><a/>", "<?pi x?><a/>", "<a><![CDATA[x]]></a>",
    "<a xml:lang='fr'>\u00e9\u4e16\U0001f600</a>", "<a b='1' b='2'/>", "<a>&unknown;</a>",
    " \n\t</stream:stream>", "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
]):
    write("xml_reader", f"test-{i}", bytes([0x80 | (i % 7)]) + s.encode())

# -- jid (RFC 7622 examples and the tests' edge cases)
for i, j in enumerate([
    "juliet@example.com", "juliet@example.com/foo", "juliet@example.com/foo bar",
    "juliet@example.com/foo@bar", "foo\\20bar@example.com", "fussball@example.com",
    "fu\u00dfball@example.com", "\u03c0@example.com", "\u03a3@example.com/foo",
    "king@example.com/\u265a", "example.com", "example.com/foobar", "a.example.com/b@example.net",
    "juliet@[::1]/r", "juliet@192.0.2.1", "@example.com", "juliet@", "juliet@example.com/",
    "henry\u2163@example.com", "xn--bcher-kva.example", "b\u00fccher.example/r",
    "user@example.com.", "a" * 1024 + "@example.com", "u@" + "a" * 64 + ".example",
    "c\\3a\\5cd@example.com", "\\27x\\40y@example.com", "a@b@c", "a/b@c",
]):
    write("jid", f"rfc7622-{i}", j)

# -- sasl_wire: canonical, padded, whitespace, '=' (empty)
for i, s in enumerate(["=", "", "AGp1bGlldAByMG0zMA==", "biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM",
                       "AGp1bGlldAByMG0zMA", "AGp1bGll\ndAByMG0zMA==", " AA== ", "A===", "====", "YQ=\n="]):
    write("sasl_wire", f"b64-{i}", s)

# -- sasl_server / sasl_client (derive(Arbitrary) layouts)
MECHS = ["EXTERNAL", "SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-512",
         "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "DIGEST-MD5", "ANONYMOUS"]


def vec_bytes(b):
    out = []
    for x in b:
        out += [1, x]
    return out + [0]


def server_seed(mech, initial, responses, tls=1, binding=1, peer=1):
    out = [MECHS.index(mech), 0, tls, binding, peer]
    out += [0] if initial is None else [1] + vec_bytes(initial)
    for abort, r in responses:
        out += [1, abort] + vec_bytes(r)
    return bytes(out + [0])


def client_seed(mech, challenges, success, binding=0):
    out = [MECHS.index(mech), binding]
    for c in challenges:
        out += [1] + vec_bytes(c)
    out += [0]
    out += [0] if success is None else [1] + vec_bytes(success)
    return bytes(out)


CF = b"n,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL"
CF_PLUS = b"p=tls-exporter,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL"
DIGEST_RESP = (b'charset=utf-8,username="juliet",realm="example.com",nonce="OA6MG9tEQGm2hh",'
               b'cnonce="OA6MHXh6VqTrRk",nc=00000001,qop=auth,digest-uri="xmpp/example.com",'
               b'response=d388dad90d4bbd760a152321f2143af7')
for name, data in {
    "plain-ok": server_seed("PLAIN", b"\0juliet\0r0m30", []),
    "plain-authzid": server_seed("PLAIN", b"juliet@example.com\0juliet\0r0m30", []),
    "plain-bad": server_seed("PLAIN", b"\0juliet\0wrong", [(0, b"\0juliet\0r0m30")]),
    "plain-empty-then-response": server_seed("PLAIN", None, [(0, b"\0juliet\0r0m30")]),
    "scram1": server_seed("SCRAM-SHA-1", CF, [(0, b"c=biws,r=fyko+d2lbbFgONRv9qkxdawLx,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")]),
    "scram256": server_seed("SCRAM-SHA-256", CF, [(0, b"c=biws,r=x,p=AAAA")]),
    "scram512-abort": server_seed("SCRAM-SHA-512", CF, [(1, b"")]),
    "scram256-plus": server_seed("SCRAM-SHA-256-PLUS", CF_PLUS, [(0, b"c=cD10bHMtZXhwb3J0ZXIsLA==,r=x,p=AA==")]),
    "external": server_seed("EXTERNAL", b"", []),
    "external-authzid": server_seed("EXTERNAL", b"example.com", []),
    "anonymous": server_seed("ANONYMOUS", b"trace@example.com", []),
    "digest-md5": server_seed("DIGEST-MD5", None, [(0, DIGEST_RESP), (0, b"")]),
}.items():
    write("sasl_server", name, data)

SF = b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
DIGEST_CH = b'realm="example.com",nonce="OA6MG9tEQGm2hh",qop="auth",charset=utf-8,algorithm=md5-sess'
for name, data in {
    "scram1": client_seed("SCRAM-SHA-1", [SF], b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
    "scram256": client_seed("SCRAM-SHA-256", [b"r=x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=64"], b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
    "scram512-plus": client_seed("SCRAM-SHA-512-PLUS", [b"r=x,s=QQ==,i=1"], None, binding=1),
    "scram-error": client_seed("SCRAM-SHA-1", [b"e=invalid-proof"], None),
    "plain": client_seed("PLAIN", [], None),
    "plain-success-data": client_seed("PLAIN", [b"x"], b"unexpected"),
    "digest-md5": client_seed("DIGEST-MD5", [DIGEST_CH, b"rspauth=ea40f60335c427b5527b84dbabcdfffd"], b""),
    "external": client_seed("EXTERNAL", [], b""),
    "anonymous": client_seed("ANONYMOUS", [], None),
}.items():
    write("sasl_client", name, data)
