#!/bin/sh
# Run every cargo-fuzz target in fuzz/ for SECONDS each, one after the other,
# in one process, on corpora seeded from tests/fixtures, config/, sources/ and
# fuzz/seeds/. A crash stops the run and leaves its input in
# fuzz/artifacts/TARGET/ (reproduce with `cargo +nightly fuzz run TARGET FILE`).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Usage: scripts/fuzz.sh SECONDS [TARGET...]
set -eu
cd "$(dirname "$0")/.."
SECS=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
TARGETS=${*:-"extract_feed extract_page extract_json extract_pdf hs_codes dates config_sources schedule cases links"}
# -s none: the code under test is safe Rust; without ASan the fuzzer runs about
# twice as fast. Debug assertions and overflow checks stay on (cargo-fuzz's default).
FLAGS="-s none"

seed() {
    dir=fuzz/corpus/$1
    mkdir -p "$dir"
    shift
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/seed-$(basename "$f")"
    done
    return 0
}
F=tests/fixtures/sources
seed extract_feed $F/*/*.atom $F/*/*.xml $F/*/*.rss fuzz/seeds/extract_feed/* tests/fixtures/fuzz/feed-*
seed extract_page $F/*/*.html $F/*/*.htm config/templates/*.html
seed extract_json $F/*/*.json
seed extract_pdf tests/fixtures/pdf/*.pdf tests/fixtures/fuzz/pdf-*
seed hs_codes fuzz/seeds/hs_codes/*
seed dates fuzz/seeds/dates/*
seed config_sources config/regwatch.toml sources/*.toml
seed schedule fuzz/seeds/schedule/*
seed cases fuzz/seeds/cases/*

cargo +nightly fuzz build $FLAGS
for t in $TARGETS; do
    echo "== $t: ${SECS}s"
    cargo +nightly fuzz run $FLAGS "$t" -- \
        -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 \
        -max_len=262144 -print_final_stats=1
done
