#!/usr/bin/env bash
# Formatting and clippy (-D warnings) for every crate, each in the feature set it is built with:
# the app is compiled once for the server (ssr) and once for the browser (hydrate, wasm32), so it
# is linted both ways (a plain `cargo clippy --workspace` would unify both feature sets).
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
. scripts/env.sh
cargo fmt --all -- --check
cargo clippy -p coffer-crypto -p coffer-protocol -p coffer-domain -p coffer-migration -p coffer-server --all-targets -- -D warnings
cargo clippy -p coffer-app --features ssr --all-targets -- -D warnings
cargo clippy -p coffer-frontend -p coffer-app -p coffer-protocol --target wasm32-unknown-unknown -- -D warnings
