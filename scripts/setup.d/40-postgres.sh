# Sourced by ./test.sh: a PostgreSQL server for the store suites, in a temporary folder, for this run only.
# Installs Debian's postgresql when missing (as root with apt-get), starts a server of its own on a free loopback
# port (data, socket and log in a mktemp folder; fsync off: nothing here outlives the run), exports its URL as
# AUTOGPT_TEST_POSTGRES_URL and registers its stop with test.sh's on_exit. When it truly cannot run,
# AUTOGPT_POSTGRES_UNAVAILABLE says why and the PostgreSQL half of the store suites skips with it.
# shellcheck shell=bash

_postgres_bin() { find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -1 | xargs -r dirname; }

_as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

_postgres_setup() {
  if [ -z "$(_postgres_bin)" ]; then
    debian_install PostgreSQL postgresql || return 1
  fi
  local pgbin port
  pgbin="$(_postgres_bin)"
  [ -n "$pgbin" ] || { echo "postgresql is installed but no initdb was found under /usr/lib/postgresql"; return 1; }
  chmod 777 "$PG_TEST_DIR" # the server runs as the postgres user (initdb refuses root)
  port="$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  _as_postgres "$pgbin/initdb" -D "$PG_TEST_DIR/pg" -A trust -U postgres >"$PG_TEST_DIR/initdb.log" 2>&1 ||
    { echo "initdb failed: $(tail -3 "$PG_TEST_DIR/initdb.log" | tr '\n' ' ')"; return 1; }
  _as_postgres "$pgbin/pg_ctl" -D "$PG_TEST_DIR/pg" -l "$PG_TEST_DIR/pg.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_TEST_DIR -c fsync=off -c synchronous_commit=off" >/dev/null ||
    { echo "the PostgreSQL server did not start: $(tail -3 "$PG_TEST_DIR/pg.log" | tr '\n' ' ')"; return 1; }
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

_postgres_stop() {
  if [ -f "$PG_TEST_DIR/pg/postmaster.pid" ]; then
    _as_postgres "$(_postgres_bin)/pg_ctl" -D "$PG_TEST_DIR/pg" stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TEST_DIR"
}

PG_TEST_DIR="$(mktemp -d)"
on_exit+=(_postgres_stop)
if url="$(_postgres_setup)"; then
  unset AUTOGPT_POSTGRES_UNAVAILABLE
  export AUTOGPT_TEST_POSTGRES_URL="$url"
  echo "PostgreSQL up at $url (data in $PG_TEST_DIR)."
else
  export AUTOGPT_POSTGRES_UNAVAILABLE="PostgreSQL unavailable: $url"
  unset AUTOGPT_TEST_POSTGRES_URL
  echo "$AUTOGPT_POSTGRES_UNAVAILABLE (the PostgreSQL runs of the store suites will skip)"
fi
