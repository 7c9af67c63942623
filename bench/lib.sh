# shellcheck shell=bash
# The steps bench/run.sh and bench/abuse.sh share. SOURCE this file (from bash, with ROOT set to
# the clone), don't execute it. It defines:
#
#   bench_setup                 sources scripts/env.sh and sets TARGET (COFFER_BENCH_TARGET_DIR,
#                               default <clone>/../bench-target), SITE, SERVER_BIN and
#                               CARGO_TARGET_DIR=$TARGET, so the debug build in target/ is left
#                               alone
#   bench_snapshot REV          a clean copy of commit REV in $TARGET/src (`git archive`), so
#                               edits in progress in the work tree are not measured; bench/load
#                               comes from the work tree if the commit lacks it (the workspace
#                               lists it as a member); sets SRC and DESC
#   bench_release_build SRC DESC [ARGS...]
#                               `cargo leptos build --release [ARGS]` of the tree SRC into $TARGET, and
#                               records DESC (what was built) in $TARGET/.bench-built
#   bench_require_build         fails unless $TARGET holds a release server and site; sets BUILT
#   bench_describe_tree         "work tree at <commit>", plus " with uncommitted changes" when the
#                               code that goes into the build differs from that commit
#   bench_machine               one line: cores, CPU, RAM, Chromium, what was built
#   bench_free_port             a free loopback port (never 3000/3411, which other tools use)
#   bench_start_server DATA LOG [VAR=value ...]
#                               a release server ($SERVER_BIN, or BENCH_SERVER_BIN if set) on a
#                               free loopback port with a fresh data directory DATA, its output
#                               appended to LOG, the variables added to its environment; sets PORT
#                               and SERVER_PID, and returns once it answers
#   bench_stop_server           stops it (SIGTERM, then waits)

bench_setup() {
    TARGET="${COFFER_BENCH_TARGET_DIR:-$(dirname "$ROOT")/bench-target}"
    SITE="$TARGET/site"
    SERVER_BIN="$TARGET/release/coffer-server"
    # shellcheck source=../scripts/env.sh
    . "$ROOT/scripts/env.sh"
    export CARGO_TARGET_DIR="$TARGET"
    unset LEPTOS_OUTPUT_NAME
}

bench_snapshot() {
    local commit
    commit="$(git -C "$ROOT" rev-parse --verify "$1^{commit}")"
    SRC="$TARGET/src"
    DESC="commit $(git -C "$ROOT" rev-parse --short "$commit")"
    echo "== clean copy of $commit in $SRC" >&2
    rm -rf "$SRC"
    mkdir -p "$SRC"
    git -C "$ROOT" archive "$commit" | tar -x -C "$SRC"
    if [ ! -f "$SRC/bench/load/Cargo.toml" ] && [ -f "$ROOT/bench/load/Cargo.toml" ]; then
        mkdir -p "$SRC/bench"
        cp -r "$ROOT/bench/load" "$SRC/bench/load"
        DESC="$DESC with bench/load from the work tree"
    fi
}

bench_release_build() {
    local src="$1" desc="$2"
    shift 2
    echo "== release build of $src into $TARGET $*" >&2
    rm -f "$TARGET/.bench-built"
    (cd "$src" && LEPTOS_SITE_ROOT="$SITE" cargo leptos build --release "$@") >&2
    echo "$desc" >"$TARGET/.bench-built"
}

bench_require_build() {
    BUILT="$(cat "$TARGET/.bench-built" 2>/dev/null || echo 'unrecorded source')"
    # cargo-leptos names the module coffer.wasm (coffer_bg.wasm by other build paths).
    if [ ! -x "$SERVER_BIN" ] || ! ls "$SITE"/pkg/coffer*.wasm >/dev/null 2>&1; then
        echo "bench: no release build in $TARGET (run without --no-build)" >&2
        exit 1
    fi
}

bench_describe_tree() {
    local dirty=""
    git -C "$ROOT" diff --quiet HEAD -- Cargo.toml Cargo.lock crypto protocol domain app frontend \
        server migration style public 2>/dev/null || dirty=" with uncommitted changes"
    echo "work tree at $(git -C "$ROOT" rev-parse --short HEAD)$dirty"
}

bench_machine() {
    local chromium mem
    chromium="$(/usr/bin/chromium --version 2>/dev/null || true)"
    mem="$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), ${mem} GiB RAM; ${chromium}; release build ($BUILT)"
}

bench_free_port() {
    local port
    for _ in 1 2 3 4 5; do
        port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
        if [ "$port" != 3000 ] && [ "$port" != 3411 ]; then
            echo "$port"
            return
        fi
    done
    return 1
}

bench_start_server() {
    local data="$1" log="$2"
    shift 2
    rm -rf "$data"
    mkdir -p "$data"
    PORT="$(bench_free_port)"
    echo "== server on 127.0.0.1:$PORT, data in $data" >&2
    env COFFER_BIND="127.0.0.1:$PORT" \
        COFFER_DATA_DIR="$data" \
        LEPTOS_SITE_ROOT="$SITE" \
        "$@" \
        "${BENCH_SERVER_BIN:-$SERVER_BIN}" >>"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/register" 2>/dev/null && return 0
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "bench: the server did not start:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "bench: the server did not answer on port $PORT" >&2
    exit 1
}

bench_stop_server() {
    if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
