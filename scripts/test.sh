#!/usr/bin/env bash
# Runs every test Coffer has, and exits non-zero on any failure:
#   1. installs what is missing (scripts/install-deps.sh; skips what is present)
#   2. starts PostgreSQL and MariaDB (scripts/start-databases.sh; fails loudly if it cannot) and
#      an S3 API server on loopback (scripts/start-s3.sh: moto_server; stopped at the end if this
#      script started it)
#   3. native tests: crypto, protocol, domain (rules on in-memory SQLite), app (with the server
#      side), migrations, server integration tests
#      against SQLite, PostgreSQL and MariaDB (fresh databases per test, named after the run
#      and dropped in the background when it ends); the vault tests also with S3 storage (a
#      fresh bucket per test)
#   4. the crypto golden vectors again, compiled to Wasm (wasm-bindgen-test in Node)
#   5. cargo leptos build (debug), a real server on a free loopback port, Playwright in Debian's
#      headless Chromium against it; the "malicious server" suite edits that server's database
#      and blob store between page loads (end2end/tools/db.py, the hostile_server example of
#      coffer-crypto), and the upgrade suite starts a second server on a copy of the format-v1
#      fixture (end2end/fixtures/v1)
#   6. the zero-knowledge check: the e2e run's password, recovery key, exported file key and a
#      marker put into file names and contents must appear nowhere in the database, the blob
#      store or the server log
#   7. cargo fmt --check and clippy -D warnings (scripts/lint.sh)
# The crypto fuzz targets also get a 10-second smoke run each (crypto/fuzz/smoke.sh).
# Set CARGO_TARGET_DIR outside the clone to keep builds incremental across fresh clones.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS
step() { printf '\n==> [%4ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# A CI run starts from an empty target/: incremental caches would only cost disk and time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step "installing missing dependencies"
# Serving must not need the test stack (issue 15): the run command's list has none of it.
if scripts/install-deps.sh --list --serve | grep -Ei 'postgres|mariadb|chromium|moto|aiosmtpd|playwright'; then
    die "scripts/run.sh would install the test stack (above) just to serve"
fi
scripts/install-deps.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

step "starting PostgreSQL and MariaDB"
eval "$(scripts/start-databases.sh)"
[ -n "${COFFER_TEST_POSTGRES_URL:-}" ] && [ -n "${COFFER_TEST_MYSQL_URL:-}" ] \
    || die "start-databases.sh did not export the database URLs"
# This run's test databases share a name prefix; when the run ends they are dropped in the
# background (PostgreSQL checkpoints on every DROP DATABASE: minutes for a whole run's).
export COFFER_TEST_DB_PREFIX="coffer_test_r$(date +%s)_$$_"
drop_databases() {
    setsid nohup scripts/drop-test-databases.sh "$COFFER_TEST_DB_PREFIX" \
        >"/tmp/${COFFER_TEST_DB_PREFIX}drop.log" 2>&1 </dev/null &
}
trap drop_databases EXIT

step "starting the S3 API server (moto)"
S3_PIDFILE=/tmp/coffer-moto-9000.pid
S3_WAS_RUNNING=false
curl -fsS --max-time 2 http://127.0.0.1:9000/ 2>/dev/null | grep -q ListAllMyBucketsResult && S3_WAS_RUNNING=true
eval "$(scripts/start-s3.sh)"
[ -n "${COFFER_TEST_S3_ENDPOINT:-}" ] || die "start-s3.sh did not export the S3 endpoint"
stop_s3() { if [ "$S3_WAS_RUNNING" = false ] && [ -f "$S3_PIDFILE" ]; then kill "$(cat "$S3_PIDFILE")" 2>/dev/null || true; fi; }
trap 'stop_s3; drop_databases' EXIT

step "native tests (crypto, app, migrations, server on SQLite + PostgreSQL + MariaDB)"
cargo test -p coffer-crypto -p coffer-protocol -p coffer-domain -p coffer-migration -p coffer-server
cargo test -p coffer-app --features ssr

# The hostile server's tool for the malicious-server e2e suite (built here, used in step 5).
cargo build -p coffer-crypto --example hostile_server
# The seeding tool the large-vault spec fills a vault with (bench/load).
cargo build -p coffer-bench

step "crypto golden vectors in Wasm"
cargo test -p coffer-crypto --target wasm32-unknown-unknown

step "fuzz smoke run of the crypto parsers (10 s per target)"
crypto/fuzz/smoke.sh 10

step "building the site (cargo leptos build)"
cargo leptos build

step "end-to-end tests in headless Chromium"
WORK="$(mktemp -d)"
SERVER_LOG="$WORK/server.log"
SECRETS="$WORK/secrets.jsonl"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SERVER_BIN="${CARGO_TARGET_DIR}/debug/coffer-server"
# cargo-leptos writes the site to <repo>/target/site (Cargo.toml site-root), whatever
# CARGO_TARGET_DIR says, unless LEPTOS_SITE_ROOT overrides it.
SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
[ -d "$SITE_ROOT/pkg" ] || die "cargo leptos build did not produce $SITE_ROOT/pkg"
[ -x "$SERVER_BIN" ] || die "cargo leptos build did not produce $SERVER_BIN"
# A real SMTP server on loopback (aiosmtpd) takes the suite's mail into a maildir the specs read.
SMTP_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
python3 -m aiosmtpd -n -l "127.0.0.1:${SMTP_PORT}" -c aiosmtpd.handlers.Mailbox "$WORK/mail" \
    >"$WORK/smtp.log" 2>&1 &
SMTP_PID=$!
# Every browser of the suite comes from 127.0.0.1 and it registers and logs in many accounts:
# the per-client limits (tested in server/tests) would stop it half-way.
LEPTOS_SITE_ROOT="$SITE_ROOT" COFFER_BIND="127.0.0.1:${PORT}" COFFER_DATA_DIR="$WORK/data" COFFER_LOG="info,tower_http=debug" \
    COFFER_REGISTRATIONS_PER_IP=1000 COFFER_LOGIN_FAILURES_PER_IP=1000 \
    COFFER_SMTP_URL="smtp://127.0.0.1:${SMTP_PORT}" COFFER_MAIL_FROM="Coffer <coffer@coffer.test>" \
    "$SERVER_BIN" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" "$SMTP_PID" 2>/dev/null || true; stop_s3; drop_databases; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:${PORT}/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG"; die "the server exited during start-up"; }
    sleep 0.2
done
curl -fsS "http://127.0.0.1:${PORT}/healthz" >/dev/null || { cat "$SERVER_LOG"; die "the server did not become healthy"; }
(
    cd end2end
    COFFER_E2E_BASE_URL="http://127.0.0.1:${PORT}" COFFER_E2E_SECRETS="$SECRETS" \
        COFFER_E2E_SITE_ROOT="$SITE_ROOT" COFFER_E2E_DATA_DIR="$WORK/data" \
        COFFER_E2E_MAILDIR="$WORK/mail" COFFER_E2E_SMTP_URL="smtp://127.0.0.1:${SMTP_PORT}" \
        COFFER_E2E_SERVER_BIN="$SERVER_BIN" npx playwright test
) 2>&1 | tee "$WORK/playwright.log" || {
    # CI shows only the end of the output: the server's warnings first, then Playwright's own
    # summary (which tests failed, and why) last.
    echo "--- server log: warnings and errors (last 40) ---"
    sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -E ' (WARN|ERROR) |panicked' | grep -v tower_http | tail -n 40 || true
    echo "--- Playwright: failures ---"
    grep -nE '^\s+[0-9]+\) |✘|Error:|expect\(|Timeout|[0-9]+ (failed|flaky|passed)' "$WORK/playwright.log" | tail -n 80
    die "end-to-end tests failed"
}
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

step "zero-knowledge check: no password, recovery key, file key, email code or file name/content marker in the database, blobs or log"
for label in password 'recovery key' marker 'file key' 'link secret' 'link password' 'email code'; do
    grep -q "\"label\": *\"$label\"" "$SECRETS" || die "the e2e run recorded no '$label' to search for"
done
python3 scripts/zero-knowledge-check.py "$SECRETS" "$WORK/data" "$SERVER_LOG"

step "formatting and clippy"
scripts/lint.sh

step "all tests passed in $((SECONDS - START)) s"
