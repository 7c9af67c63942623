#!/usr/bin/env bash
# Installs what is missing, builds Coffer (release) and serves it on the embedded default:
# SQLite + local files under ./data (created on first run), at http://127.0.0.1:3000
# (COFFER_BIND and the other COFFER_* variables in the README change that).
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/install-deps.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh
cargo leptos build --release
echo "Starting Coffer on http://${COFFER_BIND:-127.0.0.1:3000}"
# cargo-leptos writes the site to <repo>/target/site (Cargo.toml site-root) unless
# LEPTOS_SITE_ROOT says otherwise; tell the server the same.
LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}" exec "${CARGO_TARGET_DIR}/release/coffer-server"
