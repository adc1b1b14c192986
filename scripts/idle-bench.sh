#!/bin/sh
# Idle footprint of `regwatch run` with 100 sources whose next poll is far away.
# Starts a local HTTP server with a small RSS feed, 100 yearly sources against it,
# lets the daemon take its first (baseline) polls, then samples VmRSS and CPU
# ticks from /proc for 60 s and prints a markdown table.
# Usage: scripts/idle-bench.sh [path/to/regwatch] [seconds]
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-target/release/regwatch}
[ -x "$BIN" ] || BIN=target/debug/regwatch
SECS=${2:-60}
N=100
DIR=$(mktemp -d)
cleanup() { [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null; [ -n "${HPID:-}" ] && kill "$HPID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
mkdir -p "$DIR/www" "$DIR/sources"
cat > "$DIR/www/feed.xml" <<'XML'
<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>Notice 1: HS 8517.62 conformity</title><link>http://127.0.0.1/1</link><guid>1</guid><description>text</description></item>
<item><title>Notice 2: medical devices registration</title><link>http://127.0.0.1/2</link><guid>2</guid><description>text</description></item>
</channel></rss>
XML
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DIR/www" >/dev/null 2>&1 &
HPID=$!
i=1
while [ $i -le $N ]; do
  printf '[[source]]\nid = "bench-%03d"\nname = "Bench %d"\njurisdiction = "TR"\nkind = "feed"\nurl = "http://127.0.0.1:%s/feed.xml?s=%d"\nschedule = "0 0 1 1 *"\n\n' $i $i "$PORT" $i >> "$DIR/sources/bench.toml"
  i=$((i + 1))
done
cat > "$DIR/regwatch.toml" <<TOML
[storage]
url = "sqlite://$DIR/db.sqlite"
[sources]
dir = "$DIR/sources"
[fetch]
per_host_interval = "0s"
per_host_concurrency = 4
robots_txt = false
[schedule]
jitter = "0s"
TOML
"$BIN" --config "$DIR/regwatch.toml" run --listen 127.0.0.1:0 >"$DIR/out" 2>"$DIR/log" &
DPID=$!
# Wait for the 100 baseline polls.
t=0
polled() { c=$(grep -c 'polled' "$DIR/log" 2>/dev/null || true); echo "${c:-0}"; }
while [ "$(polled)" -lt $N ] && [ $t -lt 120 ]; do sleep 1; t=$((t + 1)); done
POLLED=$(polled)
sleep 5
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status"; }
T0=$(ticks); S0=$(date +%s.%N); MAXRSS=0; SUM=0; K=0
echo "| t (s) | VmRSS (MB) |"
echo "| ---: | ---: |"
e=0
while [ $e -le "$SECS" ]; do
  R=$(rss); SUM=$((SUM + R)); K=$((K + 1)); [ "$R" -gt "$MAXRSS" ] && MAXRSS=$R
  awk -v t=$e -v r="$R" 'BEGIN { printf "| %d | %.1f |\n", t, r / 1024 }'
  [ $e -ge "$SECS" ] && break
  sleep 10; e=$((e + 10))
done
T1=$(ticks); S1=$(date +%s.%N)
THREADS=$(awk '/^Threads/ { print $2 }' "/proc/$DPID/status")
ANON=$(awk '/^RssAnon/ { print $2 }' "/proc/$DPID/status")
FILE=$(awk '/^RssFile/ { print $2 }' "/proc/$DPID/status")
echo
echo "| metric | value |"
echo "| --- | ---: |"
echo "| binary | \`$BIN\` |"
echo "| sources (polled once, next poll next 1 January) | $N ($POLLED polls logged) |"
awk -v a="$T0" -v b="$T1" -v s0="$S0" -v s1="$S1" -v hz="$HZ" 'BEGIN { w = s1 - s0; printf "| window | %.0f s |\n| CPU time in window | %.2f s |\n| CPU average | %.3f %% |\n", w, (b - a) / hz, 100 * (b - a) / hz / w }'
awk -v m="$MAXRSS" -v s="$SUM" -v k="$K" 'BEGIN { printf "| VmRSS max | %.1f MB |\n| VmRSS mean | %.1f MB |\n", m / 1024, s / k / 1024 }'
awk -v a="$ANON" -v f="$FILE" 'BEGIN { printf "| RssAnon / RssFile at end | %.1f MB / %.1f MB |\n", a / 1024, f / 1024 }'
echo "| threads | $THREADS |"
