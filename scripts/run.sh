#!/usr/bin/env bash
# Installs what building and serving need (not the test stack), builds Coffer (release) and
# serves it on the embedded default: SQLite + local files under ./data (created on first run),
# at http://127.0.0.1:3000 (COFFER_BIND and the other COFFER_* variables in the README change
# that).
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/install-deps.sh --serve
# shellcheck source=scripts/env.sh
. scripts/env.sh
echo "==> building Coffer (release; the first build takes 10-20 min on 2 cores, later ones less)"
start=$SECONDS
# cargo-leptos builds the server and the Wasm side at once; their waits for cargo's lock on the
# shared target directory are noise here.
cargo leptos build --release 2>&1 | grep -v --line-buffered 'Blocking waiting for file lock'
echo "    built in $((SECONDS - start))s"
echo "==> serving Coffer on http://${COFFER_BIND:-127.0.0.1:3000} (Ctrl-C stops it)"
# cargo-leptos writes the site to <repo>/target/site (Cargo.toml site-root) unless
# LEPTOS_SITE_ROOT says otherwise; tell the server the same.
LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}" exec "${CARGO_TARGET_DIR}/release/coffer-server"
