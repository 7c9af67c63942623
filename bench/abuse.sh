#!/usr/bin/env bash
# The server under abuse (issue 14): a release server on loopback, probed by `coffer-bench`
# (bench/load) one probe at a time, each against a fresh server with a fresh SQLite data
# directory (so a memory peak belongs to one probe), then a browser listing a 10 000-file vault.
# What each number means: the module docs of bench/load/src/cmd/*.rs and bench/vault-list.mjs.
#
#     bench/abuse.sh                        # build, then every probe (~10 min after the build)
#     bench/abuse.sh --no-build             # reuse the release build as it is
#     bench/abuse.sh --rev HEAD             # build that commit (a `git archive` copy), not the
#                                           # work tree (bench/lib.sh, bench_snapshot)
#     bench/abuse.sh --probes logins,parts  # only these (logins, logins-hashing, parts,
#                                           # slowloris, list, browser; list and browser share
#                                           # one server and its seeded vault)
#     bench/abuse.sh --files 2000           # seed this many files for list/browser (10 000)
#     bench/abuse.sh --server-bin PATH      # another coffer-server build (e.g. a variant in a
#                                           # throwaway copy), with this build's site
#     bench/abuse.sh --label 'glibc malloc' # named so in the report
#     bench/abuse.sh --allocator system     # build the server with glibc's allocator instead of
#                                           # mimalloc (feature system-allocator), to compare
#
# The probes, each with the server's defaults unless said:
#   logins          64 workers send correct logins for 25 s (`coffer-bench logins`), the
#                   server's RSS sampled every 100 ms, and again 30 s after.
#   logins-hashing  the same with the attempt limiter raised out of the way
#                   (COFFER_LOGIN_FAILURES_PER_IP/_PER_ACCOUNT=1000000), so every login reaches
#                   the hashing budget: its memory bound alone.
#   parts           one upload of 200 parts of 8 MiB, all PUT at once, retried after 503 until
#                   stored, then completed, downloaded and compared (`coffer-bench parts`).
#   slowloris       1000 connections trickling a byte every 5 s for 60 s while an ordinary 4 MiB
#                   upload and download run (`coffer-bench slowloris`); the server's log says how
#                   many slow clients it cut.
#   list            `coffer-bench seed` of --files files, then 64 connections on the first page
#                   of GET /api/files (gzip) for 20 s with GET /healthz every 50 ms: the page the
#                   browser asks for first (the API's default, 100), then a page of 1000 (what it
#                   asks for next, in the background); then
#                   one connection for 10 s (the cost of one page, without a queue).
#   browser         bench/vault-list.mjs: that user logs in in a fresh headless Chromium; time
#                   until every file is listed, rows in the DOM, search, a CPU profile.
#
# Steps: `cargo leptos build --release` and `cargo build --release -p coffer-bench` into the
# bench target directory (COFFER_BENCH_TARGET_DIR, default <clone>/../bench-target; shared with
# bench/run.sh, see bench/lib.sh). Progress on stderr; the report (Markdown) on stdout at the
# end. The temporary directory (/tmp/coffer-abuse.*) and the servers go away at the end, also
# on failure. A benchmark, not a test: nothing is asserted on time; a probe that finds a wrong
# answer (a byte that differs, an unexpected status) fails, and the script exits non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=1
REV=""
PROBES="logins,logins-hashing,parts,slowloris,list,browser"
FILES=10000
LABEL=""
ALLOCATOR=mimalloc
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) BUILD=0; shift ;;
        --rev) REV="$2"; shift 2 ;;
        --rev=*) REV="${1#*=}"; shift ;;
        --probes) PROBES="$2"; shift 2 ;;
        --probes=*) PROBES="${1#*=}"; shift ;;
        --files) FILES="$2"; shift 2 ;;
        --files=*) FILES="${1#*=}"; shift ;;
        --server-bin) BENCH_SERVER_BIN="$(realpath "$2")"; export BENCH_SERVER_BIN; shift 2 ;;
        --server-bin=*) BENCH_SERVER_BIN="$(realpath "${1#*=}")"; export BENCH_SERVER_BIN; shift ;;
        --allocator) ALLOCATOR="$2"; shift 2 ;;
        --allocator=*) ALLOCATOR="${1#*=}"; shift ;;
        --label) LABEL="$2"; shift 2 ;;
        --label=*) LABEL="${1#*=}"; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench/abuse.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
cd "$ROOT"
bench_setup
if [ "$BUILD" = 1 ]; then
    SRC="$ROOT"
    DESC="$(bench_describe_tree)"
    [ -n "$REV" ] && bench_snapshot "$REV"
    case "$ALLOCATOR" in
        mimalloc) bench_release_build "$SRC" "$DESC" ;;
        system) bench_release_build "$SRC" "$DESC, glibc's allocator (feature system-allocator)" \
            --bin-features system-allocator ;;
        *) echo "bench/abuse.sh: --allocator is mimalloc or system" >&2; exit 2 ;;
    esac
    echo "== release build of coffer-bench" >&2
    (cd "$SRC" && cargo build --release -p coffer-bench) >&2
fi
bench_require_build
BENCH="$TARGET/release/coffer-bench"
[ -x "$BENCH" ] || { echo "bench/abuse.sh: no $BENCH (run without --no-build)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/coffer-abuse.XXXXXX)"
SERVER_PID=""
cleanup() {
    bench_stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSWORD="Abuse-Bench-Amber-Lantern-7"
REPORT="$WORK/report.md"
status=0

# A heading, the load average and the server, then the probe's own output, into the report.
section() {
    {
        echo
        echo "### $1"
        echo
        echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg). Server: ${2:-defaults}."
        echo
    } >>"$REPORT"
}

# Runs a coffer-bench subcommand, its table into the report (and onto stderr as it comes).
probe() {
    echo "== coffer-bench $*" >&2
    printf '`coffer-bench %s`\n\n' "$*" | sed "s/$PASSWORD/PW/" >>"$REPORT"
    if ! "$BENCH" "$@" | tee -a "$REPORT" >&2; then
        echo "**The probe failed** (see stderr)." >>"$REPORT"
        status=1
    fi
}

fresh_server() {
    bench_stop_server
    bench_start_server "$WORK/data" "$WORK/server.log" COFFER_LOG=info "$@"
    BASE="http://127.0.0.1:$PORT"
}

want() {
    case ",$PROBES," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}

: >"$WORK/server.log"
if want logins; then
    fresh_server
    section "Correct logins, 64 at a time for 25 s"
    probe logins --base "$BASE" --user bench-logins --password "$PASSWORD" \
        --concurrency 64 --seconds 25 --pid "$SERVER_PID"
fi

if want logins-hashing; then
    fresh_server COFFER_LOGIN_FAILURES_PER_IP=1000000 COFFER_LOGIN_FAILURES_PER_ACCOUNT=1000000
    section "The same with the attempt limiter out of the way (the hashing budget alone)" \
        "COFFER_LOGIN_FAILURES_PER_IP=1000000, COFFER_LOGIN_FAILURES_PER_ACCOUNT=1000000"
    probe logins --base "$BASE" --user bench-hashing --password "$PASSWORD" \
        --concurrency 64 --seconds 25 --pid "$SERVER_PID"
fi

if want parts; then
    fresh_server
    section "200 parts of 8 MiB PUT at once"
    probe parts --base "$BASE" --user bench-parts --password "$PASSWORD" \
        --parts 200 --part-bytes 8388608 --pid "$SERVER_PID"
fi

if want slowloris; then
    fresh_server
    section "1000 slow connections for 60 s"
    mark="$(wc -l <"$WORK/server.log")"
    probe slowloris --base "$BASE" --user bench-victim --password "$PASSWORD" \
        --connections 1000 --seconds 60
    headers="$(tail -n +"$((mark + 1))" "$WORK/server.log" | grep -c 'no request headers in time' || true)"
    bodies="$(tail -n +"$((mark + 1))" "$WORK/server.log" | grep -c 'request body stalled or trickled' || true)"
    printf '\nThe server log: %s connections cut for headers not in time, %s bodies cut for arriving too slowly.\n' \
        "$headers" "$bodies" >>"$REPORT"
fi

if want list || want browser; then
    fresh_server
    section "A vault of $FILES files"
    echo "== coffer-bench seed: $FILES files" >&2
    started="$(date +%s)"
    seeded="$("$BENCH" seed --base "$BASE" --user bench-vault --password "$PASSWORD" --files "$FILES")"
    printf '`coffer-bench seed --files %s`: %s files seeded in %s s.\n\n' \
        "$FILES" "$seeded" "$(($(date +%s) - started))" >>"$REPORT"
    if want list; then
        # The API's default page, which is the browser's first page (100 files), then a page
        # of 1000 as the browser asks for in the background.
        probe list --base "$BASE" --user bench-vault --password "$PASSWORD" \
            --concurrency 64 --seconds 20
        echo >>"$REPORT"
        probe list --base "$BASE" --user bench-vault --password "$PASSWORD" \
            --concurrency 64 --seconds 20 --limit 1000
        # The cost of one page alone: what 64 connections queue behind.
        echo >>"$REPORT"
        probe list --base "$BASE" --user bench-vault --password "$PASSWORD" \
            --concurrency 1 --seconds 10
    fi
    if want browser; then
        echo >>"$REPORT"
        echo "== node bench/vault-list.mjs" >&2
        echo '`node bench/vault-list.mjs`' >>"$REPORT"
        echo >>"$REPORT"
        if ! node "$ROOT/bench/vault-list.mjs" --base-url "$BASE" --user bench-vault \
            --password "$PASSWORD" --files "$FILES" | tee -a "$REPORT" >&2; then
            echo "**The browser probe failed** (see stderr)." >>"$REPORT"
            status=1
        fi
    fi
fi
bench_stop_server

if grep -qiE 'panick|ERROR' "$WORK/server.log"; then
    echo >&2
    echo "Server log (errors):" >&2
    # The 503 busy answers (expected) are tower_http's "response failed" lines: leave them out.
    grep -iE 'panick|ERROR' "$WORK/server.log" | grep -v 'tower_http::trace::on_failure' | head -20 >&2
fi
echo "## Server under abuse${LABEL:+ ($LABEL)}"
echo
echo "Machine: $(bench_machine)${BENCH_SERVER_BIN:+; server binary $BENCH_SERVER_BIN}"
cat "$REPORT"
exit "$status"
