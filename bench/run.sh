#!/usr/bin/env bash
# Vault transfer benchmark: upload and download files of each size through Coffer in headless
# Chromium on loopback, encrypted (the app itself) and unencrypted (the same bytes through the
# same server routes, the ceiling), and report MB/s each way plus the peak memory of the browser
# tab and of the server. What each number means: the header of bench/vault-transfer.mjs.
#
#     bench/run.sh                      # 256 MiB and 1 GiB, one run each
#     bench/run.sh --sizes 64M,256M,1G --runs 3
#     bench/run.sh --no-build           # reuse the release build as it is
#     bench/run.sh --rev HEAD           # build that commit (a `git archive` copy), not the work tree
#     bench/run.sh --quiet-wait-s 20    # wait at most 20 s (default 60) for an idle machine per phase
#     bench/run.sh --cpu-profile DIR    # also CDP CPU profiles of the tab's main thread per phase
#
# Steps: `cargo leptos build --release` into its own target directory (COFFER_BENCH_TARGET_DIR,
# default <clone>/../bench-target, so the debug build in target/ is left alone; ~15-30 min the
# first time, incremental after; --rev builds a clean copy of a commit in <target>/src, so edits
# in progress in the work tree are not measured). Then, one size at a time: a random file in a
# temporary directory under /tmp (`head -c SIZE /dev/urandom`; sizes as head takes them: 256M =
# 256 MiB, 1G = 1 GiB), a fresh release server on a free loopback port with a fresh data
# directory there, and the Node script (Playwright from end2end/node_modules, /usr/bin/chromium).
# Finally one Markdown table on stdout (progress on stderr). The temporary directory and the
# server go away at the end, also on failure; COFFER_BENCH_JSON=<file> keeps the raw results.
# Needs ~3x the largest size free in /tmp. Nothing is asserted on time: a benchmark, not a test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="256M,1G"
RUNS=1
BUILD=1
REV=""
QUIET=60
PROFILE_DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --sizes=*) SIZES="${1#*=}"; shift ;;
        --runs) RUNS="$2"; shift 2 ;;
        --runs=*) RUNS="${1#*=}"; shift ;;
        --no-build) BUILD=0; shift ;;
        --rev) REV="$2"; shift 2 ;;
        --rev=*) REV="${1#*=}"; shift ;;
        --quiet-wait-s) QUIET="$2"; shift 2 ;;
        --quiet-wait-s=*) QUIET="${1#*=}"; shift ;;
        --cpu-profile) PROFILE_DIR="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
cd "$ROOT"
bench_setup

SRC="$ROOT"
DESC="$(bench_describe_tree)"
if [ -n "$REV" ]; then
    if [ "$BUILD" = 1 ]; then
        bench_snapshot "$REV"
    else
        DESC="commit $(git rev-parse --short "$REV^{commit}")"
    fi
fi
if [ "$BUILD" = 1 ]; then
    bench_release_build "$SRC" "$DESC"
fi
bench_require_build

# A release server with a fresh data directory; sets PORT and SERVER_PID.
start_server() {
    bench_start_server "$WORK/data" "$WORK/server.log" \
        COFFER_MAX_FILE_BYTES=$((8 * 1024 * 1024 * 1024)) \
        COFFER_USER_QUOTA_BYTES=$((32 * 1024 * 1024 * 1024)) \
        COFFER_LOG=warn
}

stop_server() {
    bench_stop_server
}

WORK="$(mktemp -d /tmp/coffer-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IFS=',' read -r -a SIZE_LIST <<<"$SIZES"

MACHINE="$(bench_machine)"

# One size at a time, each with its own file and its own fresh server, so the server's peak
# belongs to that size alone.
status=0
JSONS=()
for size in "${SIZE_LIST[@]}"; do
    name="$(printf '%s' "$size" | sed -e 's/G$/GiB/' -e 's/M$/MiB/' -e 's/K$/KiB/')"
    path="$WORK/coffer-bench-$name.bin"
    echo "== $size of random bytes -> $path" >&2
    head -c "$size" /dev/urandom >"$path"
    start_server
    echo "== load average before $name: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    json="$WORK/result-$name.json"
    node "$ROOT/bench/vault-transfer.mjs" \
        --base-url "http://127.0.0.1:$PORT" \
        --server-pid "$SERVER_PID" \
        --files "$path" \
        --runs "$RUNS" \
        --quiet-wait-s "$QUIET" \
        ${PROFILE_DIR:+--cpu-profile "$PROFILE_DIR"} \
        --json "$json" >&2 || status=$?
    stop_server
    rm -f "$path"
    [ -f "$json" ] && JSONS+=("$json")
done

if grep -qiE 'panick|error' "$WORK/server.log"; then
    echo >&2
    echo "Server log (errors):" >&2
    grep -iE 'panick|error' "$WORK/server.log" | tail -20 >&2
fi
echo "Machine: $MACHINE"
echo
if [ "${#JSONS[@]}" -gt 0 ]; then
    node "$ROOT/bench/vault-transfer.mjs" --report "$(IFS=','; echo "${JSONS[*]}")" || true
    if [ -n "${COFFER_BENCH_JSON:-}" ]; then
        MACHINE="$MACHINE" node -e 'const fs=require("fs");const [out,...ins]=process.argv.slice(1);fs.writeFileSync(out,JSON.stringify({machine:process.env.MACHINE,results:ins.flatMap(f=>JSON.parse(fs.readFileSync(f,"utf8")).results)},null,2))' \
            "$COFFER_BENCH_JSON" "${JSONS[@]}"
    fi
fi
exit "$status"
