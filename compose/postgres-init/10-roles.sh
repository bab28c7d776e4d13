#!/bin/bash
# First start of the postgres service only (an init script of /docker-entrypoint-initdb.d/):
# the two least-privilege roles the bot and the agent connect as. Passwords are read from the
# environment by psql's \getenv, so they never appear on a command line.
#   BOT_DB_USER  owns the booking database, hence its public schema (PostgreSQL 15:
#                pg_database_owner); runs the migrations; not a superuser.
#   OPS_DB_USER  reads every table (pg_read_all_data: what pg_dump needs), may create
#                databases (its own scratch databases for restore --verify, which it owns and
#                drops); cannot write to the booking database.
set -euo pipefail
: "${BOT_DB_USER:?BOT_DB_USER is required}" "${BOT_DB_PASSWORD:?BOT_DB_PASSWORD is required}"
: "${OPS_DB_USER:?OPS_DB_USER is required}" "${OPS_DB_PASSWORD:?OPS_DB_PASSWORD is required}"
psql -X -v ON_ERROR_STOP=1 --no-password --dbname postgres <<'SQL'
\getenv db POSTGRES_DB
\getenv bot_user BOT_DB_USER
\getenv bot_pw BOT_DB_PASSWORD
\getenv ops_user OPS_DB_USER
\getenv ops_pw OPS_DB_PASSWORD
CREATE ROLE :"bot_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'bot_pw';
CREATE ROLE :"ops_user" LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD :'ops_pw';
ALTER DATABASE :"db" OWNER TO :"bot_user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"ops_user";
GRANT pg_read_all_data TO :"ops_user";
SQL
echo "10-roles.sh: created roles $BOT_DB_USER (owner of $POSTGRES_DB) and $OPS_DB_USER (backups, drills)"
