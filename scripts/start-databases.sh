#!/usr/bin/env bash
# Start the test databases (PostgreSQL 15 and MariaDB 10.11, Debian packages from
# scripts/install-deps.sh) without systemd, and make sure the test login exists in both:
#     user coffer_test, password coffer_test
#     PostgreSQL: LOGIN CREATEDB            MariaDB: ALL PRIVILEGES on databases `coffer\_test\_%`
# Tests create their own uniquely named database (coffer_test_<random>) through these admin URLs
# and drop it afterwards.
#
# HOW TO USE IT: run it (don't source it). All progress messages go to stderr; stdout carries
# ONLY `export ...` lines, so either
#     eval "$(scripts/start-databases.sh)"
# or run it and then source the file it writes (path printed at the end; default
# /tmp/coffer-test-env.sh, override with COFFER_TEST_ENV_FILE):
#     scripts/start-databases.sh && . /tmp/coffer-test-env.sh
# Exports:
#     COFFER_TEST_POSTGRES_URL=postgres://coffer_test:coffer_test@127.0.0.1:5432/postgres
#     COFFER_TEST_MYSQL_URL=mysql://coffer_test:coffer_test@127.0.0.1:3306
#
# Idempotent: a server that already answers is left alone; the users are created or reset.
# Ends by logging in over TCP with the password in both servers and creating + dropping a
# database, so "it printed the URLs" means the URLs work. Needs root. Exits non-zero with a
# "FAILED:" message on any problem.
set -Eeuo pipefail

PG_VERSION="${COFFER_PG_VERSION:-15}"
PG_CLUSTER=main
MYSQL_PORT=3306
WAIT_SECS="${COFFER_DB_START_TIMEOUT:-60}"
ENV_FILE="${COFFER_TEST_ENV_FILE:-/tmp/coffer-test-env.sh}"
MARIADB_LOG=/var/log/mysql/coffer-mariadbd.log

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAILED: start-databases.sh line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

[ "$(id -u)" -eq 0 ] || die "run as root (starts servers as the postgres/mysql users)"
for c in pg_ctlcluster pg_lsclusters pg_isready psql mariadbd mariadb mariadb-admin start-stop-daemon; do
    command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] \
        || die "'$c' not found: run scripts/install-deps.sh (postgresql, mariadb-server)"
done

wait_for() { # wait_for "what" "logfile" cmd...
    local what="$1" logf="$2" deadline=$((SECONDS + WAIT_SECS)); shift 2
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            printf '%s did not become ready within %ss; last lines of %s:\n' "$what" "$WAIT_SECS" "$logf" >&2
            tail -n 20 "$logf" >&2 2>/dev/null || true
            die "$what did not start (check: $*)"
        fi
        sleep 0.5
    done
}

# --- PostgreSQL -------------------------------------------------------------------------
pg_line="$(pg_lsclusters --no-header | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c')" || true
if [ -z "$pg_line" ]; then
    log "PostgreSQL: no cluster ${PG_VERSION}/${PG_CLUSTER}; creating it"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2 || die "pg_createcluster $PG_VERSION $PG_CLUSTER"
    pg_line="$(pg_lsclusters --no-header | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c')"
fi
PG_PORT="$(awk '{print $3}' <<<"$pg_line")"
PG_LOG="$(awk '{print $7}' <<<"$pg_line")"
if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    log "PostgreSQL ${PG_VERSION}/${PG_CLUSTER} already running on 127.0.0.1:${PG_PORT}"
else
    log "PostgreSQL ${PG_VERSION}/${PG_CLUSTER}: starting (port ${PG_PORT}, log ${PG_LOG})"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start >&2 \
        || { tail -n 20 "$PG_LOG" >&2 || true; die "pg_ctlcluster $PG_VERSION $PG_CLUSTER start"; }
    wait_for "PostgreSQL" "$PG_LOG" pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
fi

log "PostgreSQL: role coffer_test (LOGIN CREATEDB, password coffer_test)"
(cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres) >&2 <<'SQL' \
    || die "creating the PostgreSQL role coffer_test"
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coffer_test') THEN
    CREATE ROLE coffer_test LOGIN CREATEDB PASSWORD 'coffer_test';
  ELSE
    ALTER ROLE coffer_test LOGIN CREATEDB PASSWORD 'coffer_test';
  END IF;
END
$$;
SQL

# --- MariaDB ----------------------------------------------------------------------------
maria_alive() { mariadb-admin --protocol=socket ping --silent; }
if maria_alive >/dev/null 2>&1; then
    log "MariaDB already running"
else
    if [ ! -d /var/lib/mysql/mysql ]; then
        log "MariaDB: no system tables in /var/lib/mysql; running mariadb-install-db"
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >&2 || die "mariadb-install-db"
    fi
    mkdir -p /run/mysqld /var/log/mysql
    chown mysql:mysql /run/mysqld /var/log/mysql
    log "MariaDB: starting /usr/sbin/mariadbd (log ${MARIADB_LOG})"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- \
        --user=mysql --log-error="$MARIADB_LOG" >&2 || die "start-stop-daemon mariadbd"
    wait_for "MariaDB" "$MARIADB_LOG" maria_alive
fi

log "MariaDB: user coffer_test (password coffer_test, ALL on \`coffer\\_test\\_%\`)"
mariadb --protocol=socket -uroot >&2 <<'SQL' || die "creating the MariaDB user coffer_test"
CREATE USER IF NOT EXISTS 'coffer_test'@'localhost' IDENTIFIED BY 'coffer_test';
CREATE USER IF NOT EXISTS 'coffer_test'@'127.0.0.1' IDENTIFIED BY 'coffer_test';
CREATE USER IF NOT EXISTS 'coffer_test'@'::1'       IDENTIFIED BY 'coffer_test';
ALTER USER 'coffer_test'@'localhost' IDENTIFIED BY 'coffer_test';
ALTER USER 'coffer_test'@'127.0.0.1' IDENTIFIED BY 'coffer_test';
ALTER USER 'coffer_test'@'::1'       IDENTIFIED BY 'coffer_test';
GRANT ALL PRIVILEGES ON `coffer\_test\_%`.* TO 'coffer_test'@'localhost';
GRANT ALL PRIVILEGES ON `coffer\_test\_%`.* TO 'coffer_test'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `coffer\_test\_%`.* TO 'coffer_test'@'::1';
FLUSH PRIVILEGES;
SQL

# --- Check what we hand out really works (TCP + password, create/drop a database) ----------
probe_db="coffer_test_probe_$$"
log "checking PostgreSQL over TCP as coffer_test (create/drop ${probe_db})"
PGPASSWORD=coffer_test psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U coffer_test -d postgres \
    -c "CREATE DATABASE ${probe_db};" -c "DROP DATABASE ${probe_db};" >&2 \
    || die "PostgreSQL: coffer_test cannot log in over TCP or create a database"
log "checking MariaDB over TCP as coffer_test (create/drop ${probe_db})"
mariadb --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -ucoffer_test -pcoffer_test \
    -e "CREATE DATABASE ${probe_db}; DROP DATABASE ${probe_db};" >&2 \
    || die "MariaDB: coffer_test cannot log in over TCP on port ${MYSQL_PORT} or create a database"

exports="export COFFER_TEST_POSTGRES_URL=postgres://coffer_test:coffer_test@127.0.0.1:${PG_PORT}/postgres
export COFFER_TEST_MYSQL_URL=mysql://coffer_test:coffer_test@127.0.0.1:${MYSQL_PORT}"
printf '%s\n' "$exports" > "$ENV_FILE" || die "writing $ENV_FILE"
log "databases ready; exports written to ${ENV_FILE} (source it, or eval this script's stdout)"
printf '%s\n' "$exports"
