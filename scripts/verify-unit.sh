#!/bin/sh
# Check systemd/regwatch.service the way docs/daemon.md describes:
#   1. `systemd-analyze verify` in a throwaway root that holds the unit, the
#      regwatch binary at the unit's ExecStart path and the system's own units
#      (so nothing is installed on this machine);
#   2. `systemd-analyze security --offline=true`, failing above 1.5.
# Usage: scripts/verify-unit.sh [path/to/regwatch]   (default: target/debug/regwatch)
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/regwatch}
UNIT=systemd/regwatch.service
MAX=1.5
[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build first" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: apt-get install -y systemd" >&2; exit 2; }
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/local/bin" "$ROOT/etc/systemd/system" "$ROOT/usr/lib" "$ROOT/bin" "$ROOT/usr/bin"
cp "$BIN" "$ROOT/usr/local/bin/regwatch"
cp "$UNIT" "$ROOT/etc/systemd/system/regwatch.service"
cp -a /usr/lib/systemd "$ROOT/usr/lib/"
[ -d /lib/systemd ] && [ ! -L /lib ] && { mkdir -p "$ROOT/lib"; cp -a /lib/systemd "$ROOT/lib/"; }
cp /bin/kill "$ROOT/bin/kill" 2>/dev/null || cp /usr/bin/kill "$ROOT/usr/bin/kill"
echo "systemd-analyze verify --root=$ROOT /etc/systemd/system/regwatch.service"
systemd-analyze verify --root="$ROOT" /etc/systemd/system/regwatch.service
echo "verify: ok"
SCORE=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for regwatch.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security --offline=true $UNIT: exposure $SCORE (must be <= $MAX)"
awk -v s="$SCORE" -v m="$MAX" 'BEGIN { exit !(s != "" && s + 0 <= m + 0) }'
