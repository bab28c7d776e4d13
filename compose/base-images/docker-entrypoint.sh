#!/bin/bash
# Entrypoint of the local postgres stand-in image (compose/base-images/postgres.Dockerfile),
# written for this project from the official image's documented contract:
# - POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is required; POSTGRES_USER (default
#   postgres) is the superuser; POSTGRES_DB (default: POSTGRES_USER) is created;
#   POSTGRES_INITDB_ARGS are passed to initdb; POSTGRES_HOST_AUTH_METHOD (default
#   scram-sha-256) is the pg_hba method for network clients.
# - The cluster lives in PGDATA (default /var/lib/postgresql/data, the volume). It is created
#   only when PGDATA holds no cluster: a restarted container keeps its data and never re-runs
#   the init scripts.
# - On first start, /docker-entrypoint-initdb.d/ is run in name order against POSTGRES_DB as
#   POSTGRES_USER, on a server that listens on the Unix socket only: *.sh (executed when
#   executable, otherwise sourced), *.sql, *.sql.gz.
# - The server runs as the postgres user (started as root, the entrypoint fixes the folder's
#   owner and drops to postgres), listens on every address, and pg_isready works.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# VAR or VAR_FILE (a file holding the value, e.g. a Docker secret), never both.
from_env_or_file() {
  local var=$1 default=${2:-} file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    die "both $var and $file_var are set; set one"
  fi
  local value=$default
  if [ -n "${!var:-}" ]; then
    value=${!var}
  elif [ -n "${!file_var:-}" ]; then
    value=$(<"${!file_var}")
  fi
  export "$var=$value"
  unset "$file_var"
}

# The first argument may be a server option: `docker run image -c shared_buffers=1GB`.
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" != postgres ]; then exec "$@"; fi

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  chown -R postgres:postgres "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

first_start() {
  from_env_or_file POSTGRES_USER postgres
  from_env_or_file POSTGRES_PASSWORD
  from_env_or_file POSTGRES_DB "$POSTGRES_USER"
  from_env_or_file POSTGRES_INITDB_ARGS
  local method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$method" != trust ]; then
    die "POSTGRES_PASSWORD is not set: the superuser needs a password \
(or set POSTGRES_HOST_AUTH_METHOD=trust, which lets anyone on the network in)"
  fi

  log "initialising a new cluster in $PGDATA"
  local pwfile
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words by contract.
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host="$method" --encoding=UTF8 ${POSTGRES_INITDB_ARGS} -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  {
    echo
    echo "# Added by docker-entrypoint.sh: network clients authenticate with $method."
    echo "host all all all $method"
  } >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.auto.conf"

  # Unix socket only while the init scripts run: nobody can connect before they are done.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  local psql=(psql -X -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER")
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
  export PGUSER=$POSTGRES_USER PGDATABASE=$POSTGRES_DB
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
      *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" >/dev/null ;;
      *) log "ignoring $f" ;;
    esac
  done
  unset PGUSER PGDATABASE
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  log "initialisation done"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  first_start
else
  log "cluster found in $PGDATA; skipping initialisation"
fi
unset POSTGRES_PASSWORD
exec "$@"
