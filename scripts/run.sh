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
# cargo-leptos writes the site under the target directory; tell the server where.
LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-${CARGO_TARGET_DIR}/site}" exec "${CARGO_TARGET_DIR}/release/coffer-server"
