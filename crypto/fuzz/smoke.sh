#!/bin/sh
# Short libFuzzer smoke run of every fuzz target on the STABLE toolchain (no cargo-fuzz needed):
# builds with SanitizerCoverage instrumentation (no ASan; the crate forbids unsafe code) and runs
# each target for SECONDS seconds (default 20). Usage: crypto/fuzz/smoke.sh [SECONDS]
set -eu
seconds="${1:-20}"
cd "$(dirname "$0")"
host="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
# --target keeps these flags away from build scripts and proc macros.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --bins --target "$host"
for target in stream_decrypt header sealed_blobs text_parsers; do
    mkdir -p "corpus/$target"
    "$CARGO_TARGET_DIR/$host/release/$target" -max_total_time="$seconds" -max_len=20000 "corpus/$target"
done
