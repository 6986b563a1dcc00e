#!/usr/bin/env bash
# Keyhold fault bench (crashes and database outages), in one run:
#   1. the gateway in its own process on the system PostgreSQL 15 (as bench/flash-sale.sh starts them);
#   2. the simulator's `fault` profile against it (a flash-sale crowd spread over the faults' time: 2,000
#      buyers for 300 keys, SKU deadlines at the API's lower bounds), and meanwhile:
#      KILLS x `kill -9` of the gateway, started again RESTART_DELAY s later, then PG_RESTARTS x a restart of
#      PostgreSQL, each fault FAULT_INTERVAL s after the system answered /health/ready again;
#   3. per kill the time from the kill to /health/ready answering 200 (and min/median/max), the same for each
#      database restart; at the end the simulator's audit (`audit` command, after the run's own), the 500
#      answers the simulator saw, its retries by reason, refused_payment_taken orders, orders refunded per
#      reason, and stranded keys (stock keys delivered to orders refunded before any reveal, never returned
#      to the shop's stock).
# Every step is bounded in time. Needs: JDK 17+, the system PostgreSQL 15 (pg_ctlcluster), jq, curl, and root
# (or sudo-less su) for the database role. Exit code: 0 when both audits passed, 1 when one failed, 3 when the
# bench itself could not run.
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar), BENCH_PORT (18490), KILLS (10),
# RESTART_DELAY (2 s), PG_RESTARTS (3), PG_DOWN_SECONDS (0: `pg_ctlcluster 15 main restart`; N: stop, N s
# down, start), FAULT_INTERVAL (6 s of load between a recovered system and the next fault),
# ARRIVAL_SECONDS (default: long enough to span every fault), SIM_ARGS (extra simulator flags, e.g.
# "--stock 2000"), SIM_TIMEOUT_SECONDS (arrival + 600), GATEWAY_JAVA_OPTS (the production options of
# docs/operations.md), GATEWAY_ARGS, SIMULATOR_JAVA_OPTS ("-XX:TieredStopAtLevel=1"), KEEP_WORK (1 keeps the
# work folder: report.json/html, gateway.log), FORCE_PG_RESTART (1 restarts PostgreSQL even when other
# databases have clients: by default such a restart is skipped, since it would break someone else's bench).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
BENCH_PORT="${BENCH_PORT:-18490}"
KILLS="${KILLS:-10}"
RESTART_DELAY="${RESTART_DELAY:-2}"
PG_RESTARTS="${PG_RESTARTS:-3}"
PG_DOWN_SECONDS="${PG_DOWN_SECONDS:-0}"
FAULT_INTERVAL="${FAULT_INTERVAL:-6}"
# What one fault is expected to take beyond its own sleeps (a JVM start, a database recovery), used only to
# size the load's arrival window so buyers keep coming until the last fault.
FAULT_SLACK_SECONDS=8
ARRIVAL_SECONDS="${ARRIVAL_SECONDS:-$((KILLS * (FAULT_INTERVAL + RESTART_DELAY + FAULT_SLACK_SECONDS)
  + PG_RESTARTS * (FAULT_INTERVAL + PG_DOWN_SECONDS + FAULT_SLACK_SECONDS) + 10))}"
SIM_ARGS="${SIM_ARGS:-}"
SIM_TIMEOUT_SECONDS="${SIM_TIMEOUT_SECONDS:-$((ARRIVAL_SECONDS + 600))}"
GATEWAY_ARGS="${GATEWAY_ARGS:-}"
SIMULATOR_JAVA_OPTS="${SIMULATOR_JAVA_OPTS:--XX:TieredStopAtLevel=1}"
# Longest wait for /health/ready after a start or a database restart; past it the bench stops (exit 3).
READY_TIMEOUT_SECONDS=120
# Longest wait for the simulator to finish setting up its shops before the first fault.
SETUP_TIMEOUT_SECONDS=180
AUDIT_TIMEOUT_SECONDS=300
# Orders past a deadline by less than this are not overdue yet (the fault profile's own sweeper lag).
SWEEPER_LAG_SECONDS=30
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# This bench's own database, created and dropped by it; never another one.
GW_DB=keyhold_fault_gateway
ADMIN_TOKEN="fault-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GATEWAY_URL="http://127.0.0.1:$BENCH_PORT"

WORK="$(mktemp -d /tmp/keyhold-fault.XXXXXX)"
GATEWAY_PID=""
SIM_PID=""
CREATED_DB=0

now_ms() { date +%s%3N; }

# Client connections to databases other than this bench's: someone else's work on the shared cluster.
other_clients() {
  su postgres -c "psql -At -c \"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
    AND datname IS DISTINCT FROM '$GW_DB' AND pid <> pg_backend_pid()\"" 2>/dev/null || echo 0
}

cleanup() {
  if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID" 2>/dev/null || true
  fi
  stop_gateway
  if [[ "$CREATED_DB" == 1 ]]; then
    su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS $GW_DB WITH (FORCE)'" >/dev/null 2>&1 || true
  fi
  if [[ "$STARTED_POSTGRES" == 1 ]]; then
    if [[ "$(other_clients)" == 0 ]]; then
      pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
    else
      echo "PostgreSQL left running: this bench started it, but other databases have clients now" >&2
    fi
  fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "work folder kept: $WORK"
  fi
}
trap cleanup EXIT

need_tools fault.sh java psql pg_isready pg_ctlcluster jq curl

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(java -version 2>&1 | head -1)"
log "plan: $KILLS gateway kill(s) (restart after $RESTART_DELAY s), $PG_RESTARTS PostgreSQL restart(s)" \
  "(down $PG_DOWN_SECONDS s), one every $FAULT_INTERVAL s of recovered load; buyers arrive over $ARRIVAL_SECONDS s"

ensure_jar "$JAR" "$ROOT"
start_system_postgres
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE_PASSWORD';
  END IF;
END \$\$;
DROP DATABASE IF EXISTS $GW_DB;
CREATE DATABASE $GW_DB OWNER $ROLE;
SQL
CREATED_DB=1
export PGPASSWORD="$ROLE_PASSWORD"
gw_sql() { psql -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$ROLE" -d "$GW_DB" "$@"; }

start_gateway() {
  # shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS and GATEWAY_ARGS are flag lists on purpose
  KEYHOLD_ADMIN_TOKEN="$ADMIN_TOKEN" java $GATEWAY_JAVA_OPTS -cp "$JAR" io.keyhold.gateway.GatewayMain \
    --port "$BENCH_PORT" --data-dir "$WORK/gateway-data" --no-demo \
    --pg-url "postgresql://$ROLE:$ROLE_PASSWORD@$PG_HOST:$PG_PORT/$GW_DB" $GATEWAY_ARGS >>"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
}

# wait_ready: until /health/ready answers 200 (the gateway up and its database reachable); fails after
# READY_TIMEOUT_SECONDS or when the gateway process died.
wait_ready() {
  local until_ms=$(( $(now_ms) + READY_TIMEOUT_SECONDS * 1000 ))
  while (( $(now_ms) < until_ms )); do
    if curl -fsS -o /dev/null --max-time 1 "$GATEWAY_URL/health/ready" 2>/dev/null; then return 0; fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

not_ready() {
  echo "the gateway did not answer /health/ready 200 within $READY_TIMEOUT_SECONDS s ($1); its log:" >&2
  tail -40 "$WORK/gateway.log" >&2
  exit 3
}

log "the gateway on $GW_DB, port $BENCH_PORT, in its own process"
start_gateway
wait_ready || not_ready "first start"

log "the load: simulator profile fault ${SIM_ARGS:+($SIM_ARGS)}"
: >"$WORK/run.log"
# shellcheck disable=SC2086  # SIMULATOR_JAVA_OPTS and SIM_ARGS are flag lists on purpose
timeout "$SIM_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" run --profile fault \
  --gateway "$GATEWAY_URL" --admin-token "$ADMIN_TOKEN" --out "$WORK/run" --progress plain \
  --arrival-seconds "$ARRIVAL_SECONDS" $SIM_ARGS >"$WORK/run.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 "$SETUP_TIMEOUT_SECONDS"); do
  grep -q '^Running fault' "$WORK/run.log" && break
  kill -0 "$SIM_PID" 2>/dev/null || break
  sleep 1
done
if ! grep -q '^Running fault' "$WORK/run.log"; then
  echo "the simulator did not get through its shop setup; its log:" >&2
  tail -30 "$WORK/run.log" >&2
  exit 3
fi

load_running() { kill -0 "$SIM_PID" 2>/dev/null; }

KILL_MS=()
for i in $(seq 1 "$KILLS"); do
  sleep "$FAULT_INTERVAL"
  if ! load_running; then
    echo "the load ended before kill $i; no more kills"
    break
  fi
  t0=$(now_ms)
  kill -9 "$GATEWAY_PID"
  wait "$GATEWAY_PID" 2>/dev/null || true
  sleep "$RESTART_DELAY"
  start_gateway
  wait_ready || not_ready "after kill $i"
  KILL_MS+=($(( $(now_ms) - t0 )))
  printf 'kill %d/%d: kill -9 -> /health/ready 200 in %d ms\n' "$i" "$KILLS" "${KILL_MS[-1]}"
done

PG_MS=()
PG_SKIPPED=0
for i in $(seq 1 "$PG_RESTARTS"); do
  sleep "$FAULT_INTERVAL"
  if ! load_running; then
    echo "the load ended before database restart $i; no more restarts"
    break
  fi
  others="$(other_clients)"
  if [[ "$others" != 0 && "${FORCE_PG_RESTART:-0}" != 1 ]]; then
    echo "database restart $i skipped: $others client connection(s) to other databases (FORCE_PG_RESTART=1 overrides)"
    PG_SKIPPED=$((PG_SKIPPED + 1))
    continue
  fi
  t0=$(now_ms)
  if [[ "$PG_DOWN_SECONDS" -gt 0 ]]; then
    timeout 120 pg_ctlcluster 15 main stop -m fast
    sleep "$PG_DOWN_SECONDS"
    timeout 120 pg_ctlcluster 15 main start
  else
    timeout 120 pg_ctlcluster 15 main restart -m fast
  fi
  wait_ready || not_ready "after database restart $i"
  PG_MS+=($(( $(now_ms) - t0 )))
  printf 'database restart %d/%d: restart -> gateway /health/ready 200 in %d ms\n' "$i" "$PG_RESTARTS" "${PG_MS[-1]}"
done

log "faults done; waiting for the load to finish (at most $SIM_TIMEOUT_SECONDS s from its start)"
SIM_EXIT=0
wait "$SIM_PID" || SIM_EXIT=$?
SIM_PID=""
sed -n '/^Keyhold simulator:/,$p' "$WORK/run.log" | grep -v '^Report:' || tail -30 "$WORK/run.log"
REPORT="$WORK/run/report.json"
if [[ ! -f "$REPORT" ]]; then
  echo "the simulator wrote no report (exit $SIM_EXIT); its log:" >&2
  tail -30 "$WORK/run.log" >&2
  exit 3
fi

log "the simulator's audit of the gateway, after the run"
AUDIT_EXIT=0
timeout "$AUDIT_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" audit --gateway "$GATEWAY_URL" \
  --admin-token "$ADMIN_TOKEN" --sweeper-lag-seconds "$SWEEPER_LAG_SECONDS" >"$WORK/audit.txt" 2>&1 || AUDIT_EXIT=$?
cat "$WORK/audit.txt"

# stats MS...: min, median and max of the numbers given.
stats() {
  if [[ $# == 0 ]]; then echo "none"; return; fi
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
    printf "min %d ms, median %d ms, max %d ms (%d measured)", v[1], m, v[NR], NR }'
}

log "result"
printf 'kill -9 -> ready:            %s\n' "$(stats "${KILL_MS[@]}")"
printf '  per kill (ms):             %s\n' "${KILL_MS[*]:-none}"
printf 'database restart -> ready:   %s%s\n' "$(stats "${PG_MS[@]}")" \
  "$([[ "$PG_SKIPPED" -gt 0 ]] && echo "; $PG_SKIPPED skipped (other clients)")"
print_audit_and_answers "$REPORT" "$AUDIT_EXIT"
printf 'refused_payment_taken: %s order(s)\n' \
  "$(jq '[.audit.violations[] | select(.code == "refused_payment_taken") | .order_count] | add // 0' "$REPORT")"
printf 'outcomes: %s\n' "$(jq -c '.outcomes | with_entries(select(.value > 0))' "$REPORT")"
printf 'orders by state (gateway): %s\n' "$(gw_sql -At -c "SELECT string_agg(state || ' ' || n, ', ' ORDER BY state)
  FROM (SELECT state, count(*) AS n FROM orders GROUP BY state) s")"
printf '\norders refunded per reason (refunds carried out through the provider):\n'
gw_sql -c "SELECT reason, count(DISTINCT order_id) AS orders, count(*) AS refunds, sum(amount_minor) AS minor
  FROM refunds GROUP BY reason ORDER BY reason"
# A stock key delivered to an order that was refunded before the buyer ever revealed it: still 'delivered'
# in stock_keys, so the shop can never sell it again although nobody saw it.
STRANDED="$(gw_sql -At -c "SELECT count(*) FROM stock_keys k
  JOIN stock_deliveries d ON d.merchant_id = k.merchant_id AND d.stock_key_id = k.id
  JOIN orders o ON o.merchant_id = d.merchant_id AND o.id = d.order_ref
  WHERE k.state = 'delivered' AND o.state IN ('refunded', 'partially_refunded')
    AND o.data->>'revealed_at' IS NULL")"
printf 'keys stranded (delivered to orders refunded before any reveal, not back in stock): %s\n' "$STRANDED"
printf 'stock keys by state: %s\n' "$(gw_sql -At -c "SELECT string_agg(state || ' ' || n, ', ' ORDER BY state)
  FROM (SELECT state, count(*) AS n FROM stock_keys GROUP BY state) s")"
printf 'gateway log: %d line(s) at ERROR\n' "$(grep -c ' ERROR ' "$WORK/gateway.log" || true)"

if [[ "$(jq -r '.audit.ok' "$REPORT")" != true || "$AUDIT_EXIT" != 0 ]]; then
  exit 1
fi
exit 0
