#!/usr/bin/env bash
# What the benches under bench/ share: the system PostgreSQL 15 they run on, the benchmark role, the simulator jar
# and the log line. Sourced, never run; the sourcing script sets `set -euo pipefail` and its own knobs first.

# The gateway's JVM options docs/operations.md recommends for production ("Running"): every bench runs the gateway
# with them unless GATEWAY_JAVA_OPTS says otherwise.
GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:--Xms128m -Xmx128m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m -XX:+ExitOnOutOfMemoryError}"

PG_HOST=127.0.0.1
PG_PORT=5432
ROLE=keyhold_bench
# A local, throw-away role on a loopback-only database; not a secret worth protecting.
ROLE_PASSWORD=keyhold_bench
# Set to 1 by start_system_postgres when this bench started the cluster (its cleanup stops it again).
STARTED_POSTGRES=0

log() { printf '\n== %s\n' "$*"; }

# process_ticks PID: the process's CPU so far (user + system), in clock ticks; 0 once it is gone.
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

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

# run_embedded_gateway NAME JAR PORT: a work folder (/tmp/keyhold-NAME.*), an admin token, and the gateway in its own
# process on its embedded PostgreSQL in that folder, with GATEWAY_JAVA_OPTS and its log in WORK/gateway.log; both go
# at exit. Sets WORK, ADMIN_TOKEN and GATEWAY_PID; returns once the gateway answers ready, or exits 3 with the
# log's tail.
EMBEDDED_READY_TIMEOUT_SECONDS=180
# The gateway log's warnings and errors printed when a bench on it fails.
FAILED_LOG_LINES=40
run_embedded_gateway() {
  local jar=$2 port=$3
  WORK="$(mktemp -d "/tmp/keyhold-$1.XXXXXX")"
  ADMIN_TOKEN="bench-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  GATEWAY_PID=""
  trap stop_embedded_gateway EXIT
  log "machine: $(nproc) cores; $(java -version 2>&1 | head -1)"
  log "the gateway on its embedded PostgreSQL, in its own process; JVM options: $GATEWAY_JAVA_OPTS"
  # shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS is a flag list on purpose
  KEYHOLD_ADMIN_TOKEN="$ADMIN_TOKEN" java $GATEWAY_JAVA_OPTS -cp "$jar" io.keyhold.gateway.GatewayMain \
    --port "$port" --data-dir "$WORK/gateway-data" --no-demo >"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  for _ in $(seq 1 "$EMBEDDED_READY_TIMEOUT_SECONDS"); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$GATEWAY_PID" 2>/dev/null || break
    sleep 1
  done
  tail -30 "$WORK/gateway.log" >&2
  exit 3
}

stop_embedded_gateway() {
  local status=$?
  # A bench that failed prints what the gateway warned of: its work folder, log included, goes next.
  if [[ "$status" != 0 && -f "$WORK/gateway.log" ]]; then
    echo "the bench failed (exit $status); the gateway's last warnings and errors:" >&2
    grep -E ' (WARN|ERROR) ' "$WORK/gateway.log" | tail -"$FAILED_LOG_LINES" >&2 || true
  fi
  if [[ -n "$GATEWAY_PID" ]]; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

# Seconds a gateway has to stop on SIGTERM (its flight recording and perf map are written as it exits) before SIGKILL.
GATEWAY_STOP_SECONDS=30
# stop_gateway: the gateway of GATEWAY_PID stopped, if it still runs.
stop_gateway() {
  if [[ -n "$GATEWAY_PID" ]] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 "$GATEWAY_STOP_SECONDS"); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$GATEWAY_PID" 2>/dev/null || true
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

# The simulator report's audit, the audit command's exit code, the answers the simulator saw and its retries.
print_audit_and_answers() {
  local report=$1 audit_exit=$2
  printf 'run audit (books + gateway): %s\n' "$(jq -r 'if .audit.ok then "passed" else "FAILED: " + ([.audit.violations[] | "\(.code) (\(.order_count) orders)"] | join(", ")) end' "$report")"
  printf 'audit command after the run: %s\n' "$(if [[ "$audit_exit" == 0 ]]; then echo passed; else echo "FAILED (exit $audit_exit)"; fi)"
  printf 'answers 500 seen by the simulator: %s (503: %s, no answer: %s)\n' \
    "$(jq '[.gateway_answers | to_entries[] | select(.key | endswith(" 500")) | .value] | add // 0' "$report")" \
    "$(jq '[.gateway_answers | to_entries[] | select(.key | endswith(" 503")) | .value] | add // 0' "$report")" \
    "$(jq '[.gateway_answers | to_entries[] | select(.key | endswith(" 0")) | .value] | add // 0' "$report")"
  printf 'retries by reason: %s\n' "$(jq -c '.retries_by_reason' "$report")"
}
