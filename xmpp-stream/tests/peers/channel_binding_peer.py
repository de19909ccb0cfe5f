#!/usr/bin/env python3
"""An independent TLS peer for xmpp-stream/tests/channel_binding_interop.rs.

Uses OpenSSL through pyOpenSSL (nothing from our Rust code) to do one TLS handshake on
loopback, then prints the channel bindings as OpenSSL sees them, as JSON on one line:

    {"version": "TLSv1.3", "tls-exporter": hex or null, "tls-server-end-point": hex or null}

tls-exporter is RFC 9266 (TLS 1.3 only: null otherwise); tls-server-end-point is RFC 5929
section 4.1, computed here from the server certificate's DER and its signature algorithm.

    server: channel_binding_peer.py server PORT CERT_PEM KEY_PEM 1.2|1.3
            (PORT 0 picks a free port; prints "LISTENING <port>" first)
    client: channel_binding_peer.py client PORT CA_PEM SERVER_NAME 1.2|1.3

The last argument forces that TLS version (1.2 for tls-server-end-point without exporter).

The client sends "ping\\n", the server answers "pong\\n", both send close_notify.
Everything is bounded by an alarm so that a stuck peer cannot hang the test.
"""

import json
import signal
import socket
import sys

try:
    from OpenSSL import SSL
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
except ImportError as e:  # the Rust test turns this into a failure naming scripts/ci-deps
    print(f"MISSING pyOpenSSL: {e}", flush=True)
    sys.exit(3)

EXPORTER_LABEL = b"EXPORTER-Channel-Binding"


def server_end_point(cert: x509.Certificate):
    """RFC 5929 4.1: hash the DER certificate with its signature's hash algorithm,
    SHA-256 when that is MD5 or SHA-1; undefined (None) without a hash (e.g. Ed25519)."""
    alg = cert.signature_hash_algorithm
    if alg is None:
        return None
    if isinstance(alg, (hashes.MD5, hashes.SHA1)):
        alg = hashes.SHA256()
    h = hashes.Hash(alg)
    h.update(cert.public_bytes(Encoding.DER))
    return h.finalize().hex()


def context(tls12: bool) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    if tls12:
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    else:
        ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_3_VERSION)
    return ctx


def as_cryptography(get_cert) -> x509.Certificate:
    """get_certificate / get_peer_certificate as a cryptography certificate (any pyOpenSSL)."""
    try:
        return get_cert(as_cryptography=True)  # pyOpenSSL >= 24.3
    except TypeError:
        return get_cert().to_cryptography()


def recv_line(conn: SSL.Connection) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1024)
        if not chunk:
            raise RuntimeError(f"connection closed after {data!r}")
        data += chunk
    return data


def bindings(conn: SSL.Connection, cert: x509.Certificate) -> dict:
    version = conn.get_protocol_version_name()
    exporter = None
    if version == "TLSv1.3":
        empty = conn.export_keying_material(EXPORTER_LABEL, 32, b"")
        absent = conn.export_keying_material(EXPORTER_LABEL, 32, None)
        # RFC 8446 7.5: in TLS 1.3 no context and an empty context are the same.
        assert empty == absent, (empty.hex(), absent.hex())
        exporter = empty.hex()
    return {
        "version": version,
        "tls-exporter": exporter,
        "tls-server-end-point": server_end_point(cert),
    }


def run_server(port: int, cert_pem: str, key_pem: str, tls12: bool) -> dict:
    ctx = context(tls12)
    ctx.use_certificate_chain_file(cert_pem)
    ctx.use_privatekey_file(key_pem)
    ctx.check_privatekey()
    listener = socket.create_server(("127.0.0.1", port))
    print(f"LISTENING {listener.getsockname()[1]}", flush=True)
    sock, _ = listener.accept()
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state()
    conn.do_handshake()
    result = bindings(conn, as_cryptography(conn.get_certificate))
    line = recv_line(conn)
    assert line == b"ping\n", line
    conn.sendall(b"pong\n")
    conn.shutdown()
    sock.close()
    return result


def run_client(port: int, ca_pem: str, server_name: str, tls12: bool) -> dict:
    ctx = context(tls12)
    ctx.load_verify_locations(ca_pem)
    ctx.set_verify(SSL.VERIFY_PEER, lambda _c, _x, _e, _d, ok: bool(ok))
    sock = socket.create_connection(("127.0.0.1", port))
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(server_name.encode())
    conn.set_connect_state()
    conn.do_handshake()
    cert = as_cryptography(conn.get_peer_certificate)
    # The chain was verified against CA_PEM; check the name ourselves (pyOpenSSL does not).
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert server_name in sans.value.get_values_for_type(x509.DNSName), sans
    result = bindings(conn, cert)
    conn.sendall(b"ping\n")
    line = recv_line(conn)
    assert line == b"pong\n", line
    try:
        conn.shutdown()
    except SSL.Error:
        pass  # the server may already have closed the socket after its close_notify
    sock.close()
    return result


def main() -> None:
    signal.alarm(30)  # a hard bound on the whole exchange
    args = sys.argv[1:]
    if len(args) != 5 or args[0] not in ("server", "client") or args[4] not in ("1.2", "1.3"):
        sys.exit(__doc__)
    mode, port, a, b, version = args
    tls12 = version == "1.2"
    if mode == "server":
        result = run_server(int(port), a, b, tls12)
    else:
        result = run_client(int(port), a, b, tls12)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
