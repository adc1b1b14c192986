#!/bin/sh
# Scale benchmark of `regwatch run`: N feed sources served as static files by
# nginx on 127.0.0.1 (a temporary prefix; Debian's `nginx` package), the daemon
# on SQLite catching up from never-polled, then idle in steady state.
# Reports polls/s during catch-up, daemon CPU per poll, peak RSS and idle CPU,
# as a markdown table on stdout (and appended to docs/benchmarks.md with
# --write).
#
# Also counts the daemon's context switches per poll during catch-up (every
# thread's, from /proc: the thread hand-offs between the runtime and the
# store's SQLite threads).
#
# Usage: scripts/scale-bench.sh [N] [--write]     (default N = 10000)
# Environment: REGWATCH_BIN (default target/release/regwatch), IDLE_S (the
# steady-state sample, default 30 s).
# Needs: a release build (cargo build --release), nginx (apt-get install nginx).
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
WRITE=${2:-}
BIN=${REGWATCH_BIN:-target/release/regwatch}
IDLE_S=${IDLE_S:-30}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "needs nginx: apt-get install nginx" >&2; exit 2; }
TICK=$(getconf CLK_TCK)
DIR=$(mktemp -d)
cleanup() {
  [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null || true
  [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR/www" "$DIR/sources" "$DIR/logs"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# N small feeds, each with its own items.
python3 - "$DIR" "$N" "$PORT" <<'PY'
import sys, os
d, n, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(os.path.join(d, "sources", "bench.toml"), "w") as src:
    for i in range(n):
        with open(os.path.join(d, "www", f"f{i}.xml"), "w") as f:
            f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>'
                    '<link>http://127.0.0.1/</link><description>d</description>')
            for k in range(3):
                f.write(f'<item><title>Notice {i}-{k}: HS 8517.62 conformity rule</title>'
                        f'<link>http://127.0.0.1/{i}/{k}</link><guid>{i}-{k}</guid>'
                        '<description>Telsiz ekipmanı uygunluk belgesi</description></item>')
            f.write('</channel></rss>')
        src.write(f'[[source]]\nid = "b{i:05d}"\nname = "Bench {i}"\njurisdiction = "TR"\n'
                  f'kind = "feed"\nurl = "http://127.0.0.1:{port}/f{i}.xml"\n'
                  'schedule = "0 * * * *"\n\n')
PY

scripts/nginx-static.sh "$DIR" "$PORT" &
sleep 0.5

cat > "$DIR/regwatch.toml" <<TOML
[storage]
url = "sqlite://$DIR/db.sqlite"
[sources]
dir = "$DIR/sources"
[fetch]
per_host_interval = "0s"
per_host_concurrency = 64
concurrency = 64
robots_txt = false
[schedule]
jitter = "0s"
[server]
listen = "127.0.0.1:0"
TOML

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches of every thread of the process (voluntary and not).
ctx_switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {n += $2} END {print n + 0}'
}
polled() {
  python3 - "$DIR/db.sqlite" <<'PY'
import sqlite3, sys
try:
    c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
    print(c.execute("SELECT COUNT(*) FROM source_state WHERE last_success_at IS NOT NULL").fetchone()[0])
except Exception:
    print(0)
PY
}

START=$(date +%s.%N)
REGWATCH_LOG=warn "$BIN" --config "$DIR/regwatch.toml" run >"$DIR/run.out" 2>"$DIR/run.err" &
DPID=$!
DONE=0
while [ "$DONE" -lt "$N" ]; do
  sleep 1
  kill -0 "$DPID" 2>/dev/null || { echo "the daemon died:" >&2; tail "$DIR/run.err" >&2; exit 1; }
  DONE=$(polled)
  NOW=$(date +%s.%N)
  if [ "$(echo "$NOW - $START > 1800" | bc)" = 1 ]; then echo "catch-up took over 30 minutes" >&2; break; fi
done
END=$(date +%s.%N)
CPU=$(cpu_ticks "$DPID")
CTX=$(ctx_switches "$DPID")
PEAK=$(awk '/VmHWM/ {print $2}' "/proc/$DPID/status")
ELAPSED=$(echo "$END - $START" | bc -l)
RATE=$(echo "$DONE / $ELAPSED" | bc -l)
CPU_S=$(echo "$CPU / $TICK" | bc -l)
PER_POLL=$(echo "1000 * $CPU_S / $DONE" | bc -l)
CTX_PER_POLL=$(echo "$CTX / $DONE" | bc -l)

# Steady state: every source planned for the next hour; sample IDLE_S s.
C0=$(cpu_ticks "$DPID"); sleep "$IDLE_S"; C1=$(cpu_ticks "$DPID")
IDLE=$(echo "100 * ($C1 - $C0) / $TICK / $IDLE_S" | bc -l)

TABLE=$(printf '| sources | catch-up polls/s | daemon CPU per poll | peak RSS | idle CPU (%s s) | context switches per poll |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n| %d | %.0f | %.2f ms | %.0f MB | %.2f %% | %.1f |\n' \
  "$IDLE_S" "$DONE" "$RATE" "$PER_POLL" "$(echo "$PEAK / 1024" | bc -l)" "$IDLE" "$CTX_PER_POLL")
echo "$TABLE"
if [ "$WRITE" = "--write" ]; then
  {
    echo
    echo "### Scale: $N feed sources on SQLite ($(date -u +%Y-%m-%d), $(nproc) cores)"
    echo
    echo "\`scripts/scale-bench.sh $N --write\`: nginx serving $N static feeds on 127.0.0.1,"
    echo "\`regwatch run\` (release) catching up from never-polled, then 30 s of steady state."
    echo
    echo "$TABLE"
  } >> docs/benchmarks.md
fi
