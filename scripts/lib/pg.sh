# shellcheck shell=bash
# A throwaway PostgreSQL cluster for scripts/dev-up, bench/run and
# scripts/rehearse-backup-restore: thin wrappers over `pg-throwaway` (shared/src/bin/), the same
# implementation the tests use (shared/src/testing/cluster.rs). Source this file (it builds
# pg-throwaway when needed and sets PGBIN, the server binaries' folder), then:
#   pg_throwaway_start <folder> [extra name=value settings...]   # sets PGBIN PG_PORT PG_SUPERPASS PG_DIR
#   pg_url <db>                                                  # postgres://postgres:…@127.0.0.1:port/db
#   pg_psql <db> [psql args...]
#   pg_throwaway_stop
# The cluster keeps PostgreSQL's durable defaults plus the settings given; as root, server
# commands run as the postgres user. A watchdog stops it and removes <folder> once the script
# that started it ($$) exits, however it exits; pg_throwaway_stop does it right away.

PG_LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_THROWAWAY="$PG_LIB_ROOT/target/debug/pg-throwaway"
# Always through cargo (a no-op when up to date): a binary left from an older tree is rebuilt.
(cd "$PG_LIB_ROOT" && cargo build -q --locked -p shared --features testing --bin pg-throwaway) >&2 \
  || { echo "pg.sh: could not build pg-throwaway" >&2; return 1 2>/dev/null || exit 1; }
PGBIN=$("$PG_THROWAWAY" bindir 2>/dev/null || true)
export PGBIN
PG_DIR=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pg_throwaway_start() {
  local dir=$1 out s; shift
  local args=(start "$dir" --watch "$$")
  for s in "$@"; do args+=(-c "$s"); done
  out=$("$PG_THROWAWAY" "${args[@]}") || return 1
  eval "$out"
  export PGBIN PG_PORT PG_SUPERPASS PG_DIR
}

pg_url() { printf 'postgres://postgres:%s@127.0.0.1:%s/%s' "$PG_SUPERPASS" "$PG_PORT" "$1"; }

# Runs psql against database $1 with the password in the environment, never on argv.
pg_psql() { local db=$1; shift; PGPASSWORD="$PG_SUPERPASS" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"; }

pg_throwaway_stop() {
  [ -n "$PG_DIR" ] || return 0
  "$PG_THROWAWAY" stop "$PG_DIR" || true
  PG_DIR=""
}
