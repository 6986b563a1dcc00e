#!/usr/bin/env bash
# Keyhold flash-sale benchmark, in one run:
#   1. the machine's raw PostgreSQL limit: pgbench on an escrow-like transaction (insert an order, two
#      ledger rows, update the order) against the system PostgreSQL 15;
#   2. the flash-sale profile of the simulator against a gateway on that same PostgreSQL, the gateway in
#      its own process so its peak resident memory can be read;
#   3. completed lifecycles/s, p50/p99 per phase, the gateway's peak RSS, and the ratio
#      lifecycles/s ÷ raw transactions/s.
# Every step is bounded in time. Needs: JDK 17+, the system PostgreSQL 15 (pg_ctlcluster, pgbench), jq,
# and root (or sudo-less su) to create the benchmark role. Exit code: the simulator's (0 = audit passed).
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar), PGBENCH_SECONDS (20), PGBENCH_CLIENTS (16), PGBENCH_THREADS (2), BENCH_PORT (18480),
# SIM_ARGS (extra simulator flags, e.g. "--buyers 20000"), SIM_TIMEOUT_SECONDS (300),
# GATEWAY_JAVA_OPTS ("-Xms256m -Xmx1g"), GATEWAY_ARGS (e.g. "--config tuned.json"), SIMULATOR_JAVA_OPTS ("-XX:TieredStopAtLevel=1"),
# WARMUP_ARGS (flags of the unmeasured warm-up run; empty skips it), KEEP_WORK (1 keeps the work folder with report.json/html),
# RAW_ONLY (1 stops after the pgbench figure).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
PGBENCH_SECONDS="${PGBENCH_SECONDS:-20}"
PGBENCH_CLIENTS="${PGBENCH_CLIENTS:-16}"
PGBENCH_THREADS="${PGBENCH_THREADS:-2}"
BENCH_PORT="${BENCH_PORT:-18480}"
SIM_ARGS="${SIM_ARGS:-}"
SIM_TIMEOUT_SECONDS="${SIM_TIMEOUT_SECONDS:-300}"
GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:--Xms256m -Xmx1g}"
GATEWAY_ARGS="${GATEWAY_ARGS:-}"
# The load generator is not what is measured: C1 only, so its JIT does not take a core from the gateway.
SIMULATOR_JAVA_OPTS="${SIMULATOR_JAVA_OPTS:--XX:TieredStopAtLevel=1}"
WARMUP_ARGS="${WARMUP_ARGS---buyers 1500 --stock 300 --drain-seconds 15}"
READY_TIMEOUT_SECONDS=120
PG_HOST=127.0.0.1
PG_PORT=5432
ROLE=keyhold_bench
# A local, throw-away role on a loopback-only database; not a secret worth protecting.
ROLE_PASSWORD=keyhold_bench
RAW_DB=keyhold_bench_raw
GW_DB=keyhold_bench_gateway
ADMIN_TOKEN="bench-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

WORK="$(mktemp -d /tmp/keyhold-bench.XXXXXX)"
GATEWAY_PID=""
STARTED_POSTGRES=0

log() { printf '\n== %s\n' "$*"; }

cleanup() {
  if [[ -n "$GATEWAY_PID" ]] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$GATEWAY_PID" 2>/dev/null || true
  fi
  su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS $RAW_DB' -c 'DROP DATABASE IF EXISTS $GW_DB'" \
    >/dev/null 2>&1 || true
  if [[ "$STARTED_POSTGRES" == 1 ]]; then
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "work folder kept: $WORK"
  fi
}
trap cleanup EXIT

for tool in java pgbench psql pg_isready pg_ctlcluster jq; do
  command -v "$tool" >/dev/null || { echo "flash-sale.sh needs $tool on the PATH" >&2; exit 3; }
done

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(java -version 2>&1 | head -1)"

if [[ ! -f "$JAR" && "${RAW_ONLY:-0}" != 1 ]]; then
  log "building the simulator jar (not found at $JAR)"
  (cd "$ROOT" && timeout 900 mvn -B -q -DskipTests -pl simulator -am package)
fi

log "system PostgreSQL 15"
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  pg_ctlcluster 15 main start
  STARTED_POSTGRES=1
fi
for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
pg_isready -h "$PG_HOST" -p "$PG_PORT"
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE_PASSWORD';
  END IF;
END \$\$;
DROP DATABASE IF EXISTS $RAW_DB;
DROP DATABASE IF EXISTS $GW_DB;
CREATE DATABASE $RAW_DB OWNER $ROLE;
CREATE DATABASE $GW_DB OWNER $ROLE;
SQL
export PGPASSWORD="$ROLE_PASSWORD"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$ROLE")
SETTINGS="$("${PSQL[@]}" -d "$RAW_DB" -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'server_version')")"
echo "settings: $SETTINGS"

log "1/2 raw PostgreSQL: pgbench, escrow-like transaction, $PGBENCH_CLIENTS clients, $PGBENCH_SECONDS s"
"${PSQL[@]}" -d "$RAW_DB" <<'SQL'
CREATE TABLE bench_orders (
  id bigserial PRIMARY KEY,
  merchant_id text NOT NULL,
  state text NOT NULL,
  amount bigint NOT NULL,
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_ledger (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL,
  account text NOT NULL,
  amount bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bench_ledger_order ON bench_ledger (order_id);
SQL
# Account names use dots: pgbench would read "payments:in" as a variable.
cat > "$WORK/escrow.sql" <<'SQL'
\set amount random(100, 100000)
\set merchant random(1, 50)
BEGIN;
INSERT INTO bench_orders (merchant_id, state, amount) VALUES ('mer_' || :merchant, 'funded', :amount) RETURNING id \gset
INSERT INTO bench_ledger (order_id, account, amount) VALUES (:id, 'payments.in', -1 * :amount::bigint);
INSERT INTO bench_ledger (order_id, account, amount) VALUES (:id, 'escrow.' || :id, :amount);
UPDATE bench_orders SET state = 'released', version = version + 1 WHERE id = :id;
END;
SQL
timeout $((PGBENCH_SECONDS + 60)) pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$ROLE" -n -M prepared \
  -c "$PGBENCH_CLIENTS" -j "$PGBENCH_THREADS" -T "$PGBENCH_SECONDS" -f "$WORK/escrow.sql" "$RAW_DB" \
  | tee "$WORK/pgbench.txt"
RAW_TPS="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$WORK/pgbench.txt")"
[[ -n "$RAW_TPS" ]] || { echo "could not read the tps from pgbench's output" >&2; exit 3; }
if [[ "${RAW_ONLY:-0}" == 1 ]]; then
  printf '\nraw PostgreSQL 15, escrow-like transaction (4 statements): %s transactions/s\n' "$RAW_TPS"
  exit 0
fi

log "2/2 the flash sale: gateway on $GW_DB (its own process), simulator against it"
# shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS and GATEWAY_ARGS are flag lists on purpose
KEYHOLD_ADMIN_TOKEN="$ADMIN_TOKEN" java $GATEWAY_JAVA_OPTS -cp "$JAR" io.keyhold.gateway.GatewayMain \
  --port "$BENCH_PORT" --data-dir "$WORK/gateway-data" --no-demo \
  --pg-url "postgresql://$ROLE:$ROLE_PASSWORD@$PG_HOST:$PG_PORT/$GW_DB" $GATEWAY_ARGS >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
READY=0
for _ in $(seq 1 "$READY_TIMEOUT_SECONDS"); do
  if curl -fsS "http://127.0.0.1:$BENCH_PORT/health/ready" >/dev/null 2>&1; then READY=1; break; fi
  kill -0 "$GATEWAY_PID" 2>/dev/null || break
  sleep 1
done
if [[ "$READY" != 1 ]]; then
  echo "the gateway did not become ready; its log:" >&2
  tail -50 "$WORK/gateway.log" >&2
  exit 3
fi
RSS_READY_KB="$(awk '/VmRSS/{print $2}' "/proc/$GATEWAY_PID/status")"

# A gateway about to face a promotion has been serving for a while: a short warm-up rehearsal first (its own
# shop and SKU, not counted), so the measured run is not mostly the JIT compiling the gateway's hot paths.
if [[ -n "$WARMUP_ARGS" ]]; then
  log "warm-up (not measured): $WARMUP_ARGS"
  # shellcheck disable=SC2086  # flag lists on purpose
  timeout "$SIM_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" run --profile flash-sale \
    --gateway "http://127.0.0.1:$BENCH_PORT" --admin-token "$ADMIN_TOKEN" \
    --out "$WORK/warmup" --progress plain $WARMUP_ARGS >"$WORK/warmup.log" 2>&1 \
    || echo "warm-up exited $? (its report: $WORK/warmup)"
fi

# Where the machine's CPU goes during the measured run: the gateway's and the simulator's own shares, from
# /proc; what the machine spent besides them is mostly PostgreSQL.
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
read -r BUSY_BEFORE ALL_BEFORE <<<"$(machine_ticks)"
GATEWAY_BEFORE="$(process_ticks "$GATEWAY_PID")"

SIM_EXIT=0
TIMEFORMAT='%U %S'
# shellcheck disable=SC2086  # SIM_ARGS is a list of flags on purpose
{ time { timeout "$SIM_TIMEOUT_SECONDS" java $SIMULATOR_JAVA_OPTS -jar "$JAR" run --profile flash-sale \
  --gateway "http://127.0.0.1:$BENCH_PORT" --admin-token "$ADMIN_TOKEN" \
  --out "$WORK/report" --progress plain $SIM_ARGS 2>&1 || SIM_EXIT=$?; } ; } 2>"$WORK/simulator.cpu"

read -r BUSY_AFTER ALL_AFTER <<<"$(machine_ticks)"
GATEWAY_RUN_TICKS=$(( $(process_ticks "$GATEWAY_PID") - GATEWAY_BEFORE ))
PEAK_RSS_KB="$(awk '/VmHWM/{print $2}' "/proc/$GATEWAY_PID/status" 2>/dev/null || echo 0)"
GATEWAY_CPU_TICKS="$(process_ticks "$GATEWAY_PID")"

REPORT="$WORK/report/report.json"
if [[ ! -f "$REPORT" ]]; then
  echo "the simulator wrote no report (exit $SIM_EXIT)" >&2
  [[ "$SIM_EXIT" != 0 ]] && exit "$SIM_EXIT"
  exit 3
fi

phase() { jq -r --arg p "$1" '.phases[] | select(.phase == $p) | "\(.p50_ms) \(.p99_ms) \(.count)"' "$REPORT"; }
LPS="$(jq -r '.lifecycles_per_second' "$REPORT")"
RATIO="$(awk -v l="$LPS" -v t="$RAW_TPS" 'BEGIN { printf "%.3f", (t > 0 ? l / t : 0) }')"
CLK_TCK="$(getconf CLK_TCK)"
RUN_S="$(jq -r '.run_ms / 1000' "$REPORT")"

log "result"
printf 'raw PostgreSQL 15, escrow-like transaction (4 statements): %s transactions/s\n' "$RAW_TPS"
printf 'flash sale: %s buyers, %s keys; outcomes %s\n' "$(jq -r '.buyers' "$REPORT")" \
  "$(jq -r '.config.stock' "$REPORT")" "$(jq -c '.outcomes | with_entries(select(.value > 0))' "$REPORT")"
printf 'completed lifecycles: %s in %s s of run, %s lifecycles/s; checkouts %s/s\n' \
  "$(jq -r '.completed_lifecycles' "$REPORT")" "$RUN_S" "$LPS" "$(jq -r '.checkouts_per_second' "$REPORT")"
printf '%-20s %10s %10s %8s\n' phase "p50 ms" "p99 ms" count
for p in checkout pay_to_funded funded_to_ready ready_to_released lifecycle admission_wait; do
  read -r p50 p99 count <<<"$(phase "$p")"
  printf '%-20s %10s %10s %8s\n' "$p" "$p50" "$p99" "$count"
done
printf 'gateway peak RSS: %d MiB (at ready: %d MiB; JVM options: %s)\n' "$((PEAK_RSS_KB / 1024))" \
  "$((RSS_READY_KB / 1024))" "$GATEWAY_JAVA_OPTS"
printf 'gateway CPU: %.1f s over its life\n' "$(awk -v t="$GATEWAY_CPU_TICKS" -v h="$CLK_TCK" 'BEGIN { print t / h }')"
read -r SIM_USER SIM_SYS <"$WORK/simulator.cpu" || true
awk -v busy=$((BUSY_AFTER - BUSY_BEFORE)) -v all=$((ALL_AFTER - ALL_BEFORE)) -v gw="$GATEWAY_RUN_TICKS" \
    -v simu="${SIM_USER:-0}" -v sims="${SIM_SYS:-0}" -v h="$CLK_TCK" -v cores="$(nproc)" 'BEGIN {
  wall = all / h / cores; sim = simu + sims; g = gw / h; m = busy / h
  printf "CPU during the measured run (%.1f s wall, %d cores): machine busy %.0f%%; gateway %.1f s, simulator %.1f s, the rest (mostly PostgreSQL) %.1f s\n", wall, cores, (all > 0 ? 100 * busy / all : 0), g, sim, m - g - sim
}'
printf 'ratio lifecycles/s / raw transactions/s: %s\n' "$RATIO"
printf 'audit: %s; oversold: %s; keys to two buyers: %s\n' \
  "$(jq -r 'if .audit.ok then "passed" else "FAILED" end' "$REPORT")" \
  "$(jq -r '[.audit.violations[] | select(.code == "oversold")] | length' "$REPORT")" \
  "$(jq -r '[.audit.violations[] | select(.code == "key_to_two_buyers")] | length' "$REPORT")"
if [[ "$(jq -r '.audit.ok' "$REPORT")" != true ]]; then
  jq -r '.audit.violations[] | "  - \(.code): \(.detail) \(.orders[:10])"' "$REPORT"
fi
if [[ "${KEEP_WORK:-0}" == 1 ]]; then
  echo "report: $WORK/report/report.html"
fi
exit "$SIM_EXIT"
