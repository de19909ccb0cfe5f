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
