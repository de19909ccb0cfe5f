#!/usr/bin/env bash
# Throwaway PostgreSQL on loopback for the storage tests (xmpp-store/tests/storage.rs, feature
# postgres).
#
#   postgres.sh check        exit 0 if the server binaries are installed, 3 if not
#   postgres.sh start DIR    initdb a cluster in DIR (superuser postgres, trust on 127.0.0.1
#                            only, C locale), start it on 127.0.0.1 on a free port (socket in
#                            DIR); prints the port
#   postgres.sh stop DIR     stop it (fast shutdown, immediate after 10 s)
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user that
# Debian's package creates. fsync is off: a test cluster, thrown away after the run. Installs
# nothing: scripts/ci-deps does (`apt-get install -y postgresql`). Every wait is bounded.
set -euo pipefail

cmd=${1:?usage: postgres.sh check|start|stop [DIR]}

bindir=""
if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v pg_ctl)")
else
    # Debian installs them per major version, outside PATH.
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then bindir=$d; break; fi
    done
fi

if [ "$cmd" = check ]; then
    [ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (run scripts/ci-deps)" >&2; exit 3; }
    exit 0
fi

dir=${2:?usage: postgres.sh start|stop DIR}
[ -n "$bindir" ] || { echo "PostgreSQL is not installed (run scripts/ci-deps)" >&2; exit 1; }

# As root, run the server tools as `postgres`.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "no postgres user to run PostgreSQL as" >&2; exit 1; }
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    LC_ALL=C as_owner timeout 120 "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
        --locale=C --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
    cat >> "$dir/data/postgresql.conf" <<CONF
# scripts/interop/postgres.sh: loopback only, throwaway.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
CONF
    as_owner timeout 60 "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null \
        || { echo "PostgreSQL did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
    echo "$port"
    ;;
stop)
    [ -d "$dir/data" ] || exit 0
    as_owner timeout 30 "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 10 stop >/dev/null 2>&1 \
        || as_owner timeout 30 "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 \
        || true
    ;;
*)
    echo "usage: postgres.sh check|start|stop [DIR]" >&2
    exit 2
    ;;
esac
