#!/usr/bin/env bash
# Keyhold flash-sale benchmark, in one run:
#   1. the machine's raw PostgreSQL limit: pgbench on an escrow-like transaction (insert an order, two
#      ledger rows, update the order) against the system PostgreSQL 15;
#   2. the flash-sale profile of the simulator against a gateway on that same PostgreSQL, the gateway in
#      its own process so its peak resident memory can be read;
#   3. completed lifecycles/s, p50/p99 per phase, the gateway's peak RSS, and the ratio
#      lifecycles/s ÷ raw transactions/s.
# Steps 1 and 2 are repeated RUNS times (default 3), each flash sale right after its own pgbench, and the
# figures are printed per run and as median, min and max. Beside the speed it prints what does not swing
# with a noisy machine: statements (pg_stat_statements), gateway and PostgreSQL CPU-ms, WAL bytes, and rows written
# and index entries (from pg_waldump) per completed lifecycle, counted from the simulator's start (its shop setup and
# stock upload included) to the sale's end: its last look at every order and its audit after that are the bench
# checking the sale, and their CPU is printed apart. Then one fixed-rate (open-loop) run at half the measured capacity,
# for the latency figure and a lifecycle's CPU with no crowd to turn away.
# Every step is bounded in time. Needs: JDK 17+, the system PostgreSQL 15 (pg_ctlcluster, pgbench), jq,
# and root (or sudo-less su) to create the benchmark role. Exit code: the simulator's (0 = audit passed).
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar), PGBENCH_SECONDS (20), PGBENCH_CLIENTS (16), PGBENCH_THREADS (2), BENCH_PORT (18480),
# SIM_ARGS (extra simulator flags, e.g. "--buyers 20000"), SIM_TIMEOUT_SECONDS (300),
# GATEWAY_JAVA_OPTS (the production options of docs/operations.md), GATEWAY_ARGS (e.g. "--config tuned.json"), SIMULATOR_JAVA_OPTS ("-XX:TieredStopAtLevel=1"),
# SIMULATOR_NICE (-10: the simulator goes first for a core; 0 runs it at the gateway's and PostgreSQL's priority),
# WARMUP_ARGS (flags of the unmeasured warm-up run; empty skips it), KEEP_WORK (1 keeps the work folder with report.json/html),
# RAW_ONLY (1 stops after the pgbench figure), RUNS (3), FIXED_RATE_SECONDS (30; 0 skips the fixed-rate run),
# JFR (1 records the gateway with Java Flight Recorder into the work folder, which is then kept),
# PERF (1 samples the whole machine with Linux perf through each measured run, the JVMs' compiled code named; see below).
# With KEEP_WORK=1 the work folder also holds statements-N.txt: each run's most called statements (calls, ms, WAL bytes per call),
# and statements-by-time-N.txt: the same figures, the statements PostgreSQL spent most time on first; metrics-N.txt: the
# gateway's /metrics as each run ends (answer times per operation, pool waits, the outbox); wal-N.txt: pg_waldump's
# record statistics of each run's WAL (full-page images apart).
# pg_stat_statements is switched on in the system cluster (shared_preload_libraries, one restart) the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
PGBENCH_SECONDS="${PGBENCH_SECONDS:-20}"
PGBENCH_CLIENTS="${PGBENCH_CLIENTS:-16}"
PGBENCH_THREADS="${PGBENCH_THREADS:-2}"
BENCH_PORT="${BENCH_PORT:-18480}"
SIM_ARGS="${SIM_ARGS:-}"
SIM_TIMEOUT_SECONDS="${SIM_TIMEOUT_SECONDS:-300}"
GATEWAY_ARGS="${GATEWAY_ARGS:-}"
# The load generator is not what is measured: C1 only, so its JIT does not take a core from the gateway, and the
# serial collector, whose write barrier and lone thread cost less than G1's (G1 took ~10 % of its CPU).
SIMULATOR_JAVA_OPTS="${SIMULATOR_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
# The simulator stands for the buyers' and the shop's own machines, so it goes first for a core. At the same
# priority as the gateway and PostgreSQL its one event loop waited seconds for one in the spike (simulator_lag p99
# 3.0-4.8 s against 0.3-1.0 s), and every time it measured carried that wait. Lowering a niceness needs root; without
# it nice says so and the simulator runs at the same priority.
SIMULATOR_NICE="${SIMULATOR_NICE:--10}"
WARMUP_ARGS="${WARMUP_ARGS---buyers 1500 --stock 300 --drain-seconds 15}"
RUNS="${RUNS:-3}"
FIXED_RATE_SECONDS="${FIXED_RATE_SECONDS:-30}"
if [[ "${JFR:-0}" == 1 ]]; then
  KEEP_WORK=1
fi
# PERF=1: `perf record -a` from each measured run's start to its end (the shop's set-up and the last look included),
# into perf-N.data, and per run the machine's samples split by process (gateway, PostgreSQL, simulator, idle, other)
# with each one's most sampled functions, in perf-N.txt and on the screen once the gateway has stopped. JFR sees
# only the gateway's Java threads; this sees PostgreSQL, the kernel, the collectors and the compilers too. Each JVM
# writes /tmp/perf-PID.map of its compiled code as it exits (moved into the work folder afterwards).
PERF_HZ=999
PERF_SYMBOLS_LISTED=25
PERF_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
READY_TIMEOUT_SECONDS=120
# Statements kept per run in the work folder (statements-N.txt), most called first.
STATEMENTS_LISTED=40
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
if [[ "${PERF:-0}" == 1 ]]; then
  KEEP_WORK=1
  GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS $PERF_JAVA_OPTS"
  SIMULATOR_JAVA_OPTS="$SIMULATOR_JAVA_OPTS $PERF_JAVA_OPTS"
fi
RAW_DB=keyhold_bench_raw
GW_DB=keyhold_bench_gateway
ADMIN_TOKEN="bench-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

WORK="$(mktemp -d /tmp/keyhold-bench.XXXXXX)"
GATEWAY_PID=""

cleanup() {
  stop_gateway
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

need_tools flash-sale.sh java pgbench psql pg_isready pg_ctlcluster jq
if [[ "${PERF:-0}" == 1 ]]; then
  need_tools flash-sale.sh perf
fi

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(java -version 2>&1 | head -1)"

if [[ "${RAW_ONLY:-0}" != 1 ]]; then
  ensure_jar "$JAR" "$ROOT"
fi
start_system_postgres
# Statements per lifecycle come from pg_stat_statements, which must be preloaded: switched on once (a
# setting in the cluster's postgresql.auto.conf) with one restart; harmless for anything else on this cluster.
if ! su postgres -c "psql -At -c 'SHOW shared_preload_libraries'" | grep -q pg_stat_statements; then
  log "switching on pg_stat_statements in the system cluster (one restart)"
  su postgres -c "psql -q -c \"ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'\""
  pg_ctlcluster 15 main restart
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
fi
# Where pg_waldump is and the WAL it reads (a run's WAL breakdown, kept with the work folder).
PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA="$(su postgres -c "psql -At -c 'SHOW data_directory'")"
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
su postgres -c "psql -q -v ON_ERROR_STOP=1 -d $GW_DB -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'"
export PGPASSWORD="$ROLE_PASSWORD"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$ROLE")
SETTINGS="$("${PSQL[@]}" -d "$RAW_DB" -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'server_version')")"
echo "settings: $SETTINGS"

log "raw PostgreSQL: the escrow-like transaction for pgbench"
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

# raw_tps N: one pgbench run; prints its transactions/s.
raw_tps() {
  timeout $((PGBENCH_SECONDS + 60)) pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$ROLE" -n -M prepared \
    -c "$PGBENCH_CLIENTS" -j "$PGBENCH_THREADS" -T "$PGBENCH_SECONDS" -f "$WORK/escrow.sql" "$RAW_DB" \
    >"$WORK/pgbench-$1.txt" 2>&1
  sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$WORK/pgbench-$1.txt"
}

if [[ "${RAW_ONLY:-0}" == 1 ]]; then
  printf '\nraw PostgreSQL 15, escrow-like transaction (4 statements): %s transactions/s\n' "$(raw_tps 0)"
  exit 0
fi

log "the gateway on $GW_DB, in its own process"
if [[ "${JFR:-0}" == 1 ]]; then
  GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS -XX:StartFlightRecording=filename=$WORK/gateway.jfr,settings=profile,dumponexit=true"
fi
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

# simulate NAME ARGS...: one simulator run against the gateway; its report lands in $WORK/NAME.
simulate() {
  local name=$1; shift
  # shellcheck disable=SC2086  # SIMULATOR_JAVA_OPTS is a flag list on purpose
  timeout "$SIM_TIMEOUT_SECONDS" nice -n "$SIMULATOR_NICE" java $SIMULATOR_JAVA_OPTS -jar "$JAR" run \
    --gateway "http://127.0.0.1:$BENCH_PORT" --admin-token "$ADMIN_TOKEN" \
    --out "$WORK/$name" --progress plain "$@" >"$WORK/$name.log" 2>&1
}

# A gateway about to face a promotion has been serving for a while: a short warm-up rehearsal first (its own
# shop and SKU, not counted), so the measured runs are not mostly the JIT compiling the gateway's hot paths.
if [[ -n "$WARMUP_ARGS" ]]; then
  log "warm-up (not measured): $WARMUP_ARGS"
  # shellcheck disable=SC2086  # flag lists on purpose
  simulate warmup --profile flash-sale $WARMUP_ARGS || echo "warm-up exited $? (its log: $WORK/warmup.log)"
fi

gw_sql() { su postgres -c "psql -At -d $GW_DB -c \"$1\""; }
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
# Every PostgreSQL process of the system cluster (the gateway's connections are pooled, so they live through a run).
postgres_ticks() {
  local total=0 pid
  for pid in $(pgrep -u postgres -x postgres); do total=$((total + $(process_ticks "$pid"))); done
  echo "$total"
}
# This shell's waited-for children: the simulator (and the few psql calls around it).
children_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
statements_so_far() {
  gw_sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$GW_DB')"
}
wal_position() { gw_sql "SELECT pg_current_wal_lsn()"; }
# What the per-lifecycle figures are read from, as of now: the gateway's and PostgreSQL's CPU ticks, the statements
# counted and the WAL position.
sale_figures() { echo "$(process_ticks "$GATEWAY_PID") $(postgres_ticks) $(statements_so_far) $(wal_position)"; }
# The simulator prints this line once its last buyer is done, before it reads every order again and audits the books.
# The per-lifecycle figures stop there: that last look and the audit are the bench checking the sale, not lifecycles
# (they cost the gateway ~0.3 ms per lifecycle when counted in).
SALE_END_MARKER="Taking a last look at every order"
SALE_END_POLL_SECONDS=0.1
# In the background during a run: once the simulator's log ($1) shows the sale's end, writes sale_figures to $2.
watch_sale_end() {
  until grep -q "$SALE_END_MARKER" "$1" 2>/dev/null; do sleep "$SALE_END_POLL_SECONDS"; done
  sale_figures >"$2.part"
  mv "$2.part" "$2"
}
# After a run: reads what watch_sale_end ($1: its pid) wrote to $2 into SALE_GATEWAY, SALE_POSTGRES, SALE_STATEMENTS and
# SALE_WAL; when the end was never seen (the simulator failed first), the values as the run ended instead.
read_sale_end() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  if [[ ! -s "$2" ]]; then
    echo "the simulator's log never showed the sale's end: the figures per lifecycle include its last look and audit"
    sale_figures >"$2"
  fi
  read -r SALE_GATEWAY SALE_POSTGRES SALE_STATEMENTS SALE_WAL <"$2"
}
phase() { jq -r --arg p "$2" '.phases[] | select(.phase == $p) | "\(.p50_ms) \(.p99_ms) \(.count)"' "$1"; }
# The gateway's own p99 time to answer a checkout over the last two minutes at most (its keyhold_api_answer_seconds, the worst of
# its status classes: served, refused, told to wait), from its router's first handler: neither the shop's connection
# queue nor a request waiting for a busy event loop is in it; in ms. Read from a /metrics scrape ($1).
gateway_checkout_p99() {
  awk '/^keyhold_api_answer_seconds\{/ && /operation="createCheckoutSession"/ && /quantile="0.99"/ {
    if ($NF + 0 > worst) worst = $NF + 0 } END { printf "%.1f", worst * 1000 }' "$1"
}
# The p99 lag of the gateway's HTTP event loops over the same window (keyhold_event_loop_lag_seconds): about how long a
# request waited for its loop before any handler saw it, the part of a slow checkout the figure above cannot show. A
# checkout slow at the shop with both of these low waited in the shop's own connection queue. In ms, from a scrape ($1).
gateway_loop_lag_p99() {
  awk '/^keyhold_event_loop_lag_seconds\{/ && /quantile="0.99"/ { lag = $NF + 0 } END { printf "%.1f", lag * 1000 }' "$1"
}
CLK_TCK="$(getconf CLK_TCK)"
SIM_EXIT=0
printf 'run\tpgbench_tps\tlifecycles_per_s\tratio\tcompleted\tkeys_sold\tstock\trefused_share\tcheckout_p99_ms\tgateway_checkout_p99_ms\tgateway_loop_lag_p99_ms\tsimulator_lag_p99_ms\twaiting_room_p99_ms\tfunded_to_ready_p99_ms\tstatements_per_lifecycle\tgateway_cpu_ms_per_lifecycle\tpostgres_cpu_ms_per_lifecycle\twal_bytes_per_lifecycle\trows_written_per_lifecycle\tindex_entries_per_lifecycle\taudit\toversold\tkeys_to_two_buyers\n' \
  >"$WORK/runs.tsv"
for run in $(seq 1 "$RUNS"); do
  log "run $run/$RUNS: pgbench, escrow-like transaction, $PGBENCH_CLIENTS clients, $PGBENCH_SECONDS s"
  RAW_TPS="$(raw_tps "$run")"
  [[ -n "$RAW_TPS" ]] || { echo "could not read the tps from pgbench's output" >&2; cat "$WORK/pgbench-$run.txt" >&2; exit 3; }
  echo "pgbench: $RAW_TPS transactions/s"

  log "run $run/$RUNS: the flash sale ${SIM_ARGS:+($SIM_ARGS)}"
  su postgres -c "psql -q -At -d $GW_DB -c 'SELECT pg_stat_statements_reset()'" >/dev/null
  RUN_START="$(gw_sql "SELECT now()")"
  WAL_BEFORE="$(wal_position)"
  read -r BUSY_BEFORE ALL_BEFORE <<<"$(machine_ticks)"
  GATEWAY_BEFORE="$(process_ticks "$GATEWAY_PID")"
  POSTGRES_BEFORE="$(postgres_ticks)"
  CHILDREN_BEFORE="$(children_ticks)"
  RUN_EXIT=0
  watch_sale_end "$WORK/run-$run.log" "$WORK/sale-end-$run.txt" &
  WATCHER_PID=$!
  PERF_PID=""
  if [[ "${PERF:-0}" == 1 ]]; then
    perf record -a -F "$PERF_HZ" -o "$WORK/perf-$run.data" >"$WORK/perf-$run.log" 2>&1 &
    PERF_PID=$!
  fi
  # shellcheck disable=SC2086  # SIM_ARGS is a list of flags on purpose
  simulate "run-$run" --profile flash-sale $SIM_ARGS || RUN_EXIT=$?
  if [[ -n "$PERF_PID" ]]; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
  fi
  read_sale_end "$WATCHER_PID" "$WORK/sale-end-$run.txt"
  # The gateway's own figures as the run ends (answer times per operation, event-loop lag, pools, outbox): where a
  # phase waited.
  curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$BENCH_PORT/metrics" >"$WORK/metrics-$run.txt" \
    2>/dev/null || true
  GATEWAY_CHECKOUT_P99="$(gateway_checkout_p99 "$WORK/metrics-$run.txt")"
  GATEWAY_LOOP_LAG_P99="$(gateway_loop_lag_p99 "$WORK/metrics-$run.txt")"
  read -r BUSY_AFTER ALL_AFTER <<<"$(machine_ticks)"
  RUN_GATEWAY_TICKS=$(( $(process_ticks "$GATEWAY_PID") - GATEWAY_BEFORE ))
  RUN_POSTGRES_TICKS=$(( $(postgres_ticks) - POSTGRES_BEFORE ))
  SIMULATOR_TICKS=$(( $(children_ticks) - CHILDREN_BEFORE ))
  # Per lifecycle: from the simulator's start (its shop setup and stock upload included) to the sale's end.
  GATEWAY_TICKS=$((SALE_GATEWAY - GATEWAY_BEFORE))
  POSTGRES_TICKS=$((SALE_POSTGRES - POSTGRES_BEFORE))
  STATEMENTS="$SALE_STATEMENTS"
  WAL_AFTER="$SALE_WAL"
  WAL_BYTES="$(gw_sql "SELECT pg_wal_lsn_diff('$WAL_AFTER', '$WAL_BEFORE')")"
  # What the WAL was made of (record types, full-page images apart), while its segments are still there; the range holds
  # the whole cluster's WAL, which during the run is the gateway's. A checkpoint that recycled its start leaves no file
  # (the two figures read from it are then "n/a"). Rows written: heap inserts, updates (HOT or not) and deletes;
  # index entries: B-tree leaf inserts, into a posting list or not. Neither swings with a noisy machine.
  su postgres -c "$PG_BIN/pg_waldump --stats=record --start=$WAL_BEFORE --end=$WAL_AFTER --path=$PG_DATA/pg_wal" \
    >"$WORK/wal-$run.txt" 2>&1 || true
  read -r WAL_ROWS WAL_ENTRIES <<<"$(awk '
    $1 ~ /^Heap\/(INSERT|UPDATE|HOT_UPDATE|DELETE)(\+INIT)?$/ { rows += $2 }
    $1 ~ /^Btree\/INSERT_(LEAF|POST)$/ { entries += $2 }
    $1 == "Total" { total = 1 }
    END { if (total) print rows + 0, entries + 0; else print "n/a n/a" }' "$WORK/wal-$run.txt")"
  # Where the statements go, most called first: the place to look before any change that aims at speed.
  gw_sql "SELECT calls, round(total_exec_time::numeric, 1) AS ms, round(wal_bytes / greatest(calls, 1)) AS wal_bytes_per_call,
    left(regexp_replace(query, '\s+', ' ', 'g'), 160)
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$GW_DB')
    ORDER BY calls DESC LIMIT $STATEMENTS_LISTED" >"$WORK/statements-$run.txt" || true
  gw_sql "SELECT calls, round(total_exec_time::numeric, 1) AS ms, round(wal_bytes / greatest(calls, 1)) AS wal_bytes_per_call,
    left(regexp_replace(query, '\s+', ' ', 'g'), 160)
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$GW_DB')
    ORDER BY total_exec_time DESC LIMIT $STATEMENTS_LISTED" >"$WORK/statements-by-time-$run.txt" || true
  KEYS_SOLD="$(gw_sql "SELECT count(*) FROM order_units u JOIN orders o ON o.merchant_id = u.merchant_id AND o.id = u.order_id WHERE o.placed_at >= '$RUN_START' AND u.state IN ('valid', 'released')")"
  REPORT="$WORK/run-$run/report.json"
  if [[ ! -f "$REPORT" ]]; then
    echo "the simulator wrote no report (exit $RUN_EXIT); its log:" >&2
    tail -30 "$WORK/run-$run.log" >&2
    exit 3
  fi
  [[ "$RUN_EXIT" == 0 ]] || SIM_EXIT=$RUN_EXIT
  grep -E 'AUDIT|lifecycles completed' "$WORK/run-$run.log" | tail -3 || true
  # Where the keys not sold went: the run's SKU is the one its orders name.
  read -r HELD IN_STOCK DELIVERED <<<"$(gw_sql "SELECT count(*) FILTER (WHERE state = 'reserved'),
    count(*) FILTER (WHERE state = 'available'), count(*) FILTER (WHERE state = 'delivered') FROM stock_keys
    WHERE sku_id IN (SELECT DISTINCT sku_id FROM orders WHERE placed_at >= '$RUN_START')" | tr '|' ' ')"
  echo "  keys at the sale's end: $KEYS_SOLD sold; $HELD held by checkouts not paid (their pay window still open)," \
    "$IN_STOCK back in stock, $((DELIVERED - KEYS_SOLD)) delivered and not sold (refunded after the buyer saw the key, or not settled)"
  # Those held keys come back as their holds end; a sold-out answer says how many are held and until when.
  echo "  buyers told sold out while unpaid checkouts still held keys: $(jq -r \
    '[.series_per_second.sold_out_while_held[]?] | add // 0' "$REPORT"); looks again for them (--come-back-within):" \
    "$(jq -r '[.series_per_second.came_back[]?] | add // 0' "$REPORT"), checkouts placed by them: $(jq -r \
    '[.series_per_second.bought_on_coming_back[]?] | add // 0' "$REPORT"); buyers sold out in the end: $(jq -r \
    '.outcomes.sold_out // 0' "$REPORT")"
  COMPLETED="$(jq -r '.completed_lifecycles' "$REPORT")"
  LPS="$(jq -r '.lifecycles_per_second' "$REPORT")"
  read -r _ CHECKOUT_P99 _ <<<"$(phase "$REPORT" checkout)"
  # Buyers told their place in line: from the first ask to the ask that was served (none: 0).
  WAITING_P99=0
  read -r _ WAITING_P99 _ <<<"$(phase "$REPORT" waiting_room)" || true
  read -r _ READY_P99 _ <<<"$(phase "$REPORT" funded_to_ready)"
  # How late the simulator's own event loop ran a timer due every 20 ms: any time it measured may carry this much.
  read -r _ SIMULATOR_LAG_P99 _ <<<"$(phase "$REPORT" simulator_lag)"
  awk -v run="$run" -v tps="$RAW_TPS" -v lps="$LPS" -v done_="$COMPLETED" -v sold="$KEYS_SOLD" \
      -v stock="$(jq -r '.config.stock' "$REPORT")" -v buyers="$(jq -r '.buyers' "$REPORT")" \
      -v refused="$(jq -r '.outcomes.overloaded // 0' "$REPORT")" -v cp99="$CHECKOUT_P99" -v gp99="${GATEWAY_CHECKOUT_P99:-0}" -v lag99="${GATEWAY_LOOP_LAG_P99:-0}" -v slag99="${SIMULATOR_LAG_P99:-0}" -v wp99="${WAITING_P99:-0}" -v rp99="$READY_P99" \
      -v st="$STATEMENTS" -v ticks="$GATEWAY_TICKS" -v pgticks="$POSTGRES_TICKS" -v hz="$CLK_TCK" -v wal="$WAL_BYTES" \
      -v walrows="$WAL_ROWS" -v walentries="$WAL_ENTRIES" \
      -v audit="$(jq -r 'if .audit.ok then "passed" else "FAILED" end' "$REPORT")" \
      -v over="$(jq -r '[.audit.violations[] | select(.code == "oversold")] | length' "$REPORT")" \
      -v twice="$(jq -r '[.audit.violations[] | select(.code == "key_to_two_buyers")] | length' "$REPORT")" 'BEGIN {
    per = (done_ > 0 ? done_ : 1)
    rows = (walrows == "n/a" ? "n/a" : sprintf("%.1f", walrows / per))
    entries = (walentries == "n/a" ? "n/a" : sprintf("%.1f", walentries / per))
    printf "%d\t%.0f\t%.1f\t%.4f\t%d\t%d\t%d\t%.4f\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.0f\t%s\t%s\t%s\t%d\t%d\n", run,
      tps, lps, (tps > 0 ? lps / tps : 0), done_, sold, stock, (buyers > 0 ? refused / buyers : 0), cp99, gp99, lag99, slag99, wp99,
      rp99, st / per, 1000 * ticks / hz / per, 1000 * pgticks / hz / per, wal / per, rows, entries, audit, over, twice
  }' >>"$WORK/runs.tsv"
  awk -v busy=$((BUSY_AFTER - BUSY_BEFORE)) -v all=$((ALL_AFTER - ALL_BEFORE)) -v gw="$RUN_GATEWAY_TICKS" -v h="$CLK_TCK" \
      -v pg="$RUN_POSTGRES_TICKS" -v sim="$SIMULATOR_TICKS" -v cores="$(nproc)" -v gwsale="$GATEWAY_TICKS" \
      -v pgsale="$POSTGRES_TICKS" 'BEGIN {
    printf "CPU during the run (%.1f s wall, %d cores): machine busy %.0f%%, gateway %.1f s, PostgreSQL %.1f s, simulator %.1f s\n",
      all / h / cores, cores, (all > 0 ? 100 * busy / all : 0), gw / h, pg / h, sim / h
    printf "  of which after the sale (the last look and the audit, left out per lifecycle): gateway %.1f s, PostgreSQL %.1f s\n",
      (gw - gwsale) / h, (pg - pgsale) / h
  }'
  if [[ "$(jq -r '.audit.ok' "$REPORT")" != true ]]; then
    jq -r '.audit.violations[] | "  - \(.code): \(.detail) \(.orders[:10])"' "$REPORT"
  fi
done

# column N: median, min and max of column N of runs.tsv.
stats() {
  tail -n +2 "$WORK/runs.tsv" | cut -f"$1" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); printf "%s\t%s\t%s", m, v[1], v[NR] }'
}
MEDIAN_LPS="$(stats 3 | cut -f1)"

FIXED_LINE="skipped"
if [[ "$FIXED_RATE_SECONDS" -gt 0 ]]; then
  RATE="$(awk -v l="$MEDIAN_LPS" 'BEGIN { r = int(l / 2); print (r < 1 ? 1 : r) }')"
  BUYERS=$((RATE * FIXED_RATE_SECONDS))
  log "fixed rate (open loop) at half the measured capacity: $RATE buyers/s for $FIXED_RATE_SECONDS s, stock for all"
  # A lifecycle's own cost, with no crowd to turn away: the flash sale's CPU per lifecycle also pays for the answers
  # its buyers who got no key were given (places in line, sold out).
  FIXED_GATEWAY_BEFORE="$(process_ticks "$GATEWAY_PID")"
  FIXED_POSTGRES_BEFORE="$(postgres_ticks)"
  watch_sale_end "$WORK/fixed-rate.log" "$WORK/sale-end-fixed-rate.txt" &
  WATCHER_PID=$!
  simulate fixed-rate --profile flash-sale --arrival flat --buyers "$BUYERS" --arrival-seconds "$FIXED_RATE_SECONDS" \
    --stock "$((BUYERS * 3))" || echo "fixed-rate run exited $? (its log: $WORK/fixed-rate.log)"
  read_sale_end "$WATCHER_PID" "$WORK/sale-end-fixed-rate.txt"
  FIXED_GATEWAY_TICKS=$((SALE_GATEWAY - FIXED_GATEWAY_BEFORE))
  FIXED_POSTGRES_TICKS=$((SALE_POSTGRES - FIXED_POSTGRES_BEFORE))
  if [[ -f "$WORK/fixed-rate/report.json" ]]; then
    read -r FP50 FP99 _ <<<"$(phase "$WORK/fixed-rate/report.json" checkout)"
    read -r RP50 RP99 _ <<<"$(phase "$WORK/fixed-rate/report.json" funded_to_ready)"
    FIXED_CPU="$(awk -v gw="$FIXED_GATEWAY_TICKS" -v pg="$FIXED_POSTGRES_TICKS" -v hz="$CLK_TCK" \
      -v done_="$(jq -r '.completed_lifecycles' "$WORK/fixed-rate/report.json")" 'BEGIN {
        per = (done_ > 0 ? done_ : 1); printf "%.1f ms gateway, %.1f ms PostgreSQL", 1000 * gw / hz / per, 1000 * pg / hz / per }')"
    FIXED_LINE="$RATE buyers/s: checkout p50 $FP50 ms, p99 $FP99 ms; funded → key ready p50 $RP50 ms, p99 $RP99 ms; CPU per lifecycle $FIXED_CPU; audit $(jq -r 'if .audit.ok then "passed" else "FAILED" end' "$WORK/fixed-rate/report.json")"
  fi
fi
PEAK_RSS_KB="$(awk '/VmHWM/{print $2}' "/proc/$GATEWAY_PID/status" 2>/dev/null || echo 0)"

log "result"
LAST="$WORK/run-$RUNS/report.json"
printf 'flash sale: %s buyers, %s keys; outcomes of the last run %s\n' "$(jq -r '.buyers' "$LAST")" \
  "$(jq -r '.config.stock' "$LAST")" "$(jq -c '.outcomes | with_entries(select(.value > 0))' "$LAST")"
printf '\nper run:\n'
column -t -s $'\t' "$WORK/runs.tsv"
printf '\n%-34s %12s %12s %12s\n' "over $RUNS runs" median min max
i=2
for name in pgbench_tps lifecycles_per_s ratio completed keys_sold stock refused_share checkout_p99_ms \
    gateway_checkout_p99_ms gateway_loop_lag_p99_ms simulator_lag_p99_ms waiting_room_p99_ms funded_to_ready_p99_ms statements_per_lifecycle gateway_cpu_ms_per_lifecycle postgres_cpu_ms_per_lifecycle \
    wal_bytes_per_lifecycle rows_written_per_lifecycle index_entries_per_lifecycle; do
  IFS=$'\t' read -r med lo hi <<<"$(stats "$i")"
  printf '%-34s %12s %12s %12s\n' "$name" "$med" "$lo" "$hi"
  i=$((i + 1))
done
printf '\nphases of the last run:\n%-20s %10s %10s %8s\n' phase "p50 ms" "p99 ms" count
for p in checkout waiting_room pay_to_funded funded_to_ready ready_to_released lifecycle admission_wait simulator_lag; do
  read -r p50 p99 count <<<"$(phase "$LAST" "$p")" || true
  printf '%-20s %10s %10s %8s\n' "$p" "$p50" "$p99" "$count"
done
printf '\nfixed-rate run: %s\n' "$FIXED_LINE"
printf 'gateway peak RSS through the whole bench: %d MiB (at ready: %d MiB; JVM options: %s)\n' \
  "$((PEAK_RSS_KB / 1024))" "$((RSS_READY_KB / 1024))" "$GATEWAY_JAVA_OPTS"
printf 'statements counted by pg_stat_statements in the gateway database (BEGIN and COMMIT included); figures per lifecycle from the simulator'"'"'s start to the sale'"'"'s end (its last look and audit left out)\n'
if [[ "${JFR:-0}" == 1 || "${PERF:-0}" == 1 ]]; then
  # Both are written as the gateway's JVM exits.
  stop_gateway
fi
if [[ "${JFR:-0}" == 1 ]]; then
  echo "flight recording: $WORK/gateway.jfr"
fi
if [[ "${PERF:-0}" == 1 ]]; then
  for data in "$WORK"/perf-*.data; do
    summary="${data%.data}.txt"
    # One line a sample: "comm pid/tid address symbol (object)"; a process that has a perf map is a JVM.
    perf script -i "$data" -F comm,pid,tid,ip,sym,dso 2>/dev/null | awk -v gw="$GATEWAY_PID" -v top="$PERF_SYMBOLS_LISTED" '
      # A thread name may hold spaces ("VM Thread"): the sample is read around its "pid/tid address".
      match($0, / [0-9]+\/[0-9]+ +[0-9a-f]+ /) {
        comm = substr($0, 1, RSTART); gsub(/^ +| +$/, "", comm)
        split(substr($0, RSTART + 1, RLENGTH), ids, "/"); pid = ids[1]
        sym = substr($0, RSTART + RLENGTH)
        if (pid == gw) who = "gateway"
        else if (comm == "postgres") who = "postgresql"
        else if (comm == "swapper") who = "idle"
        else {
          if (!(pid in jvm)) jvm[pid] = system("test -f /tmp/perf-" pid ".map") == 0
          who = jvm[pid] ? "simulator" : "other"
        }
        n[who]++; all++; at[who SUBSEP sym]++ }
      END {
        groups = 0
        for (w in n) order[++groups] = w
        for (i = 1; i <= groups; i++) for (j = i + 1; j <= groups; j++) if (n[order[j]] > n[order[i]]) {
          t = order[i]; order[i] = order[j]; order[j] = t
        }
        printf "%-12s %8s %7s\n", "process", "samples", "share"
        for (i = 1; i <= groups; i++) printf "%-12s %8d %6.1f%%\n", order[i], n[order[i]], 100 * n[order[i]] / all
        for (i = 1; i <= groups; i++) {
          w = order[i]
          printf "\n%s, most sampled (share of its samples):\n", w
          cmd = "sort -rn | head -" top
          for (key in at) {
            split(key, wk, SUBSEP)
            if (wk[1] == w) printf "%6.1f%%  %s\n", 100 * at[key] / n[w], wk[2] | cmd
          }
          close(cmd)
        }
      }' >"$summary"
    printf '\nperf, %s: the machine by process\n' "$(basename "$data")"
    sed -n '1,/^$/p' "$summary"
  done
  mv /tmp/perf-*.map "$WORK/" 2>/dev/null || true
  echo "perf: $WORK/perf-N.data with its summary perf-N.txt; perf report -i needs the maps moved back to /tmp"
fi
if [[ "${KEEP_WORK:-0}" == 1 ]]; then
  echo "reports: $WORK/run-*/report.html"
fi
exit "$SIM_EXIT"
