#!/usr/bin/env python3
"""The other side of a SCRAM exchange, played by the independent `scramp` package.

Used by scramp_interop.rs. One exchange per process, over stdin/stdout, one base64-encoded
message per line (so any byte survives the pipe). The last line written is `OK` or
`ERR <reason>`.

    scramp_peer.py server MECHANISM USER PASSWORD [CB_TYPE CB_HEX]
        reads client-first, writes server-first, reads client-final, writes server-final
    scramp_peer.py client MECHANISM USER PASSWORD [CB_TYPE CB_HEX]
        writes client-first, reads server-first, writes client-final, reads server-final
"""

import base64
import sys

from scramp import ScramClient, ScramMechanism


def send(msg: str) -> None:
    sys.stdout.write(base64.b64encode(msg.encode("utf-8")).decode("ascii") + "\n")
    sys.stdout.flush()


def recv() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError("peer closed the pipe")
    return base64.b64decode(line.strip()).decode("utf-8")


def main() -> int:
    role, mechanism, user, password = sys.argv[1:5]
    binding = None
    if len(sys.argv) == 7:
        binding = (sys.argv[5], bytes.fromhex(sys.argv[6]))
    try:
        if role == "server":
            mech = ScramMechanism(mechanism)
            salt, stored_key, server_key, iterations = mech.make_auth_info(
                password, iteration_count=4096
            )

            def auth_fn(username):
                if username != user:
                    raise KeyError(username)
                return salt, stored_key, server_key, iterations

            server = mech.make_server(auth_fn, channel_binding=binding)
            server.set_client_first(recv())
            send(server.get_server_first())
            try:
                server.set_client_final(recv())
            except Exception as e:  # scramp reports the failure in server-final (e=...)
                send(server.get_server_final())
                sys.stdout.write(f"ERR {e}\n")
                return 0
            send(server.get_server_final())
        elif role == "client":
            client = ScramClient([mechanism], user, password, channel_binding=binding)
            send(client.get_client_first())
            client.set_server_first(recv())
            send(client.get_client_final())
            client.set_server_final(recv())
        else:
            raise ValueError(f"unknown role {role}")
    except Exception as e:
        sys.stdout.write(f"ERR {type(e).__name__}: {e}\n")
        return 0
    sys.stdout.write("OK\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
