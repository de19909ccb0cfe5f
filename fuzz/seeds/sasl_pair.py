#!/usr/bin/env python3
"""Writes the pair-mode seeds of sasl_client and sasl_server (layout in
fuzz/fuzz_targets/common/scram_pair.rs): a marker byte >= 0x80, the SCRAM variant (% 6: 0-2
SCRAM-SHA-1/256/512, 3-5 their -PLUS), flags (1 client binding data differs, 2 plain variant
says gs2 y, 4 server has no binding data, 8 tls-server-end-point, 16 server-final as a
challenge, 32 replay the honest server-final when the server refuses), then corruptions of 5
bytes: message (0 client-first, 1 server-first, 2 client-final, 3 server-final), kind (0 flip,
1 truncate, 2 insert, 3 delete, 4 overwrite), position (little-endian u16, modulo the length),
parameter."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CF, SF, CFIN, SFIN = range(4)
FLIP, TRUNC, INS, DEL, OVER = range(5)


def c(msg, kind, pos, p):
    return [msg, kind, pos & 0xFF, pos >> 8, p]


# Bytes for INS/OVER (index into PAIR_BYTES of scram_pair.rs).
B = {ch: i for i, ch in enumerate(",=pynvrcsie0Aa+/19")}


def append(msg, length, text):
    """Corruptions that append `text` to a message of `length` bytes."""
    return sum((c(msg, INS, length + i, B[ch]) for i, ch in enumerate(text)), [])


# Lengths for SCRAM-SHA-256 without binding (the harness' nonces are fixed): client-first 38,
# server-first 81 (salt from 53, iteration count at 80), client-final 104 (nonce from 9, proof
# from 60), server-final 46.
SEEDS = {
    # Honest exchanges: every variant succeeds on both sides.
    "pair-sha1": [0, 0],
    "pair-sha256": [1, 0],
    "pair-sha512": [2, 0],
    "pair-sha1-plus": [3, 0],
    "pair-sha256-plus": [4, 0],
    "pair-sha512-plus-endpoint": [5, 8],
    "pair-sha256-as-challenge": [1, 16],
    "pair-sha256-y-no-binding": [1, 2 | 4],
    # Refusals the setup implies.
    "pair-plus-other-channel": [4, 1],
    "pair-y-downgrade": [1, 2],
    "pair-plus-server-cannot-bind": [4, 4],
    # The man in the middle alters one message.
    "pair-client-first-extension": [1, 0] + append(CF, 38, ",e=0"),
    "pair-client-first-n-to-y": [1, 0] + c(CF, OVER, 0, B["y"]),
    "pair-client-first-n-to-y-no-binding": [1, 4] + c(CF, OVER, 0, B["y"]),
    "pair-server-first-salt-flip": [1, 0] + c(SF, FLIP, 55, 0),
    "pair-server-first-iterations": [1, 0] + c(SF, OVER, 80, B["9"]),
    "pair-server-first-extension": [1, 0] + append(SF, 81, ",e=0"),
    "pair-client-final-proof": [1, 0] + c(CFIN, FLIP, 70, 3),
    "pair-client-final-proof-length": [1, 0] + c(CFIN, DEL, 70, 1),
    "pair-client-final-nonce": [1, 0] + c(CFIN, DEL, 20, 1),
    "pair-client-final-binding": [4, 0] + c(CFIN, FLIP, 4, 1),
    "pair-server-final-flip": [1, 0] + c(SFIN, FLIP, 10, 2),
    "pair-server-final-truncated": [1, 0] + c(SFIN, TRUNC, 20, 0),
    # Same signature, an extension after it: still acceptable.
    "pair-server-final-extension": [1, 0] + append(SFIN, 46, ",e=0"),
    # Replays of the honest server-final after the server refused: acceptable only for an
    # identical exchange (the harness' nonces repeat), so the first two must be accepted and
    # the last refused.
    "pair-replay-after-bad-proof": [1, 32] + c(CFIN, FLIP, 70, 3),
    "pair-replay-as-challenge": [1, 32 | 16] + c(CFIN, FLIP, 70, 3),
    "pair-replay-after-server-first": [1, 32] + append(SF, 81, ",e=0"),
}

for target in ("sasl_client", "sasl_server"):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    for name, body in SEEDS.items():
        open(os.path.join(d, name), "wb").write(bytes([0x80] + body))
