#!/usr/bin/env bash
# Where a lifecycle's CPU goes, the gateway's and its PostgreSQL's, step by step. The flash sale prints one figure
# each, CPU-ms per completed lifecycle. This splits them: BUYERS buyers take each step of a lifecycle together
# (CONCURRENCY at once) — the checkout, the sandbox payment created, then confirmed (its signed notice, the funding,
# the key delivered and checked), the order read, the key revealed, the order confirmed (released, the shop paid) —
# and after each step the gateway is left to settle, so what a step set off is counted with it. Printed: the
# gateway's and PostgreSQL's CPU-ms per call of each step, for ROUNDS rounds, and the median, min and max of the
# rounds after the first (the JIT's warm-up). A lifecycle here has no crowd and, unless STREAMS=1, no event stream,
# unlike the flash sale's. The gateway runs in its own process with the production JVM options, on its embedded
# PostgreSQL, which serves nothing else (so all its CPU is the steps'). Needs: JDK 17+, python3, curl.
#
# Knobs (environment): SIMULATOR_JAR (simulator/target/keyhold-simulator.jar, which holds the gateway),
# BUYERS (2000, at most the gateway's 2,000 event streams with STREAMS=1), ROUNDS (3), CONCURRENCY (32), BENCH_PORT
# (18500), GATEWAY_JAVA_OPTS (the production options of docs/operations.md; add -XX:StartFlightRecording=... to profile
# a step), STREAMS (0; 1: every buyer follows its order over the event stream from its payment on, as in the flash
# sale, and the steps after it include the views their changes pushed).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${SIMULATOR_JAR:-$ROOT/simulator/target/keyhold-simulator.jar}"
BUYERS="${BUYERS:-2000}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-32}"
BENCH_PORT="${BENCH_PORT:-18500}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
need_tools lifecycle-steps.sh java python3 curl
ensure_jar "$JAR" "$ROOT"

run_embedded_gateway steps "$JAR" "$BENCH_PORT"
# Its PostgreSQL: the postmaster of the embedded cluster in the gateway's data folder (its first line is the pid).
POSTMASTER_PID="$(head -1 "$WORK/gateway-data/pg/postmaster.pid")"

log "$ROUNDS rounds of $BUYERS buyers, $CONCURRENCY at once"
python3 "$ROOT/bench/lifecycle_steps.py" "$BENCH_PORT" "$GATEWAY_PID" "$ADMIN_TOKEN" "$BUYERS" "$ROUNDS" "$CONCURRENCY" \
  "$POSTMASTER_PID"
