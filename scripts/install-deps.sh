#!/usr/bin/env bash
# Install everything Coffer's build, tests and e2e tests need on a fresh machine of our kind
# (Debian 12, Rust via rustup, Node 20 + npm, CPython with pip; network only to the package
# registries). Idempotent: every step checks first and prints "skip:" when it is already done.
# Any failure stops the script with a non-zero exit and a "FAILED:" message.
#
#     scripts/install-deps.sh
#     . scripts/env.sh        # afterwards, in every shell that builds: puts
#                             # end2end/node_modules/.bin (wasm-opt 132) and ~/.cargo/bin first on PATH
#
# Steps (cold times measured on a 2-core machine):
#   1. Debian: chromium chromium-driver postgresql mariadb-server (apt-get update only if one is
#      missing)                                                         ~2-3 min
#   2. rustup target wasm32-unknown-unknown                             seconds
#   3. cargo-leptos 0.3.10 (0.3.11 needs rustc 1.96)                    ~17 min
#   4. wasm-bindgen-cli 0.2.129 (must equal wasm-bindgen in Cargo.lock) ~4-6 min
#   5. Python: moto[server] (S3 stand-in), aiosmtpd (SMTP sink)         seconds
#   6. npm ci in end2end/ (Playwright, binaryen 132, TypeScript), without browser download
#                                                                       ~10 s
# Needs root (or sudo) for step 1 only.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
. "${ROOT}/scripts/env.sh"

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.129
BINARYEN_MAJOR=132
DEB_PACKAGES=(chromium chromium-driver postgresql mariadb-server)

log()  { printf '==> %s\n' "$*"; }
skip() { printf '    skip: %s\n' "$*"; }
die()  { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAILED: install-deps.sh line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

timed() { # timed "description" cmd args...
    local desc="$1" start=$SECONDS; shift
    log "${desc}: $*"
    "$@" || die "${desc} (command: $*)"
    printf '    done: %s in %ss\n' "$desc" "$((SECONDS - start))"
}

# --- 1. Debian packages -------------------------------------------------------------------
log "Debian packages: ${DEB_PACKAGES[*]}"
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [ "$status" = "install ok installed" ]; then
        skip "$pkg is installed"
    else
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install Debian packages: ${missing[*]}"
        SUDO=(sudo)
    fi
    timed "apt-get update" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    timed "apt-get install ${missing[*]}" \
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
for bin in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$bin" ] || die "$bin is missing after installing chromium/chromium-driver"
done

# --- 2. Rust wasm target ------------------------------------------------------------------
command -v rustup >/dev/null || die "rustup not found (expected in \$HOME/.cargo/bin)"
command -v cargo >/dev/null || die "cargo not found (expected in \$HOME/.cargo/bin)"
log "Rust target wasm32-unknown-unknown"
installed_targets="$(rustup target list --installed)" || die "rustup target list --installed"
if grep -qx 'wasm32-unknown-unknown' <<<"$installed_targets"; then
    skip "wasm32-unknown-unknown is installed"
else
    timed "rustup target add" rustup target add wasm32-unknown-unknown
fi

# cargo install builds in its own temporary directory, not the workspace's CARGO_TARGET_DIR
# (env.sh sets that; the tools' dependency builds would only bloat target/).
cargo_install() { # cargo_install CRATE VERSION
    timed "cargo install $1 $2" env -u CARGO_TARGET_DIR cargo install "$1" --locked --version "$2"
}

# --- 3. cargo-leptos ----------------------------------------------------------------------
log "cargo-leptos ${CARGO_LEPTOS_VERSION}"
have="$(cargo leptos --version 2>/dev/null || true)"
if grep -qw "${CARGO_LEPTOS_VERSION//./\\.}" <<<"$have"; then
    skip "cargo leptos --version reports: $have"
else
    [ -z "$have" ] || log "found '${have}', want ${CARGO_LEPTOS_VERSION}"
    cargo_install cargo-leptos "$CARGO_LEPTOS_VERSION"
    have="$(cargo leptos --version 2>/dev/null || true)"
    grep -qw "${CARGO_LEPTOS_VERSION//./\\.}" <<<"$have" \
        || die "after install, cargo leptos --version reports '${have}', not ${CARGO_LEPTOS_VERSION}"
fi

# --- 4. wasm-bindgen-cli ------------------------------------------------------------------
log "wasm-bindgen-cli ${WASM_BINDGEN_VERSION}"
have="$(wasm-bindgen --version 2>/dev/null || true)"
if grep -qw "${WASM_BINDGEN_VERSION//./\\.}" <<<"$have"; then
    skip "wasm-bindgen --version reports: $have"
else
    [ -z "$have" ] || log "found '${have}', want ${WASM_BINDGEN_VERSION}"
    cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
    have="$(wasm-bindgen --version 2>/dev/null || true)"
    grep -qw "${WASM_BINDGEN_VERSION//./\\.}" <<<"$have" \
        || die "after install, wasm-bindgen --version reports '${have}', not ${WASM_BINDGEN_VERSION}"
fi
command -v wasm-bindgen-test-runner >/dev/null || die "wasm-bindgen-test-runner is not on PATH"

# --- 5. Python packages -------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 not found"
py_ok() { python3 -c 'import moto.server, aiosmtpd' 2>/dev/null && command -v moto_server >/dev/null; }
log "Python: moto[server] aiosmtpd"
if py_ok; then
    skip "moto[server] and aiosmtpd are installed ($(python3 -c 'import moto; print("moto", moto.__version__)'))"
else
    timed "pip install" python3 -m pip install --disable-pip-version-check 'moto[server]' aiosmtpd
    hash -r
    py_ok || die "after pip install, 'import moto.server, aiosmtpd' or moto_server on PATH still fails"
fi

# --- 6. npm packages (Playwright, binaryen, TypeScript) -----------------------------------
command -v npm >/dev/null || die "npm not found"
E2E="${ROOT}/end2end"
[ -f "${E2E}/package-lock.json" ] || die "${E2E}/package-lock.json is missing"
log "npm packages in end2end/"
# npm ci rewrites node_modules/.package-lock.json, so its mtime says when node_modules was made.
if [ -d "${E2E}/node_modules" ] && [ ! "${E2E}/package-lock.json" -nt "${E2E}/node_modules/.package-lock.json" ]; then
    skip "end2end/node_modules is up to date with package-lock.json"
else
    # Playwright's browser download cannot work here; tests use Debian's /usr/bin/chromium.
    (cd "$E2E" && timed "npm ci" env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
wasm_opt="$(command -v wasm-opt || true)"
[ "$wasm_opt" = "${E2E}/node_modules/.bin/wasm-opt" ] \
    || die "wasm-opt on PATH is '${wasm_opt}', expected ${E2E}/node_modules/.bin/wasm-opt"
have="$(wasm-opt --version)" || die "wasm-opt --version"
grep -q "version ${BINARYEN_MAJOR}\b" <<<"$have" || die "wasm-opt reports '${have}', want version ${BINARYEN_MAJOR}"

log "all dependencies present:"
printf '    %s\n' "$(cargo leptos --version)" "$(wasm-bindgen --version)" "$have" \
    "$(/usr/bin/chromium --version 2>/dev/null)" "$("${E2E}/node_modules/.bin/playwright" --version)"
echo "    Now run:  . scripts/env.sh   (puts end2end/node_modules/.bin and ~/.cargo/bin first on PATH)"
