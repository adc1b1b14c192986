#!/bin/sh
# Throughput and CPU of `regwatch run` polling N local sources on a 10-second
# schedule (a demand of N/10 polls per second): one instance on SQLite, one on
# PostgreSQL, three on one PostgreSQL. Prints a markdown table.
# Needs REGWATCH_TEST_PG (a server where it may create databases), e.g.:
#   scripts/pg-test.sh scripts/multi-bench.sh [path/to/regwatch] [seconds] [sources] [--write]
# --write appends the table to docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-target/release/regwatch}
[ -x "$BIN" ] || BIN=target/debug/regwatch
SECS=${2:-60}
N=${3:-2000}
WRITE=${4:-}
WARM=25
: "${REGWATCH_TEST_PG:?set REGWATCH_TEST_PG (run under scripts/pg-test.sh)}"
DIR=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    [ -n "${HPID:-}" ] && kill "$HPID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR/www"
cat > "$DIR/www/feed.xml" <<'XML'
<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>Notice 1: HS 8517.62 conformity</title><link>http://127.0.0.1/1</link><guid>1</guid><description>text</description></item>
<item><title>Notice 2: medical devices registration</title><link>http://127.0.0.1/2</link><guid>2</guid><description>text</description></item>
</channel></rss>
XML
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# nginx when the machine has it (so the daemons, not the server, are the
# limit), else Python's single-threaded server.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
    scripts/nginx-static.sh "$DIR" "$PORT" &
    HPID=$!
    SERVER=nginx
else
    python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DIR/www" >/dev/null 2>&1 &
    HPID=$!
    SERVER="python3 -m http.server"
fi
sleep 0.5

# CPU ticks (user + system) of the given pids.
ticks() {
    t=0
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        s=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
        t=$((t + s))
    done
    echo $t
}
HZ=$(getconf CLK_TCK)
PG_ADMIN=$REGWATCH_TEST_PG
postmaster() {
    d=$(psql "$PG_ADMIN" -Atc 'show data_directory')
    head -1 "$d/postmaster.pid" 2>/dev/null || echo ""
}
pg_pids() {
    pm=$1
    [ -n "$pm" ] || return 0
    echo "$pm"
    ps -o pid= --ppid "$pm" 2>/dev/null || true
}

count_polls() { # url from to
    case "$1" in
        sqlite://*) python3 - "${1#sqlite://}" "$2" "$3" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT COUNT(*) FROM fetch_log WHERE started_at >= ? AND started_at < ?", (sys.argv[2], sys.argv[3])).fetchone()[0])
PY
        ;;
        *) psql "$1" -Atc "SELECT COUNT(*) FROM fetch_log WHERE started_at >= '$2' AND started_at < '$3'" ;;
    esac
}

now_ts() { date -u +%Y-%m-%dT%H:%M:%S.000000Z; }

run_case() { # name url instances
    name=$1; url=$2; k=$3
    d="$DIR/$name"; mkdir -p "$d/sources"
    i=1
    while [ $i -le "$N" ]; do
        printf '[[source]]\nid = "b%04d"\nname = "Bench %d"\njurisdiction = "TR"\nkind = "feed"\nurl = "http://127.0.0.1:%s/feed.xml?s=%d"\nschedule = "*/10 * * * * *"\n\n' $i $i "$PORT" $i
        i=$((i + 1))
    done > "$d/sources/bench.toml"
    cat > "$d/regwatch.toml" <<TOML
[storage]
url = "$url"
[sources]
dir = "$d/sources"
[fetch]
per_host_interval = "0s"
per_host_concurrency = 16
concurrency = 16
robots_txt = false
retries = 0
timeout = "5s"
[schedule]
jitter = "9s"
[server]
listen = "127.0.0.1:0"
TOML
    "$BIN" --config "$d/regwatch.toml" db migrate >/dev/null
    pids=""
    j=1
    while [ $j -le "$k" ]; do
        REGWATCH_LOG=warn "$BIN" --config "$d/regwatch.toml" run --listen 127.0.0.1:0 >/dev/null 2>"$d/log$j" &
        pids="$pids $!"
        j=$((j + 1))
    done
    PIDS="$PIDS $pids"
    sleep "$WARM"
    case "$url" in sqlite://*) pgp="";; *) pgp=$(pg_pids "$(postmaster)");; esac
    t0=$(now_ts); c0=$(ticks $pids); p0=$(ticks $pgp)
    sleep "$SECS"
    t1=$(now_ts); c1=$(ticks $pids); p1=$(ticks $pgp)
    n=$(count_polls "$url" "$t0" "$t1")
    # Double polls: a poll of a source that started before the previous
    # poll of the same source had ended (what the leases exclude). A poll
    # soon after a late one is not double: it is the next period's.
    case "$url" in
        sqlite://*) dbl=-;;
        *) dbl=$(psql "$url" -Atc "SELECT COUNT(*) FROM (SELECT started_at::timestamptz AS t, lag(started_at::timestamptz + duration_ms * interval '1 millisecond') OVER (PARTITION BY source_id ORDER BY started_at) AS prev_end FROM fetch_log) g WHERE t < prev_end");;
    esac
    for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    awk -v dbl="$dbl" -v name="$name" -v k="$k" -v n="$n" -v secs="$SECS" -v N="$N" -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v hz="$HZ" 'BEGIN {
        printf "| %s | %d | %d | %.1f | %.1f | %.1f s (%.0f%%) | %.2f | %s | %s |\n", name, k, n, n / secs, N / 10.0,
            c / hz, 100 * c / hz / secs, (n > 0 ? c / hz * 1000 / n : 0), (p > 0 ? sprintf("%.1f s", p / hz) : "-"), dbl
    }'
}

pg_db() { # name -> url
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
    psql "$PG_ADMIN" -qc "CREATE DATABASE $1" >/dev/null
    echo "$PG_ADMIN" | sed "s|/[^/]*\$|/$1|"
}

{
echo "regwatch $("$BIN" --version | awk '{print $2}') ($BIN), $N sources every 10 s served by $SERVER, ${SECS} s window after ${WARM} s warm-up, $(nproc) cores"
echo
echo "| store | instances | polls | polls/s | demand/s | regwatch CPU | CPU ms/poll | postgres CPU | double polls |"
echo "|---|---|---|---|---|---|---|---|---|"
run_case sqlite "sqlite://$DIR/sqlite/db.sqlite" 1
run_case pg1 "$(pg_db regwatch_bench1)" 1
run_case pg3 "$(pg_db regwatch_bench3)" 3
} | tee "$DIR/table.md"
if [ "$WRITE" = "--write" ]; then
    {
        echo
        echo "### Several instances on PostgreSQL ($(date -u +%Y-%m-%d), $(nproc) cores)"
        echo
        echo "\`scripts/pg-test.sh scripts/multi-bench.sh $BIN $SECS $N --write\`"
        echo
        cat "$DIR/table.md"
    } >> docs/benchmarks.md
fi
