#!/bin/sh
# Install urlwatch (the comparison of benches/poll_pass.rs) into a Python
# virtual environment at DIR, once, and print the path of its `urlwatch`.
# Exits non-zero, saying why on stderr, when Python, venv or PyPI is not
# there: the benchmark then measures regwatch alone.
# Usage: scripts/urlwatch-venv.sh DIR
set -eu
DIR=${1:?usage: scripts/urlwatch-venv.sh DIR}
VERSION=2.29
BIN="$DIR/bin/urlwatch"
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
    echo "$BIN"
    exit 0
fi
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "no python3 on PATH" >&2; exit 2; }
"$PY" -m venv "$DIR" >&2 || { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 2; }
# cssselect and lxml: urlwatch's `css:` filter.
"$DIR/bin/pip" install --quiet --disable-pip-version-check "urlwatch==$VERSION" cssselect lxml >&2 ||
    { echo "pip could not install urlwatch $VERSION (is PyPI reachable?)" >&2; exit 2; }
echo "$BIN"
