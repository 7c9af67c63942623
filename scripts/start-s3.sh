#!/usr/bin/env bash
# Start a local S3 stand-in (moto_server from PyPI's moto[server], installed by
# scripts/install-deps.sh) on 127.0.0.1:${PORT:-9000}, in the background, unless one already
# answers there. Waits until it serves S3 requests.
#
# HOW TO USE IT: run it (don't source it). Progress goes to stderr; stdout carries ONLY
# `export ...` lines:
#     eval "$(scripts/start-s3.sh)"            # or: PORT=9100 scripts/start-s3.sh
# Exports:
#     COFFER_TEST_S3_ENDPOINT=http://127.0.0.1:9000
#     COFFER_TEST_S3_REGION=us-east-1
#     COFFER_TEST_S3_ACCESS_KEY=test  COFFER_TEST_S3_SECRET_KEY=test   (moto accepts any keys)
# Log: /tmp/coffer-moto-<port>.log, pid: /tmp/coffer-moto-<port>.pid (stop: kill "$(cat that)").
# moto keeps everything in memory: restarting it empties all buckets.
set -Eeuo pipefail

PORT="${PORT:-9000}"
HOST=127.0.0.1
ENDPOINT="http://${HOST}:${PORT}"
LOG="/tmp/coffer-moto-${PORT}.log"
PIDFILE="/tmp/coffer-moto-${PORT}.pid"
WAIT_SECS="${COFFER_S3_START_TIMEOUT:-30}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAILED: start-s3.sh line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

command -v curl >/dev/null || die "curl not found"

# An S3 ListBuckets answer from whatever listens on the port (empty if nothing / not S3).
is_s3() { curl -fsS --max-time 2 "${ENDPOINT}/" 2>/dev/null | grep -q 'ListAllMyBucketsResult'; }

if is_s3; then
    log "S3 (moto) already answering at ${ENDPOINT}"
else
    if curl -s --max-time 2 -o /dev/null "${ENDPOINT}/"; then
        die "something that is not an S3 server already listens on ${HOST}:${PORT} (choose another PORT=)"
    fi
    command -v moto_server >/dev/null || die "moto_server not found: run scripts/install-deps.sh (pip moto[server])"
    log "starting moto_server on ${HOST}:${PORT} (log ${LOG})"
    setsid nohup moto_server -H "$HOST" -p "$PORT" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    deadline=$((SECONDS + WAIT_SECS))
    until is_s3; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            tail -n 20 "$LOG" >&2 || true
            die "moto_server exited during start-up (log ${LOG})"
        fi
        if [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$LOG" >&2 || true
            die "moto_server did not answer at ${ENDPOINT} within ${WAIT_SECS}s (log ${LOG})"
        fi
        sleep 0.3
    done
    log "moto_server ready at ${ENDPOINT} (pid $(cat "$PIDFILE"))"
fi

cat <<EOT
export COFFER_TEST_S3_ENDPOINT=${ENDPOINT}
export COFFER_TEST_S3_REGION=us-east-1
export COFFER_TEST_S3_ACCESS_KEY=test
export COFFER_TEST_S3_SECRET_KEY=test
EOT
