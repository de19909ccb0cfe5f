#!/usr/bin/env python3
"""slixmpp as a peer of our reference server (xmpp-tokio/tests/interop_slixmpp.rs).

    slixmpp_peer.py JID PASSWORD HOST PORT CA_PEM CONTACT_JID

Logs in (STARTTLS, SASL, bind), fetches the roster, sends initial presence, asks CONTACT for
a subscription and approves CONTACT's request, waits until CONTACT is seen online, then
waits for one message from CONTACT, answers it, and logs out. Prints one line per step
(`ROSTER n`, `SUBSCRIBED`, `ONLINE jid`, `MESSAGE from: body`, `DONE`). Exits 0 on success,
1 on failure or after 45 seconds.
"""
import asyncio
import logging
import sys

import slixmpp

jid, password, host, port, ca, contact = sys.argv[1:7]


def say(line):
    print(line, flush=True)


class Peer(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.ca_certs = ca
        # The server offers STARTTLS on this port (XEP-0368 Direct TLS is not tried).
        self.enable_direct_tls = False
        self.enable_starttls = True
        self.enable_plaintext = False
        self.done = asyncio.get_event_loop().create_future()
        self.subscribed = False
        self.online = False
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("presence_subscribe", self.on_subscribe)
        self.add_event_handler("presence_subscribed", self.on_subscribed)
        self.add_event_handler("presence_available", self.on_available)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", lambda _: self.fail("authentication failed"))
        self.add_event_handler("connection_failed", lambda e: self.fail(f"connection failed: {e}"))
        self.add_event_handler("disconnected", lambda _: self.fail("disconnected early"))

    def fail(self, why):
        if not self.done.done():
            self.done.set_exception(RuntimeError(why))

    async def start(self, _event):
        say(f"SESSION {self.boundjid.full}")
        await self.get_roster()
        say(f"ROSTER {len(self.client_roster.keys())}")
        self.send_presence()
        self.send_presence_subscription(pto=contact, ptype="subscribe")

    def on_subscribe(self, pres):
        if pres["from"].bare == contact:
            self.send_presence(pto=contact, ptype="subscribed")
            say("APPROVED")

    def on_subscribed(self, pres):
        if pres["from"].bare == contact:
            self.subscribed = True
            say("SUBSCRIBED")

    def on_available(self, pres):
        if pres["from"].bare == contact and not self.online:
            self.online = True
            say(f"ONLINE {pres['from']}")

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            say(f"MESSAGE {msg['from']}: {msg['body']}")
            self.send_message(mto=msg["from"], mbody="pong from slixmpp", mtype="chat")
            if not self.done.done():
                self.done.set_result(True)


async def main():
    peer = Peer()
    peer.connect(host=host, port=int(port))
    try:
        await asyncio.wait_for(peer.done, timeout=45)
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        say(f"FAILED {e}")
        return 1
    # Give the answer time to leave, then close the stream.
    await asyncio.sleep(0.5)
    peer.done = asyncio.get_event_loop().create_future()
    peer.done.set_result(True)
    await peer.disconnect(wait=5)
    say("DONE")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    sys.exit(asyncio.run(main()))
