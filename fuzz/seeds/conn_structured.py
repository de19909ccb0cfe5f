#!/usr/bin/env python3
"""Writes the conn_structured seeds (byte layout in conn_structured/README)."""
import os

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conn_structured")
PUMP = [0, 0]
# Stanzas both ways, keepalive and timeouts, close.
TAIL = [11, 0] + PUMP + [12, 0] + PUMP + [11, 2] + PUMP + [10, 0xFF] + PUMP + [10, 0xFF] + PUMP + [13] + PUMP + PUMP
KINDS = {0: "c2s", 1: "s2s", 2: "comp"}
MECHS = ["scram1", "scram256", "scram512", "plain", "anon"]
for kind, kname in KINDS.items():
    for role in range(2):
        for m, mname in enumerate(MECHS):
            if kind == 2 and m > 0:
                continue  # components use the handshake
            for flags in ([3, 0, 5] if m == 0 else [3]):
                data = bytes([kind, role, m, flags] + PUMP * 14 + TAIL)
                name = f"{kname}-{'recv' if role == 0 else 'init'}-{mname}-f{flags}"
                open(os.path.join(here, name), "wb").write(data)
# Byte-by-byte and 3-byte splits.
open(os.path.join(here, "c2s-recv-scram1-split1"), "wb").write(bytes([0, 0, 0, 3] + [0, 1] * 14 + TAIL))
open(os.path.join(here, "c2s-init-scram256-split3"), "wb").write(bytes([0, 1, 1, 3] + [0, 3] * 14 + TAIL))

# TLS (flags bit 8): STARTTLS, the handshake in memory, SCRAM (-PLUS when the receiver
# advertises channel binding), bind. In TLS mode tag 15 takes a sub-byte: 0 inject [idx]
# (append HANDOVER[idx] to the peer's pending bytes), 1 peer inject [idx] (feed it to the peer).
# Advance takes two bytes (little-endian, 10 ms units): 3000 = 30 s, a keepalive.
ADV30 = [10, 0xB8, 0x0B]
TLS_TAIL = [11, 0] + PUMP + [12, 0] + PUMP + [11, 2] + PUMP + ADV30 + PUMP + ADV30 + PUMP + [13] + PUMP + PUMP
TLS = 8
NL, SP, CRLF, WS, JUNK_X, JUNK_LT = range(6)


def inject(idx):
    return [15, 0, idx]


def peer_inject(idx):
    return [15, 1, idx]


def tls_seed(name, kind, role, mech, flags, ops):
    data = bytes([kind, role, mech, flags | TLS] + ops + PUMP * 14 + TLS_TAIL)
    open(os.path.join(here, name), "wb").write(data)


for kind, kname in KINDS.items():
    if kind == 2:
        continue  # components negotiate no features, so no STARTTLS
    for role in range(2):
        r = "recv" if role == 0 else "init"
        for m, mname in enumerate(MECHS):
            tls_seed(f"tls-{kname}-{r}-{mname}-f3", kind, role, m, 3, [])
        # The receiver advertises no channel binding / the client may not bind: plain SCRAM.
        tls_seed(f"tls-{kname}-{r}-scram256-no-cb-advertised", kind, role, 1, 3 | 16, [])
        tls_seed(f"tls-{kname}-{r}-scram256-client-no-plus", kind, role, 1, 3 | 32, [])
        # Whitespace right after the peer's <starttls/> (receiver under test) or <proceed/>
        # (initiator under test), in the same read, then byte by byte.
        tls_seed(f"tls-{kname}-{r}-handover-newline", kind, role, 0, 3, PUMP + inject(NL))
        tls_seed(f"tls-{kname}-{r}-handover-ws-bytewise", kind, role, 0, 3,
                 PUMP + inject(WS) + [0, 1] * 4)
        # Whitespace to the peer right after the machine's own <starttls/> / <proceed/>.
        tls_seed(f"tls-{kname}-{r}-peer-handover-crlf", kind, role, 0, 3,
                 PUMP * (2 if role == 0 else 1) + peer_inject(CRLF))
        # Junk instead: TLS fails (in the same read as <proceed/>, or as a bad record).
        tls_seed(f"tls-{kname}-{r}-handover-junk", kind, role, 0, 3, PUMP + inject(JUNK_X))
        tls_seed(f"tls-{kname}-{r}-handover-junk-split", kind, role, 0, 3,
                 PUMP + inject(JUNK_LT) + [0, 1] * 4)
        tls_seed(f"tls-{kname}-{r}-peer-handover-junk", kind, role, 0, 3,
                 PUMP * (2 if role == 0 else 1) + peer_inject(JUNK_X))
        # A flipped ciphertext bit in the middle of SASL: TLS fails, once, then silence.
        tls_seed(f"tls-{kname}-{r}-ciphertext-flip", kind, role, 1, 3,
                 PUMP * 5 + [9, 0, 40, 0, 3])
