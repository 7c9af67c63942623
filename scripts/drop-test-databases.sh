#!/usr/bin/env bash
# Drops the PostgreSQL and MariaDB databases whose names start with PREFIX (the integration
# tests make one per test; scripts/test.sh gives each run a prefix of its own and calls this
# when the run ends, so a machine that runs the tests all day does not collect thousands).
#   scripts/drop-test-databases.sh coffer_test_r1765040000_
# Needs COFFER_TEST_POSTGRES_URL and COFFER_TEST_MYSQL_URL (scripts/start-databases.sh).
set -Eeuo pipefail
prefix="${1:?usage: drop-test-databases.sh PREFIX (starting with coffer_test_)}"
[[ "$prefix" =~ ^coffer_test_[a-z0-9_]*$ ]] || { echo "refusing prefix '$prefix'" >&2; exit 2; }
like="${prefix//_/\\_}%"
dropped=0

if [ -n "${COFFER_TEST_POSTGRES_URL:-}" ]; then
    mapfile -t names < <(psql -X -q -At "$COFFER_TEST_POSTGRES_URL" \
        -c "SELECT datname FROM pg_database WHERE datname LIKE '${like}'")
    if [ "${#names[@]}" -gt 0 ]; then
        # One session, one statement each (DROP DATABASE cannot share a transaction).
        for name in "${names[@]}"; do
            [ -n "$name" ] && printf 'DROP DATABASE IF EXISTS "%s" WITH (FORCE);\n' "$name"
        done | psql -X -q -v ON_ERROR_STOP=1 "$COFFER_TEST_POSTGRES_URL" >/dev/null
        dropped=$((dropped + ${#names[@]}))
    fi
fi

if [ -n "${COFFER_TEST_MYSQL_URL:-}" ]; then
    # mysql://user:password@host:port
    rest="${COFFER_TEST_MYSQL_URL#mysql://}"
    creds="${rest%@*}"
    hostport="${rest##*@}"
    hostport="${hostport%%/*}"
    my=(mariadb --protocol=tcp -h "${hostport%:*}" -P "${hostport##*:}" -u "${creds%%:*}" "-p${creds#*:}" -N -B)
    mapfile -t names < <("${my[@]}" -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${like}'")
    if [ "${#names[@]}" -gt 0 ]; then
        sql=""
        for name in "${names[@]}"; do
            [ -n "$name" ] && sql+="DROP DATABASE IF EXISTS \`${name}\`;"
        done
        "${my[@]}" -e "$sql"
        dropped=$((dropped + ${#names[@]}))
    fi
fi
echo "dropped ${dropped} test databases named ${prefix}*"
