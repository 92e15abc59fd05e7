#!/usr/bin/env bash
# A throwaway PostgreSQL server for the crmcore-postgres tests.
#
#   eval "$(bash .ci/postgres.sh start)"   # prints the exports below, on stdout only
#   bash .ci/postgres.sh stop              # stops the server of $CRMCORE_POSTGRES_DIR, removes it
#
# `start` installs PostgreSQL from the operating system's packages when no server binaries
# are found (Debian: apt-get, as root), creates a cluster in a new temporary directory owned
# by the `postgres` user (initdb refuses to run as root), starts it on a Unix socket in that
# directory and on a free local port, waits until it accepts connections and prints
#   export CRMCORE_POSTGRES_DSN='host=<dir> port=<port> user=postgres dbname=postgres'
#   export CRMCORE_POSTGRES_DIR='<dir>'
# Started again with CRMCORE_POSTGRES_DIR naming a running server, it only prints them again.
# The cluster trades durability for speed (fsync off): it is for tests, never for data.
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

find_bin() {
  # The bin directory of the newest installed server (Debian keeps each major version apart,
  # /usr/lib/postgresql/<major>/bin); an initdb on PATH (maybe a symlink) points to one too.
  {
    local dir
    if command -v initdb >/dev/null 2>&1; then
      dirname "$(readlink -f "$(command -v initdb)")"
    fi
    for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin; do
      printf '%s\n' "$dir"
    done
  } | while read -r dir; do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/pg_isready" ]]; then
      printf '%s\n' "$dir"
    fi
  done | sort -V -u | tail -n 1
}

as_owner() {
  # Run a server command as the cluster's owner: `postgres` when we are root, else ourselves.
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install_server() {
  if [[ "$(id -u)" != 0 ]]; then
    log "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
    exit 1
  fi
  log "installing PostgreSQL from the Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

print_exports() {
  local dir="$1" port
  port="$(cat "$dir/port")"
  printf "export CRMCORE_POSTGRES_DSN='host=%s port=%s user=postgres dbname=postgres'\n" "$dir" "$port"
  printf "export CRMCORE_POSTGRES_DIR='%s'\n" "$dir"
}

start() {
  local bin
  bin="$(find_bin)"
  if [[ -z "$bin" ]]; then
    install_server
    bin="$(find_bin)"
    [[ -n "$bin" ]] || { log "no initdb found after installing PostgreSQL"; exit 1; }
  fi
  local existing="${CRMCORE_POSTGRES_DIR:-}"
  if [[ -n "$existing" && -f "$existing/port" ]] \
    && as_owner "$bin/pg_ctl" status -D "$existing/data" >/dev/null 2>&1; then
    print_exports "$existing"  # already running: idempotent
    return
  fi
  # Globals, not locals: the EXIT trap below may run after `set -e` ended the script inside
  # this function. A start that fails anywhere leaves no server nor directory behind.
  pg_bin="$bin"
  pg_dir="$(mktemp -d /tmp/crmcore-postgres.XXXXXX)"
  pg_started=0
  trap 'if [[ "$pg_started" != 1 ]]; then as_owner "$pg_bin/pg_ctl" stop -D "$pg_dir/data" -m immediate -s -w >/dev/null 2>&1 || true; rm -rf -- "$pg_dir"; fi' EXIT
  local dir="$pg_dir" port attempt
  chmod 755 "$dir"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" --shell /bin/sh postgres
    chown postgres: "$dir"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
    --no-sync >/dev/null
  # The free port may be taken by someone else before the server binds it: try a few.
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 -s -o \
      "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      >&2; then
      break
    fi
    if ((attempt == 5)); then
      log "the server did not start; its log:"
      cat "$dir/server.log" >&2
      exit 1
    fi
    log "the server did not start on port $port (attempt $attempt), trying another port"
  done
  local tries=0
  until "$bin/pg_isready" -q -h "$dir" -p "$port"; do
    tries=$((tries + 1))
    if ((tries > 100)); then
      log "the server did not become ready; its log:"
      cat "$dir/server.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  printf '%s\n' "$port" >"$dir/port"
  pg_started=1
  print_exports "$dir"
}

stop() {
  local dir="${CRMCORE_POSTGRES_DIR:-}"
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    return 0  # nothing started (or stopped already): idempotent
  fi
  local bin
  bin="$(find_bin)"
  if [[ -n "$bin" && -d "$dir/data" ]]; then
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate -s -w >/dev/null 2>&1 || true
  fi
  case "$dir" in
    /tmp/crmcore-postgres.*) rm -rf -- "$dir" ;;
    *) log "not removing $dir (not a directory this script made)" ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
