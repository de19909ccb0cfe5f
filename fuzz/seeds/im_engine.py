#!/usr/bin/env python3
"""Writes the im_engine seeds. Operation layout (fuzz_targets/im_engine.rs): op % 12, account
(0 alice, 1 anna, 2 bob), resource, then per op: 0 login [priority]; 1-3 presence [type:
0 available, 1 unavailable, 2 subscribe, 3 subscribed, 4 unsubscribe, 5 unsubscribed, 6 probe,
7 error; target: t % 10 < 4 bare TARGETS[t % 4], < 7 full, else broadcast]; 4-5 roster set
[target, how]; 6 message [target]; 7 logout [graceful]; 8-9 presence from evil.example
[type (+0x80: from a full JID), to the resource?]; 10-11 raw XML [len, bytes]."""
import os

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "im_engine")
ALICE, ANNA, BOB = 0, 1, 2
def login(a, r=0, prio=0): return [0, a, r, prio]
def pres(a, kind, target, r=0): return [1, a, r, kind, target]
def roster(a, target, how, r=0): return [4, a, r, target, how]
def msg(a, target, r=0): return [6, a, r, target]
def logout(a, r=0, graceful=1): return [7, a, r, graceful]
def evil(a, kind, to_res=0, r=0): return [8, a, r, kind, to_res]
def raw(a, xml, r=0):
    b = xml.encode()
    return [10, a, r, len(b)] + list(b)

seeds = {
    # Mutual subscription across servers, presence both ways, logout.
    "mutual-s2s": login(ALICE) + login(BOB) + pres(ALICE, 2, 2) + pres(BOB, 3, 0) + pres(BOB, 2, 0)
        + pres(ALICE, 3, 2) + pres(ALICE, 0, 9) + msg(ALICE, 2) + logout(BOB) + login(BOB, 1, 5) + logout(ALICE, 0, 0),
    # Local pair, then cancel and unsubscribe.
    "local-cancel": login(ALICE) + login(ANNA) + pres(ANNA, 2, 0) + pres(ALICE, 3, 1) + pres(ALICE, 5, 1)
        + pres(ANNA, 4, 0) + roster(ALICE, 1, 0),
    # Roster sets of every shape, two resources.
    "roster-sets": login(ALICE) + login(ALICE, 1) + roster(ALICE, 2, 1) + roster(ALICE, 2, 2) + roster(ALICE, 1, 3)
        + roster(ALICE, 3, 4) + roster(ALICE, 2, 0) + roster(ALICE, 3, 1),
    # Directed presence to full and bare JIDs, then unavailable.
    "directed": login(ALICE) + login(BOB) + pres(ALICE, 0, 6) + pres(ALICE, 0, 2) + pres(ALICE, 1, 6) + pres(ALICE, 0, 3)
        + pres(ALICE, 6, 2) + logout(ALICE),
    # A hostile remote server: subscription requests, approvals, presence, probes.
    "evil": login(ALICE) + evil(ALICE, 2) + pres(ALICE, 3, 3) + evil(ALICE, 0x80, 1) + pres(ALICE, 2, 3)
        + evil(ALICE, 3) + evil(ALICE, 0x80) + evil(ALICE, 6) + evil(ALICE, 5) + evil(ALICE, 0x81) + pres(ALICE, 0, 9),
    # Raw stanzas.
    "raw": login(BOB) + raw(BOB, "<presence xmlns='jabber:client' to='alice@a.example' type='subscribe'/>")
        + raw(BOB, "<iq xmlns='jabber:client' type='get' id='x'><query xmlns='jabber:iq:roster' ver='0'/></iq>")
        + raw(BOB, "<message xmlns='jabber:client' to='anna@a.example/r1'><body>x</body></message>"),
}
for name, ops in seeds.items():
    open(os.path.join(here, name), "wb").write(bytes(ops))
