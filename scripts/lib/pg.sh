# shellcheck shell=bash
# A throwaway PostgreSQL cluster from the system's server binaries, for scripts/dev-up,
# bench/run and scripts/rehearse-backup-restore. Source this file, then:
#   pg_throwaway_start <folder> [extra -c settings...]   # exports PGBIN PG_PORT PG_SUPERPASS
#   pg_url <db>                                          # postgres://postgres:…@127.0.0.1:port/db
#   pg_throwaway_stop
# PostgreSQL refuses to run as root: as root, server commands run as the postgres user.

PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
export PGBIN
PG_DIR=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_throwaway_start() {
  PG_DIR=$1; shift
  rm -rf "$PG_DIR"; mkdir -p "$PG_DIR"
  PG_PORT=$(free_port)
  PG_SUPERPASS=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  export PG_PORT PG_SUPERPASS
  ( umask 077; printf '%s' "$PG_SUPERPASS" > "$PG_DIR/pwfile" )
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$PG_DIR"
    # postgres must be able to reach its folder.
    local d=$PG_DIR
    while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
  fi
  as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=scram-sha-256 \
    --pwfile="$PG_DIR/pwfile" --no-locale -E UTF8 >/dev/null
  local opts="-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR"
  for s in "$@"; do opts="$opts -c $s"; done
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o "$opts" start >/dev/null
}

pg_url() { printf 'postgres://postgres:%s@127.0.0.1:%s/%s' "$PG_SUPERPASS" "$PG_PORT" "$1"; }

# Runs psql against database $1 with the password in the environment, never on argv.
pg_psql() { local db=$1; shift; PGPASSWORD="$PG_SUPERPASS" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"; }

pg_throwaway_stop() {
  [ -n "$PG_DIR" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
