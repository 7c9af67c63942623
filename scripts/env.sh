# shellcheck shell=bash
# Coffer build environment. SOURCE this file (bash), don't execute it:
#
#     . scripts/env.sh            # from the repo root, or from anywhere via its path
#
# It sets:
#   PATH              <repo>/end2end/node_modules/.bin, then $HOME/.cargo/bin, then the old PATH.
#                     node_modules/.bin must come first: cargo-leptos looks `wasm-opt` up on PATH,
#                     and Debian's binaryen 108 (/usr/bin/wasm-opt, if ever installed) produces wasm
#                     that fails at run time; npm's binaryen 132 (end2end/package.json) works.
#   CARGO_TARGET_DIR  ${CARGO_TARGET_DIR:-<repo>/target}. Callers (CI) may set CARGO_TARGET_DIR
#                     to a directory OUTSIDE the clone before sourcing, so a fresh checkout still
#                     builds incrementally (target/ grows to ~10 GB; a cold build takes minutes).
#   COFFER_ROOT       absolute path of the repository root.
#   LEPTOS_OUTPUT_NAME  coffer (see below).
#
# Deliberately no `set -euo pipefail` here: this file is sourced, and those options would leak
# into (and could kill) the caller's interactive shell. It only sets variables; it cannot fail
# half-way.

COFFER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export COFFER_ROOT

# Prepend $1 to PATH, removing any other occurrence, so it really comes first.
_coffer_path_prepend() {
    local p=":${PATH}:"
    p="${p//:$1:/:}"
    p="${p#:}"
    p="${p%:}"
    PATH="$1${p:+:$p}"
}
_coffer_path_prepend "${HOME}/.cargo/bin"
_coffer_path_prepend "${COFFER_ROOT}/end2end/node_modules/.bin"
unset -f _coffer_path_prepend
export PATH

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${COFFER_ROOT}/target}"

# Leptos reads LEPTOS_OUTPUT_NAME at *compile* time (option_env!): cargo-leptos sets it to the
# project name, a plain `cargo test`/`cargo build` does not. Without it the server binary points
# the page at `/pkg/coffer_bg.wasm` (which cargo-leptos does not write) and every switch between
# `cargo test` and `cargo leptos build` recompiles leptos and everything above it. Setting the
# same value everywhere keeps one build of each and one correct binary.
export LEPTOS_OUTPUT_NAME=coffer
