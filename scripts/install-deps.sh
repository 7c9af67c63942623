#!/usr/bin/env bash
# Installs what Coffer needs on a fresh machine of our kind (Debian 12, Rust via rustup, Node 20
# + npm, CPython with pip; network only to the package registries), and skips what is there.
#
#     scripts/install-deps.sh --serve   # what building and serving needs (scripts/run.sh)
#     scripts/install-deps.sh           # that, plus what the tests need (scripts/test.sh)
#     scripts/install-deps.sh --list [--serve]   # only print what each mode installs
#
# To build and serve:                                                  first time, 2 cores
#   - Rust target wasm32-unknown-unknown                               seconds
#   - cargo-leptos 0.3.10 (0.3.11 needs rustc 1.96)                    ~17 min
#   - wasm-bindgen-cli 0.2.129 (must equal wasm-bindgen in Cargo.lock) ~4-6 min
#   - wasm-opt 132 (npm `binaryen`; Debian's 108 breaks hydration)     ~10 s
# To test, also:
#   - Debian: chromium chromium-driver postgresql mariadb-server       ~2-3 min
#   - Python: moto[server] (S3 stand-in), aiosmtpd (SMTP sink)         ~30 s
#   - npm: Playwright and TypeScript (no browser download)             ~10 s
# Needs root (or sudo) for the Debian packages only. Any failure stops the script with a
# non-zero exit and a "FAILED:" line saying which step.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
. "${ROOT}/scripts/env.sh"

MODE=test
LIST=0
for arg in "$@"; do
    case "$arg" in
        --serve) MODE=serve ;;
        --list) LIST=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.129
BINARYEN_MAJOR=132
TEST_DEB_PACKAGES=(chromium chromium-driver postgresql mariadb-server)
TEST_PY_PACKAGES=('moto[server]' aiosmtpd)

if [ "$LIST" = 1 ]; then
    echo "rustup target wasm32-unknown-unknown"
    echo "cargo-leptos ${CARGO_LEPTOS_VERSION}"
    echo "wasm-bindgen-cli ${WASM_BINDGEN_VERSION}"
    echo "npm binaryen ${BINARYEN_MAJOR}"
    if [ "$MODE" = test ]; then
        printf 'debian %s\n' "${TEST_DEB_PACKAGES[@]}"
        printf 'python %s\n' "${TEST_PY_PACKAGES[@]}"
        echo "npm @playwright/test typescript"
    fi
    exit 0
fi

log()  { printf '==> %s\n' "$*"; }
skip() { printf '    already there: %s\n' "$*"; }
die()  { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAILED: install-deps.sh line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

timed() { # timed "description" cmd args...
    local desc="$1" start=$SECONDS; shift
    log "${desc}"
    "$@" || die "${desc} (command: $*)"
    printf '    done in %ss\n' "$((SECONDS - start))"
}

# --- Debian packages (tests only) ----------------------------------------------------------
if [ "$MODE" = test ]; then
    missing=()
    for pkg in "${TEST_DEB_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        SUDO=()
        if [ "$(id -u)" -ne 0 ]; then
            command -v sudo >/dev/null || die "need root or sudo to install Debian packages: ${missing[*]}"
            SUDO=(sudo)
        fi
        timed "Debian package lists (apt-get update)" \
            "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        timed "Debian packages for the tests: ${missing[*]} (2-3 min)" \
            "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        skip "Debian packages ${TEST_DEB_PACKAGES[*]}"
    fi
    for bin in /usr/bin/chromium /usr/bin/chromedriver; do
        [ -x "$bin" ] || die "$bin is missing after installing chromium/chromium-driver"
    done
fi

# --- Rust ----------------------------------------------------------------------------------
command -v rustup >/dev/null || die "rustup not found (expected in \$HOME/.cargo/bin)"
command -v cargo >/dev/null || die "cargo not found (expected in \$HOME/.cargo/bin)"
if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    skip "Rust target wasm32-unknown-unknown"
else
    timed "Rust target wasm32-unknown-unknown (seconds)" rustup target add wasm32-unknown-unknown
fi

# cargo install builds in its own temporary directory, not the workspace's CARGO_TARGET_DIR
# (the tools' dependency builds would only bloat target/).
cargo_install() { # cargo_install CRATE VERSION HOW-LONG
    timed "$1 $2 (cargo install, first time only: $3)" \
        env -u CARGO_TARGET_DIR cargo install --quiet "$1" --locked --version "$2"
}

have="$(cargo leptos --version 2>/dev/null || true)"
if grep -qw "${CARGO_LEPTOS_VERSION//./\\.}" <<<"$have"; then
    skip "$have"
else
    cargo_install cargo-leptos "$CARGO_LEPTOS_VERSION" "~17 min on 2 cores"
    have="$(cargo leptos --version 2>/dev/null || true)"
    grep -qw "${CARGO_LEPTOS_VERSION//./\\.}" <<<"$have" \
        || die "after install, cargo leptos --version reports '${have}', not ${CARGO_LEPTOS_VERSION}"
fi

have="$(wasm-bindgen --version 2>/dev/null || true)"
if grep -qw "${WASM_BINDGEN_VERSION//./\\.}" <<<"$have"; then
    skip "$have"
else
    cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION" "~5 min on 2 cores"
    have="$(wasm-bindgen --version 2>/dev/null || true)"
    grep -qw "${WASM_BINDGEN_VERSION//./\\.}" <<<"$have" \
        || die "after install, wasm-bindgen --version reports '${have}', not ${WASM_BINDGEN_VERSION}"
fi
command -v wasm-bindgen-test-runner >/dev/null || die "wasm-bindgen-test-runner is not on PATH"

# --- Python (tests only) -------------------------------------------------------------------
if [ "$MODE" = test ]; then
    command -v python3 >/dev/null || die "python3 not found"
    py_ok() { python3 -c 'import moto.server, aiosmtpd' 2>/dev/null && command -v moto_server >/dev/null; }
    if py_ok; then
        skip "Python moto[server] and aiosmtpd"
    else
        timed "Python packages for the tests: ${TEST_PY_PACKAGES[*]} (~30 s)" \
            python3 -m pip install --quiet --disable-pip-version-check "${TEST_PY_PACKAGES[@]}"
        hash -r
        py_ok || die "after pip install, 'import moto.server, aiosmtpd' or moto_server on PATH still fails"
    fi
fi

# --- npm: wasm-opt for building; Playwright and TypeScript for the tests --------------------
command -v npm >/dev/null || die "npm not found"
E2E="${ROOT}/end2end"
[ -f "${E2E}/package-lock.json" ] || die "${E2E}/package-lock.json is missing"
# What node_modules holds: "serve" (binaryen only) or "test" (everything), written after npm ci;
# redone when package-lock.json is newer.
MARK="${E2E}/node_modules/.coffer-installed"
installed="$(cat "$MARK" 2>/dev/null || true)"
if [ -f "$MARK" ] && [ ! "${E2E}/package-lock.json" -nt "$MARK" ] \
    && { [ "$installed" = test ] || [ "$MODE" = serve ]; }; then
    skip "npm packages (${installed})"
else
    if [ "$MODE" = serve ]; then
        what="wasm-opt (npm binaryen ${BINARYEN_MAJOR}, ~10 s)"
        omit=(--omit=dev)
    else
        what="npm packages for building and testing: binaryen, Playwright, TypeScript (~10 s)"
        omit=()
    fi
    # Playwright's browser download cannot work here; tests use Debian's /usr/bin/chromium.
    (cd "$E2E" && timed "$what" env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        npm ci --no-audit --no-fund --loglevel=error "${omit[@]}")
    echo "$MODE" >"$MARK"
fi
wasm_opt="$(command -v wasm-opt || true)"
[ "$wasm_opt" = "${E2E}/node_modules/.bin/wasm-opt" ] \
    || die "wasm-opt on PATH is '${wasm_opt}', expected ${E2E}/node_modules/.bin/wasm-opt"
have="$(wasm-opt --version)" || die "wasm-opt --version"
grep -q "version ${BINARYEN_MAJOR}\b" <<<"$have" || die "wasm-opt reports '${have}', want version ${BINARYEN_MAJOR}"

log "everything ${MODE} needs is installed"
