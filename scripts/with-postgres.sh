#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on a free loopback port.
# Installs Debian's PostgreSQL if it is missing; removes the cluster afterwards.
# The command sees OSSBSS_TEST_DATABASE_URL (and OSSBSS_TEST_PG_ADMIN_URL for creating databases).
set -euo pipefail

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(pg_bin)" ]; then
  echo "with-postgres: installing PostgreSQL" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN="$(pg_bin)"

DIR="$(mktemp -d /tmp/ossbss-pg.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" -eq 0 ]; then chown postgres "$DIR"; fi
cleanup() {
  as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

as_postgres "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
as_postgres "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres ossbss_test

export OSSBSS_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/ossbss_test"
export OSSBSS_TEST_PG_ADMIN_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
"$@"
