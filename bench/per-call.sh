#!/usr/bin/env bash
# The gateway's CPU per request, one kind of request at a time: ab sends N requests of a kind, CONCURRENCY at once
# over keep-alive connections, and the gateway process's CPU over them is divided by N. For a change to one
# request's path (an answer's encoding, a meter, a check) that the whole-lifecycle benches cannot resolve: their
# noise is larger than such a change. Each kind is sent WARMUP_REQUESTS times unmeasured first (the JIT), and the
# whole set ROUNDS times; compare two builds by running this once for each, alternately.
# The gateway runs in its own process with the production JVM options, on its embedded PostgreSQL.
# Needs: JDK 17+, ab (apache2-utils), python3, curl, jq.
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar, which holds the gateway), ROUNDS (2),
# CONCURRENCY (32), BENCH_PORT (18510), GATEWAY_JAVA_OPTS (the production options of docs/operations.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
ROUNDS="${ROUNDS:-2}"
CONCURRENCY="${CONCURRENCY:-32}"
BENCH_PORT="${BENCH_PORT:-18510}"
WARMUP_REQUESTS=1000
HEALTH_REQUESTS=20000
VIEW_REQUESTS=10000
SOLD_OUT_REQUESTS=10000
PLACED_REQUESTS=5000
KEYS_PER_UPLOAD=1000
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
need_tools per-call.sh java ab python3 curl jq
ensure_jar "$JAR" "$ROOT"

run_embedded_gateway per-call "$JAR" "$BENCH_PORT"
BASE="http://127.0.0.1:$BENCH_PORT"

# A shop, a SKU with stock for every placed checkout, a SKU with none, and one order to read.
post() { curl -fsS -X POST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
API_KEY="$(post /admin/v1/merchants "$ADMIN_TOKEN" '{"name":"Per Call","fee_basis_points":250}' | jq -r .api_key)"
SKU="$(post /v1/skus "$API_KEY" '{"name":"Card","price":1000,"currency":"CNY"}' | jq -r .id)"
EMPTY_SKU="$(post /v1/skus "$API_KEY" '{"name":"Gone","price":1000,"currency":"CNY"}' | jq -r .id)"
KEYS_NEEDED=$(( 1 + ROUNDS * (WARMUP_REQUESTS + PLACED_REQUESTS) ))
for _ in $(seq 1 $(( (KEYS_NEEDED + KEYS_PER_UPLOAD - 1) / KEYS_PER_UPLOAD ))); do
  python3 -c "import json, uuid
print(json.dumps({'keys': ['PC-' + uuid.uuid4().hex for _ in range($KEYS_PER_UPLOAD)]}))" >"$WORK/keys.json"
  post "/v1/skus/$SKU/stock" "$API_KEY" "@$WORK/keys.json" >/dev/null
done
ORDER="$(post /v1/checkout-sessions "$API_KEY" "{\"sku_id\":\"$SKU\",\"quantity\":1}")"
ORDER_ID="$(jq -r .order_id <<<"$ORDER")"
ORDER_TOKEN="$(jq -r .order_url <<<"$ORDER" | sed 's/.*t=//')"
echo "{\"sku_id\":\"$SKU\",\"quantity\":1}" >"$WORK/placed.json"
echo "{\"sku_id\":\"$EMPTY_SKU\",\"quantity\":1}" >"$WORK/sold-out.json"

# measure NAME N AB-ARGS...: N requests after the warm-up; prints requests, non-2xx answers, req/s, CPU-ms per request.
measure() {
  local name=$1 n=$2 before after out
  shift 2
  ab -q -k -c "$CONCURRENCY" -n "$WARMUP_REQUESTS" "$@" >/dev/null 2>&1 || true
  before="$(process_ticks "$GATEWAY_PID")"
  out="$(ab -q -k -c "$CONCURRENCY" -n "$n" "$@" 2>&1)" || true
  after="$(process_ticks "$GATEWAY_PID")"
  awk -v name="$name" -v d=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /Complete requests/ { done_ = $3 } /Non-2xx responses/ { refused = $3 } /Requests per second/ { rate = $4 }
    END { per = (done_ > 0 ? 1000 * d / hz / done_ : 0)
          printf "%-28s %7d %8d %9.0f %12.3f\n", name, done_, refused + 0, rate, per }' \
    <<<"$out"
}
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS, $CONCURRENCY at once"
  printf '%-28s %7s %8s %9s %12s\n' request requests non-2xx "req/s" "CPU-ms/req"
  measure "GET /health/live" "$HEALTH_REQUESTS" "$BASE/health/live"
  measure "GET buyer order view" "$VIEW_REQUESTS" -H "Authorization: Bearer $ORDER_TOKEN" \
    "$BASE/v1/buyer/orders/$ORDER_ID"
  measure "POST checkout, sold out" "$SOLD_OUT_REQUESTS" -H "Authorization: Bearer $API_KEY" -T application/json \
    -p "$WORK/sold-out.json" "$BASE/v1/checkout-sessions"
  measure "POST checkout, placed" "$PLACED_REQUESTS" -H "Authorization: Bearer $API_KEY" -T application/json \
    -p "$WORK/placed.json" "$BASE/v1/checkout-sessions"
done
