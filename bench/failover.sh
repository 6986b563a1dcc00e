#!/usr/bin/env bash
# Keyhold failover rehearsal, for an operator to watch: losing the database primary loses nothing.
#   1. a PostgreSQL 15 primary and its synchronous standby under pg_auto_failover on loopback
#      (deploy/failover/pg-cluster.sh), and the gateway in its own process given both nodes in one URL;
#   2. the simulator's flash sale against it, and FAILOVER_AFTER s into the sale `pg_autoctl perform failover`;
#      all sale long the operator's own write (a deposit top-up of one minor unit, sent again under its
#      Idempotency-Key until answered 200) every 100 ms;
#   3. the figures: the failover's duration, when the standby took writes, the time from the failover's start to
#      the first write the gateway acknowledged on the new primary, top-ups acknowledged and found on the new
#      primary, then the simulator's audit (`audit` command, after the run's own), its 500 and 503 answers and
#      retries by reason.
# PrimaryFailoverTest (gateway) checks the same in every build, with every acknowledged checkout, payment and
# delivery compared to what the new primary holds. Every step is bounded in time. Needs: JDK 17+, Debian's
# postgresql-15-auto-failover and pg-auto-failover-cli, psql, jq, curl; as root pg_autoctl runs as `postgres`.
# Exit code: 0 when both audits passed and no acknowledged top-up is missing, 1 otherwise, 3 when the rehearsal
# itself could not run.
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar), BENCH_PORT (18491), MONITOR_PORT,
# NODE1_PORT, NODE2_PORT (55441-55443), FAILOVER_AFTER (10 s of sale before the failover), SIM_ARGS (default
# "--buyers 800 --arrival-seconds 30": a flash sale that outlasts the failover, and that a 2-core machine running
# the three PostgreSQL servers too serves without a backlog), SIM_TIMEOUT_SECONDS (600),
# GATEWAY_JAVA_OPTS (the production options of docs/operations.md), SIMULATOR_JAVA_OPTS
# ("-XX:TieredStopAtLevel=1"), KEEP_WORK (1 keeps the work folder: report.json/html, gateway.log, the cluster).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
BENCH_PORT="${BENCH_PORT:-18491}"
export MONITOR_PORT="${MONITOR_PORT:-55441}" NODE1_PORT="${NODE1_PORT:-55442}" NODE2_PORT="${NODE2_PORT:-55443}"
FAILOVER_AFTER="${FAILOVER_AFTER:-10}"
SIM_ARGS="${SIM_ARGS:---buyers 800 --arrival-seconds 30}"
SIM_TIMEOUT_SECONDS="${SIM_TIMEOUT_SECONDS:-600}"
SIMULATOR_JAVA_OPTS="${SIMULATOR_JAVA_OPTS:--XX:TieredStopAtLevel=1}"
READY_TIMEOUT_SECONDS=120
SETUP_TIMEOUT_SECONDS=180
AUDIT_TIMEOUT_SECONDS=300
# How long the rehearsal waits for the standby to take writes.
FOLLOW_TIMEOUT_SECONDS=60
# Orders past a deadline by less than this are not overdue yet (as in bench/fault.sh): the failover's own pause.
SWEEPER_LAG_SECONDS=30
TOP_UP_INTERVAL_SECONDS=0.1
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
CLUSTER="$ROOT/deploy/failover/pg-cluster.sh"
ADMIN_TOKEN="failover-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GATEWAY_URL="http://127.0.0.1:$BENCH_PORT"

WORK="$(mktemp -d /tmp/keyhold-failover.XXXXXX)"
# Beside the work folder, not in it: as root the cluster runs as `postgres`, which cannot enter a 0700 folder of root.
CLUSTER_DIR="$WORK-cluster"
GATEWAY_PID=""
SIM_PID=""
PROBE_PID=""

now_ms() { date +%s%3N; }

cleanup() {
  if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID" 2>/dev/null || true
  fi
  touch "$WORK/top-ups.stop"
  if [[ -n "$PROBE_PID" ]]; then
    wait "$PROBE_PID" 2>/dev/null || true
  fi
  stop_gateway
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then
    timeout 120 bash "$CLUSTER" stop "$CLUSTER_DIR" || true
    rm -rf "$WORK"
  else
    echo "work folder kept: $WORK; the cluster in $CLUSTER_DIR still runs (stop it: bash $CLUSTER stop $CLUSTER_DIR)"
  fi
}
trap cleanup EXIT

need_tools failover.sh java psql pg_autoctl jq curl

node_sql() { psql -X -At -h 127.0.0.1 -p "$1" -U keyhold -d keyhold -c "$2"; }

# primary_port: the port of the node that takes writes now, asked of the nodes themselves; empty when none does.
primary_port() {
  local port
  for port in "$NODE1_PORT" "$NODE2_PORT"; do
    if [[ "$(node_sql "$port" 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]]; then
      echo "$port"
      return 0
    fi
  done
  return 0
}

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(java -version 2>&1 | head -1)"
ensure_jar "$JAR" "$ROOT"

log "pg_auto_failover: a monitor on $MONITOR_PORT, node1 on $NODE1_PORT (primary), node2 on $NODE2_PORT (standby)"
PG_URL="$(timeout 300 bash "$CLUSTER" start "$CLUSTER_DIR")" || { echo "the cluster did not start" >&2; exit 3; }
bash "$CLUSTER" state "$CLUSTER_DIR"

log "the gateway on both nodes ($PG_URL), port $BENCH_PORT, in its own process"
# shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS is a flag list on purpose
KEYHOLD_ADMIN_TOKEN="$ADMIN_TOKEN" java $GATEWAY_JAVA_OPTS -cp "$JAR" io.keyhold.gateway.GatewayMain \
  --port "$BENCH_PORT" --data-dir "$WORK/gateway-data" --no-demo --pg-url "$PG_URL" >>"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
until_ms=$(( $(now_ms) + READY_TIMEOUT_SECONDS * 1000 ))
until curl -fsS -o /dev/null --max-time 1 "$GATEWAY_URL/health/ready" 2>/dev/null; do
  if (( $(now_ms) > until_ms )) || ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
    echo "the gateway did not get ready; its log:" >&2
    tail -40 "$WORK/gateway.log" >&2
    exit 3
  fi
  sleep 0.1
done

admin_post() {
  curl -sS --max-time 10 -o "$WORK/answer.json" -w '%{http_code}' -X POST "$GATEWAY_URL$1" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' -H "Idempotency-Key: $2" -d "$3" \
    2>/dev/null || echo 000
}
[[ "$(admin_post /admin/v1/merchants "probe-$RANDOM$RANDOM" '{"name":"Failover probe","fee_basis_points":0}')" == 201 ]] \
  || { echo "creating the probe merchant failed: $(cat "$WORK/answer.json")" >&2; exit 3; }
PROBE_MERCHANT="$(jq -r .id "$WORK/answer.json")"

log "the load: simulator profile flash-sale ($SIM_ARGS)"
: >"$WORK/run.log"
# shellcheck disable=SC2086  # SIMULATOR_JAVA_OPTS and SIM_ARGS are flag lists on purpose
timeout "$SIM_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" run --profile flash-sale \
  --gateway "$GATEWAY_URL" --admin-token "$ADMIN_TOKEN" --out "$WORK/run" --progress plain \
  --sweeper-lag-seconds "$SWEEPER_LAG_SECONDS" $SIM_ARGS \
  >"$WORK/run.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 "$SETUP_TIMEOUT_SECONDS"); do
  grep -q '^Running flash-sale' "$WORK/run.log" && break
  kill -0 "$SIM_PID" 2>/dev/null || break
  sleep 1
done
grep -q '^Running flash-sale' "$WORK/run.log" || { echo "the simulator did not start its sale:" >&2; tail -30 "$WORK/run.log" >&2; exit 3; }

# The operator's top-ups, all sale long, in the background: one line per answer, "sent_ms answered_ms status".
: >"$WORK/top-ups.txt"
(
  key="top-up-$(now_ms)"
  acked=0
  while [[ ! -f "$WORK/top-ups.stop" ]]; do
    sent=$(now_ms)
    status="$(admin_post "/admin/v1/merchants/$PROBE_MERCHANT/deposit/top-ups" "$key" '{"amount":1,"currency":"CNY"}')"
    echo "$sent $(now_ms) $status" >>"$WORK/top-ups.txt"
    if [[ "$status" == 200 ]]; then
      acked=$((acked + 1))
      key="top-up-$(now_ms)-$acked"
    fi
    sleep "$TOP_UP_INTERVAL_SECONDS"
  done
) &
PROBE_PID=$!

sleep "$FAILOVER_AFTER"
BEFORE_PORT="$(primary_port)"
log "failover: the primary on $BEFORE_PORT is failed over, $FAILOVER_AFTER s into the sale"
T0=$(now_ms)
bash "$CLUSTER" failover "$CLUSTER_DIR" >"$WORK/failover.out" 2>&1 &
FAILOVER_PID=$!
PROMOTED_AT=""
until_ms=$(( T0 + FOLLOW_TIMEOUT_SECONDS * 1000 ))
while [[ -z "$PROMOTED_AT" ]] && (( $(now_ms) < until_ms )); do
  now_primary="$(primary_port)"
  if [[ -n "$now_primary" && "$now_primary" != "$BEFORE_PORT" ]]; then
    PROMOTED_AT=$(now_ms)
  fi
  sleep 0.02
done
wait "$FAILOVER_PID" || { echo "the failover did not complete:" >&2; cat "$WORK/failover.out" >&2; exit 3; }
FAILOVER_MS=$(( $(now_ms) - T0 ))
cat "$WORK/failover.out"
bash "$CLUSTER" state "$CLUSTER_DIR"
[[ -n "$PROMOTED_AT" ]] || { echo "no new primary within $FOLLOW_TIMEOUT_SECONDS s" >&2; exit 3; }

log "failover done; waiting for the sale to finish (at most $SIM_TIMEOUT_SECONDS s from its start)"
SIM_EXIT=0
wait "$SIM_PID" || SIM_EXIT=$?
SIM_PID=""
touch "$WORK/top-ups.stop"
wait "$PROBE_PID" || true
# The first top-up sent once the new primary took writes and answered 200: the gateway followed by then.
FOLLOWED_AT="$(awk -v p="$PROMOTED_AT" '$1 >= p && $3 == 200 { print $2; exit }' "$WORK/top-ups.txt")"
ACKED="$(awk '$3 == 200' "$WORK/top-ups.txt" | wc -l)"
UNAVAILABLE="$(awk '$3 == 503' "$WORK/top-ups.txt" | wc -l)"
sed -n '/^Keyhold simulator:/,$p' "$WORK/run.log" | grep -v '^Report:' || tail -30 "$WORK/run.log"
REPORT="$WORK/run/report.json"
[[ -f "$REPORT" ]] || { echo "the simulator wrote no report (exit $SIM_EXIT):" >&2; tail -30 "$WORK/run.log" >&2; exit 3; }

log "the simulator's audit of the gateway, after the run"
AUDIT_EXIT=0
# shellcheck disable=SC2086
timeout "$AUDIT_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" audit --gateway "$GATEWAY_URL" \
  --admin-token "$ADMIN_TOKEN" --sweeper-lag-seconds "$SWEEPER_LAG_SECONDS" >"$WORK/audit.txt" 2>&1 || AUDIT_EXIT=$?
cat "$WORK/audit.txt"

NEW_PRIMARY="$(primary_port)"
HELD="$(node_sql "$NEW_PRIMARY" "SELECT coalesce(sum(balance_minor), 0) FROM merchant_deposits
  WHERE merchant_id = '$PROBE_MERCHANT'")"
LOST=$(( ACKED > HELD ? ACKED - HELD : 0 ))

log "result"
printf 'failover (pg_autoctl perform failover until the new primary serves): %d ms\n' "$FAILOVER_MS"
printf 'new primary (port %s) took writes: %d ms after the failover started\n' "$NEW_PRIMARY" $((PROMOTED_AT - T0))
printf 'time to follow the new primary (first write acknowledged there): %s ms\n' \
  "$([[ -n "$FOLLOWED_AT" ]] && echo $((FOLLOWED_AT - T0)) || echo "never")"
printf 'top-ups acknowledged: %d (503: %d); on the new primary: %d; acknowledged writes lost: %d\n' \
  "$ACKED" "$UNAVAILABLE" "$HELD" "$LOST"
print_audit_and_answers "$REPORT" "$AUDIT_EXIT"
printf 'outcomes: %s\n' "$(jq -c '.outcomes | with_entries(select(.value > 0))' "$REPORT")"
printf 'gateway log: %d line(s) at ERROR\n' "$(grep -c ' ERROR ' "$WORK/gateway.log" || true)"

if [[ "$(jq -r '.audit.ok' "$REPORT")" != true || "$AUDIT_EXIT" != 0 || "$LOST" != 0 || -z "$FOLLOWED_AT" ]]; then
  exit 1
fi
exit 0
