#!/bin/sh
# Run a command with a throwaway PostgreSQL server:
#   scripts/pg-test.sh cargo test --workspace
# Starts a private cluster in a temporary folder, listening on 127.0.0.1 only
# (its unix socket stays in that folder), exports
# REGWATCH_TEST_PG=postgres://postgres@127.0.0.1:PORT/postgres, runs the
# command, then stops the cluster and removes the folder, whatever happens.
# Installs Debian's postgresql package when no server binaries are found.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]   (e.g. $0 cargo test --workspace)" >&2
    exit 2
fi

find_bindir() {
    for d in ${PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

if ! BIN=$(find_bindir); then
    echo "pg-test: no PostgreSQL server binaries; installing Debian's postgresql package" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "pg-test: need root to install postgresql (or set PG_BINDIR)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BIN=$(find_bindir) || { echo "pg-test: postgresql installed but no initdb found" >&2; exit 1; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/regwatch-pg.XXXXXX")
DATA="$TMP/data"

# initdb and postgres refuse to run as root: run them as an unprivileged user.
as_db_user() {
    "$@"
}
if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then DBUSER=postgres; else DBUSER=nobody; fi
    chown "$DBUSER" "$TMP"
    chmod 700 "$TMP"
    as_db_user() {
        runuser -u "$DBUSER" -- "$@"
    }
fi

cleanup() {
    status=$?
    if [ -f "$DATA/postmaster.pid" ]; then
        as_db_user "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: ask the kernel for one, then give it to the server.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + $$ % 20000)))

as_db_user "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 \
    || { cat "$TMP/initdb.log" >&2; exit 1; }
as_db_user "$BIN/pg_ctl" -D "$DATA" -l "$TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $TMP -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null \
    || { cat "$TMP/server.log" >&2; exit 1; }

REGWATCH_TEST_PG="postgres://postgres@127.0.0.1:$PORT/postgres"
export REGWATCH_TEST_PG
echo "pg-test: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (REGWATCH_TEST_PG=$REGWATCH_TEST_PG)" >&2

set +e
"$@"
rc=$?
set -e
exit $rc
