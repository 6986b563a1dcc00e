#!/usr/bin/env bash
# What the benches under bench/ share: the system PostgreSQL 15 they run on, the benchmark role, the simulator jar
# and the log line. Sourced, never run; the sourcing script sets `set -euo pipefail` and its own knobs first.

PG_HOST=127.0.0.1
PG_PORT=5432
ROLE=keyhold_bench
# A local, throw-away role on a loopback-only database; not a secret worth protecting.
ROLE_PASSWORD=keyhold_bench
# Set to 1 by start_system_postgres when this bench started the cluster (its cleanup stops it again).
STARTED_POSTGRES=0

log() { printf '\n== %s\n' "$*"; }

# need_tools NAME TOOL...: exits 3 naming the first tool missing from the PATH.
need_tools() {
  local name="$1"
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name needs $tool on the PATH" >&2; exit 3; }
  done
}

# ensure_jar JAR ROOT: builds the simulator jar (it holds the gateway too) when it is missing.
ensure_jar() {
  if [[ ! -f "$1" ]]; then
    log "building the simulator jar (not found at $1)"
    (cd "$2" && timeout 900 mvn -B -q -DskipTests -pl simulator -am package)
  fi
}

# start_system_postgres: the system cluster up and answering (started here if it was down).
start_system_postgres() {
  log "system PostgreSQL 15"
  if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    pg_ctlcluster 15 main start
    STARTED_POSTGRES=1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  pg_isready -h "$PG_HOST" -p "$PG_PORT"
}
