#!/usr/bin/env bash
# A PostgreSQL 15 primary and its synchronous standby under pg_auto_failover, on loopback: a monitor and two
# nodes, each a `pg_autoctl run` service of its own. For rehearsing a failover with the gateway (docs/operations.md,
# "Failover"; bench/failover.sh) and for the gateway's PrimaryFailoverTest. Not a production set-up: trust
# authentication on 127.0.0.1, no TLS, every node on one machine.
#
#   pg-cluster.sh start DIR     creates and starts the three in DIR (absent or empty), waits until node1 is the
#                               primary and node2 its synchronous standby, prints the gateway's URL
#   pg-cluster.sh failover DIR  the monitor fails the primary over to the standby (pg_autoctl perform failover);
#                               returns once the new primary serves
#   pg-cluster.sh state DIR     the monitor's view: each node's role and whether it takes writes
#   pg-cluster.sh url DIR       the gateway's URL: both nodes, the read-write one chosen on every connection
#   pg-cluster.sh stop DIR      stops all three (also half-started ones) and removes DIR
#
# Ports (environment): MONITOR_PORT (55431), NODE1_PORT (55432), NODE2_PORT (55433). The database and its role
# are both `keyhold` (a superuser of this throw-away cluster). pg_autoctl refuses to run as root, so as root it
# runs as `postgres` and DIR belongs to that user. Needs Debian's postgresql-15-auto-failover and
# pg-auto-failover-cli. Every wait is bounded; exit 3 when a step does not finish in time.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
MONITOR_PORT="${MONITOR_PORT:-55431}"
NODE1_PORT="${NODE1_PORT:-55432}"
NODE2_PORT="${NODE2_PORT:-55433}"
HOST=127.0.0.1
DB=keyhold
ROLE=keyhold
# How long the two nodes may take to become primary and synchronous standby (an initdb and a base backup).
READY_TIMEOUT_SECONDS=90
# pg_auto_failover's own bound on a failover it was asked for; the script waits a little longer for it.
FAILOVER_TIMEOUT_SECONDS=60
# How long a node's service may take to stop before it is killed.
STOP_TIMEOUT_SECONDS=20

usage() { sed -n '2,20p' "$0" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
COMMAND="$1"
DIR="$2"
[[ "$DIR" == /* ]] || { echo "DIR must be an absolute path, was $DIR" >&2; exit 2; }

command -v pg_autoctl >/dev/null || {
  echo "pg_autoctl is not installed: apt-get install -y postgresql-15-auto-failover pg-auto-failover-cli" >&2
  exit 3
}

# as_owner CMD...: runs a command as the cluster's owner, with pg_autoctl's configuration and state kept in DIR.
as_owner() {
  local env=(XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" XDG_RUNTIME_DIR="$DIR/run"
    PATH="$PG_BIN:$PATH")
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- env "${env[@]}" "$@"
  else
    env "${env[@]}" "$@"
  fi
}

monitor_url() { echo "postgres://autoctl_node@$HOST:$MONITOR_PORT/pg_auto_failover?sslmode=disable"; }

gateway_url() {
  echo "postgres://$ROLE@$HOST:$NODE1_PORT,$HOST:$NODE2_PORT/$DB?target_session_attrs=read-write"
}

# run_service NAME: `pg_autoctl run` for one node, in a session of its own, its output in DIR/NAME.log.
run_service() {
  as_owner setsid pg_autoctl run --pgdata "$DIR/$1" >>"$DIR/$1.log" 2>&1 < /dev/null &
}

create_node() {
  local name="$1" port="$2"
  as_owner pg_autoctl create postgres --pgdata "$DIR/$name" --pgport "$port" --listen "$HOST" --hostname "$HOST" \
    --name "$name" --auth trust --no-ssl --pgctl "$PG_BIN/pg_ctl" --monitor "$(monitor_url)" \
    --dbname "$DB" --username "$ROLE" >>"$DIR/$name.log" 2>&1
  run_service "$name"
}

# await_states SECONDS PATTERN...: waits until `pg_autoctl show state` matches every pattern.
await_states() {
  local seconds="$1"
  shift
  local deadline=$((SECONDS + seconds)) state
  while ((SECONDS < deadline)); do
    state="$(as_owner pg_autoctl show state --pgdata "$DIR/monitor" 2>/dev/null || true)"
    local all=1
    for pattern in "$@"; do
      grep -Eq "$pattern" <<<"$state" || all=0
    done
    if ((all)); then
      return 0
    fi
    sleep 0.5
  done
  echo "the cluster in $DIR did not reach the expected states within $seconds s:" >&2
  echo "$state" >&2
  exit 3
}

start() {
  if [[ -d "$DIR" && -n "$(ls -A "$DIR")" ]]; then
    echo "$DIR is not empty: stop the cluster there first" >&2
    exit 2
  fi
  # run/ holds pg_autoctl's pid files (XDG_RUNTIME_DIR is used only when it exists).
  mkdir -p "$DIR/run"
  chmod 0700 "$DIR" "$DIR/run"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$DIR" "$DIR/run"
  fi
  as_owner test -w "$DIR" || { echo "$DIR is out of reach of the user pg_autoctl runs as (a parent folder closed?)" >&2; exit 2; }
  # A step that fails shows the logs of the nodes (they go to DIR, which `stop` removes).
  trap 'tail -n 15 "$DIR"/*.log >&2' ERR
  as_owner pg_autoctl create monitor --pgdata "$DIR/monitor" --pgport "$MONITOR_PORT" --hostname "$HOST" \
    --auth trust --no-ssl --pgctl "$PG_BIN/pg_ctl" >>"$DIR/monitor.log" 2>&1
  # pg_autoctl listens on every address unless told otherwise; this rehearsal stays on loopback.
  as_owner pg_autoctl config set --pgdata "$DIR/monitor" postgresql.listen_addresses "$HOST" >/dev/null
  run_service monitor
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  until as_owner "$PG_BIN/pg_isready" -q -h "$HOST" -p "$MONITOR_PORT"; do
    ((SECONDS < deadline)) || { echo "monitor not ready within $READY_TIMEOUT_SECONDS s" >&2; exit 3; }
    sleep 0.2
  done
  # node1 first, alone: it becomes the primary; node2 then joins as its standby.
  create_node node1 "$NODE1_PORT"
  await_states "$READY_TIMEOUT_SECONDS" "node1 .*\| +single +\| +single"
  create_node node2 "$NODE2_PORT"
  # With one standby in the replication quorum and number_sync_standbys 0 (the formation's default; 1 would
  # need two standbys), pg_auto_failover sets synchronous_standby_names to 'ANY 1 (pgautofailover_standby_2)'
  # once node2 is a secondary: a commit is acknowledged only once the standby has it. Checked, not assumed.
  await_states "$READY_TIMEOUT_SECONDS" "node1 .*\| +primary +\| +primary" "node2 .*\| +secondary +\| +secondary"
  deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  until [[ -n "$(as_owner "$PG_BIN/psql" -X -At -h "$HOST" -p "$NODE1_PORT" -U "$ROLE" -d "$DB" \
      -c 'SHOW synchronous_standby_names' 2>/dev/null)" ]]; do
    ((SECONDS < deadline)) || { echo "node1 replicates asynchronously: synchronous_standby_names is empty" >&2; exit 3; }
    sleep 0.2
  done
  gateway_url
}

failover() {
  local before
  before="$(as_owner pg_autoctl show state --pgdata "$DIR/monitor")"
  local to=node2 from=node1
  grep -Eq "node2 .*\| +primary +\|" <<<"$before" && { to=node1; from=node2; }
  as_owner timeout "$((FAILOVER_TIMEOUT_SECONDS + 10))" \
    pg_autoctl perform failover --pgdata "$DIR/monitor" --wait "$FAILOVER_TIMEOUT_SECONDS" >>"$DIR/failover.log" 2>&1
  await_states "$FAILOVER_TIMEOUT_SECONDS" "$to .*\| +primary +\| +primary"
  echo "failed over from $from to $to"
}

# pids NAME: the node's pg_autoctl service and its postgres, read from their own pid files.
pids() {
  local name="$1" file
  for file in "$DIR/$name/postmaster.pid" $(find "$DIR/run" -name 'pg_autoctl*.pid' -path "*$name*" 2>/dev/null); do
    if [[ -f "$file" ]]; then
      head -1 "$file" 2>/dev/null || true
    fi
  done
}

# stop_node NAME: asks its service to stop (it stops its postgres), then kills by id whatever is left of it.
stop_node() {
  local name="$1"
  [[ -d "$DIR/$name" ]] || return 0
  as_owner pg_autoctl stop --pgdata "$DIR/$name" >/dev/null 2>&1 || true
  local deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  while ((SECONDS < deadline)) && [[ -n "$(pids "$name")" ]]; do
    sleep 0.2
  done
  local left
  left="$(pids "$name")"
  if [[ -n "$left" ]]; then
    echo "$name did not stop within $STOP_TIMEOUT_SECONDS s; killing $left" >&2
    # shellcheck disable=SC2086
    kill -9 $left 2>/dev/null || true
  fi
}

stop() {
  [[ -d "$DIR" ]] || return 0
  stop_node node2
  stop_node node1
  stop_node monitor
  rm -rf "$DIR"
}

case "$COMMAND" in
  start) start ;;
  failover) failover ;;
  state) as_owner pg_autoctl show state --pgdata "$DIR/monitor" ;;
  url) gateway_url ;;
  stop) stop ;;
  *) usage ;;
esac
