#!/usr/bin/env bash
# One command for the throughput benchmark (docs/benchmarks.md): builds Release, starts a
# throwaway PostgreSQL 15 (fsync and synchronous_commit on), runs pgbench with the hot-path
# script and the one-statement baseline, then the real server against PostgreSQL, pgbench with the
# hot path batched as the server batched it, the Node reference (bench/node-reference) against the
# same PostgreSQL, and the server against SQLite under the load generator, and prints one table
# side by side. Everything it starts is stopped on exit.
#   bench/run.sh [--runs N] [--duration S] [--pgbench-duration S] [--events N] [--warmup N]
#                [--senders N] [--users N] [--spend] [--no-build] [--no-node] [--batch-clients N]
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUNS=1
DURATION=20          # cap on the load generator's measured phase, seconds
PGBENCH_DURATION=15  # each pgbench script, seconds
EVENTS=40000
# Tiered JIT keeps recompiling hot methods (ReadyToRun code included) for tens of thousands of
# requests on 2 busy cores: perf showed libclrjit at a quarter of the server's samples after 12,000
# and gone after 40,000. Warm up past it so the measured window is steady state.
WARMUP=40000
SENDERS=16
USERS=1000
SPEND=0
BUILD=1
NODE=1           # the Node reference row; --no-node (or no node/npm on PATH) leaves it out
BATCH_CLIENTS="" # pgbench clients for the batched hot path; default senders / batch, rounded up

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --pgbench-duration) PGBENCH_DURATION=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --senders) SENDERS=$2; shift 2 ;;
    --users) USERS=$2; shift 2 ;;
    --spend) SPEND=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --no-node) NODE=0; shift ;;
    --batch-clients) BATCH_CLIENTS=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option $1" >&2; usage 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/credits-bench.XXXXXX)
chmod 755 "$WORK"
PGDATA_DIR="$WORK/pg"
SERVER_PID=""
FAILED=0

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

# SIGTERM, not SIGINT: a background job of a non-interactive shell ignores SIGINT.
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

cleanup() {
  stop_server
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The server as it is deployed: published ReadyToRun (docs/operations.md), so start-up is not spent
# compiling what can be compiled ahead of time. The load generator runs from the build output.
CREDITS_OUT=bench/out/credits
CREDITS_DLL=$CREDITS_OUT/credits.dll
BENCH_DLL=bench/Credits.Bench/bin/Release/net10.0/credits-bench.dll
export STRIPE_WEBHOOK_SECRET="whsec_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export CREDITS_API_KEY="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
unset DATABASE_URL CREDITS_DATA_DIR CREDITS_LIVEMODE STRIPE_SECRET_KEY

echo "== machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
if [ "$BUILD" = 1 ]; then
  echo "== build (Release)"
  dotnet build Credits.slnx -c Release -warnaserror -nologo -v quiet 2>&1 | grep -E 'error|[1-9][0-9]* Warning' || true
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "build failed" >&2; exit 1; }
  echo "== publish the server (Release, ReadyToRun) to $CREDITS_OUT"
  dotnet publish src/Credits -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$CREDITS_OUT" -nologo -v quiet >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log"; exit 1; }
fi
[ -f "$CREDITS_DLL" ] || { echo "$CREDITS_DLL is missing: run without --no-build once" >&2; exit 1; }

# The Node reference: pinned dependencies installed by `npm ci` into a cache outside the repo.
if [ "$NODE" = 1 ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  echo "== Node reference SKIPPED: node or npm is not on PATH (install Node.js >= 18, or pass --no-node)"
  NODE=0
elif [ "$NODE" = 1 ]; then
  echo "== Node reference (bench/node-reference, node $(node --version)): npm ci into the cache"
  NODE_DIR=$(bench/node-reference/install.sh) || { echo "npm ci of bench/node-reference failed" >&2; exit 1; }
  echo "   $NODE_DIR"
else
  echo "== Node reference skipped (--no-node)"
fi

echo "== PostgreSQL from $PGBIN (fsync=on, synchronous_commit=on)"
PGPORT=$(free_port)
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
as_postgres "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust --no-sync >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log"; exit 1; }
as_postgres "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/postgres.log" -w -t 30 \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB -c fsync=on -c synchronous_commit=on" \
  start >/dev/null || { cat "$WORK/postgres.log"; exit 1; }
echo "   listening on 127.0.0.1:$PGPORT"

psql_admin() { "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atq "$@"; }
pg_url() { echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$1"; }

# A fresh database with the Credits schema, created by `credits migrate` (the real scripts).
new_database() {
  psql_admin -c "CREATE DATABASE $1" >/dev/null
  DATABASE_URL=$(pg_url "$1") dotnet "$CREDITS_DLL" migrate >/dev/null
}

# pgbench <script> <database> [clients]: prints transactions per second. Prepared statements, as
# the server prepares its own (Max Auto Prepare), so pgbench does not plan every statement again.
run_pgbench() {
  local out clients=${3:-$SENDERS}
  out=$("$PGBIN/pgbench" -n -M prepared -c "$clients" -j $((clients < 2 ? 1 : 2)) -T "$PGBENCH_DURATION" -f "$1" \
    -h 127.0.0.1 -p "$PGPORT" -U postgres "$2" 2>&1) || { echo "$out" >&2; echo "-"; return; }
  sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}

# start_server <log> [env...]: starts the server with the given environment; sets SERVER_PID,
# SERVER_URL and READY_MS (from launch until GET /readyz answers 200).
start_server() {
  local log=$1; shift
  start_process "$log" "$(free_port)" env "$@" dotnet "$CREDITS_DLL" serve --urls "http://127.0.0.1:{PORT}"
}

# start_node_reference <log> <database>: the Node reference on the same PostgreSQL, same contract.
start_node_reference() {
  local port; port=$(free_port)
  start_process "$1" "$port" env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGUSER=postgres PGDATABASE="$2" PORT="$port" \
    node "$NODE_DIR/server.js"
}

# start_process <log> <port> <command...>: {PORT} in the command is replaced by the port.
start_process() {
  local log=$1 port=$2; shift 2
  local started args=()
  for a in "$@"; do args+=("${a//\{PORT\}/$port}"); done
  SERVER_URL="http://127.0.0.1:$port"
  started=$(date +%s%N)
  "${args[@]}" >"$log" 2>&1 &
  SERVER_PID=$!
  until curl -sf -o /dev/null "$SERVER_URL/readyz"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $(( ($(date +%s%N) - started) / 1000000000 )) -gt 60 ]; then
      echo "the server did not become ready; its log:" >&2; tail -n 30 "$log" >&2; exit 1
    fi
    sleep 0.005
  done
  READY_MS=$(( ($(date +%s%N) - started) / 1000000 ))
}

# run_load <label> [--spend]: runs the load generator; prints its RESULT line's fields.
run_load() {
  local label=$1; shift
  local out rc=0
  out=$(dotnet "$BENCH_DLL" --url "$SERVER_URL" --senders "$SENDERS" --events "$EVENTS" --warmup "$WARMUP" \
    --users "$USERS" --duration "$DURATION" --server-pid "$SERVER_PID" --label "$label" "$@" 2>&1) || rc=$?
  sed 's/^/   /' <<<"$out" >&2
  if [ "$rc" = 3 ] && [ "${1:-}" = --spend ]; then
    # Exit 3 = no 2xx at all: until issue 4 is merged the spend route answers 404.
    echo "   ^^^ no spend succeeded (route missing?): left out of the table" >&2
    return
  elif [ "$rc" != 0 ]; then
    echo "   ^^^ load generator exited $rc for $label" >&2
    FAILED=1
  fi
  grep '^RESULT ' <<<"$out" | tail -n 1
}

# The server's peak resident set over everything it has served so far (VmHWM), in MiB.
peak_rss() { awk '/^VmHWM:/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status"; }

field() { local v; v=$(sed -nE "s/.* $1=([^ ]+).*/\1/p" <<<"$2"); echo "${v:--}"; }

# The running server's mean group-commit batch (items / transactions from /metrics, as bench/ab.sh
# prints it), rounded to the nearest whole grant, at least 1; "-" when the metrics are missing.
mean_batch() {
  curl -s "$SERVER_URL/metrics" | awk '
    /^credits_group_commit_items_total/ {i += $NF} /^credits_group_commit_transactions_total/ {t += $NF}
    END {if (t > 0) {n = int(i / t + 0.5); print (n < 1 ? 1 : n), sprintf("%.2f", i / t), int(i), int(t)} else print "- - - -"}'
}

ROWS=()
for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS"
  new_database "pgbench_$run"
  echo "   pgbench hot path (bench/hotpath.sql), $SENDERS clients, ${PGBENCH_DURATION} s"
  HOT=$(run_pgbench bench/hotpath.sql "pgbench_$run")
  echo "   -> $HOT tps"
  echo "   pgbench one statement (bench/single-statement.sql), $SENDERS clients, ${PGBENCH_DURATION} s"
  ONE=$(run_pgbench bench/single-statement.sql "pgbench_$run")
  echo "   -> $ONE tps"

  echo "   Credits on PostgreSQL"
  new_database "credits_$run"
  start_server "$WORK/server-pg-$run.log" DATABASE_URL="$(pg_url "credits_$run")"
  PG_READY=$READY_MS
  PG=$(run_load "postgres")
  PG_SPEND=""
  [ "$SPEND" = 1 ] && PG_SPEND=$(run_load "postgres-spend" --spend)
  PG_RSS=$(peak_rss)
  read -r BATCH BATCH_MEAN BATCH_ITEMS BATCH_TX <<<"$(mean_batch)"
  stop_server

  PGB_BATCH="-"
  if [ "$BATCH" != "-" ]; then
    clients=${BATCH_CLIENTS:-$(( (SENDERS + BATCH - 1) / BATCH ))}
    echo "   server's mean batch: $BATCH_ITEMS grants in $BATCH_TX commits = $BATCH_MEAN per commit -> $BATCH"
    bench/hotpath-batch.sh "$BATCH" >"$WORK/hotpath-x$BATCH.sql"
    echo "   pgbench hot path x$BATCH per transaction (bench/hotpath-batch.sh $BATCH), $clients clients, ${PGBENCH_DURATION} s"
    BATCH_TPS=$(run_pgbench "$WORK/hotpath-x$BATCH.sql" "pgbench_$run" "$clients")
    [ "$BATCH_TPS" != "-" ] && PGB_BATCH=$((BATCH_TPS * BATCH))
    echo "   -> $BATCH_TPS tps = $PGB_BATCH events/s"
  else
    echo "   no credits_group_commit_* counters in /metrics: the batched pgbench row is left out"
  fi

  NODE_RES=""
  if [ "$NODE" = 1 ]; then
    echo "   Node reference (Express + stripe-node + pg, 3 statements per event) on PostgreSQL"
    psql_admin -c "CREATE DATABASE node_$run" >/dev/null
    start_node_reference "$WORK/node-$run.log" "node_$run"
    NODE_RES=$(run_load "node")
    stop_server
  fi

  echo "   Credits on SQLite"
  SQLITE_DIR="$WORK/sqlite-$run"
  mkdir -p "$SQLITE_DIR"
  CREDITS_DATA_DIR="$SQLITE_DIR" dotnet "$CREDITS_DLL" migrate >/dev/null
  start_server "$WORK/server-sqlite-$run.log" CREDITS_DATA_DIR="$SQLITE_DIR"
  SQ_READY=$READY_MS
  SQ=$(run_load "sqlite")
  SQ_SPEND=""
  [ "$SPEND" = 1 ] && SQ_SPEND=$(run_load "sqlite-spend" --spend)
  SQ_RSS=$(peak_rss)
  stop_server

  ROWS+=("$run $HOT $ONE $(field per_s "$PG") $(field p99_ms "$PG") $(field per_s "$SQ") $(field p99_ms "$SQ") $PG_RSS $SQ_RSS $PG_READY $SQ_READY $(field per_s "$PG_SPEND") $(field per_s "$SQ_SPEND") $BATCH $PGB_BATCH $(field per_s "$NODE_RES") $(field p99_ms "$NODE_RES")")
done

# Column-wise medians over the runs (the machine is shared: single runs are noisy).
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
column() { for row in "${ROWS[@]}"; do awk -v c="$1" '{print $c}' <<<"$row"; done | grep -Ev '^(-|)$' | median; }

print_row() {
  # run hot one pg pg99 sq sq99 pgrss sqrss pgready sqready pgspend sqspend batch pgbbatch node node99
  awk -v spend="$SPEND" -v node="$NODE" '
  function ratio(a, b) { return (b ~ /^[0-9.]+$/ && b > 0 && a ~ /^[0-9.]+$/) ? sprintf("%.2fx", a / b) : "-" }
  {
    printf "%-7s %9s %9s %10s %7s %7s %10s %7s %12s %12s", $1, $2, $3, $4, $5, ratio($4, $3), $6, $7, $8 "/" $9, $10 "/" $11;
    if (spend == 1) printf " %11s %11s", $12, $13;
    printf " %5s %10s %7s", $14, $15, ratio($4, $15);
    if (node == 1) printf " %10s %8s %7s", $16, $17, ratio($4, $16);
    printf "\n";
  }' <<<"$1"
}

echo
echo "== results: $SENDERS senders/clients, pgbench ${PGBENCH_DURATION} s, load up to $EVENTS events or ${DURATION} s after $WARMUP warm-up, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
header=$(printf "%-7s %9s %9s %10s %7s %7s %10s %7s %12s %12s" run "pgb-hot" "pgb-1" "PG ev/s" "PG p99" "PG/1" "SQL ev/s" "SQL p99" "RSS MiB" "ready ms")
[ "$SPEND" = 1 ] && header="$header $(printf "%11s %11s" "PG spend/s" "SQL spend/s")"
header="$header $(printf "%5s %10s %7s" "batch" "pgb-xN" "PG/xN")"
[ "$NODE" = 1 ] && header="$header $(printf "%10s %8s %7s" "Node ev/s" "Node p99" "PG/Node")"
echo "$header"
units=$(printf "%-7s %9s %9s %10s %7s %7s %10s %7s %12s %12s" "" "(tps)" "(tps)" "" "(ms)" "" "" "(ms)" "(PG/SQLite)" "(PG/SQLite)")
[ "$SPEND" = 1 ] && units="$units $(printf "%11s %11s" "" "")"
units="$units $(printf "%5s %10s %7s" "(N)" "(ev/s)" "")"
[ "$NODE" = 1 ] && units="$units $(printf "%10s %8s %7s" "" "(ms)" "")"
echo "$units"
for row in "${ROWS[@]}"; do print_row "$row"; done
if [ "$RUNS" -gt 1 ]; then
  print_row "median $(for c in $(seq 2 17); do column "$c"; done | tr '\n' ' ')"
fi
echo "pgbench runs -M prepared. pgb-hot: bench/hotpath.sql (the server's SQL for one granted event, one transaction); pgb-1: bench/single-statement.sql;"
echo "PG/1: Credits on PostgreSQL over pgbench one statement; ready: launch until GET /readyz = 200; RSS: VmHWM."
echo "batch: the server's mean group commit in the PG load (items/transactions from /metrics, rounded); pgb-xN: pgbench"
echo "running bench/hotpath.sql N times per transaction, one pipeline (bench/hotpath-batch.sh N, senders/N clients), tps x N = events/s;"
echo "PG/xN: Credits on PostgreSQL over it."
[ "$NODE" = 1 ] && echo "Node: bench/node-reference (Express + stripe-node constructEvent + pg, 3 statements per event, 200 after COMMIT) on the same PostgreSQL under the same load generator; PG/Node: Credits on PostgreSQL over it."
[ "$NODE" = 1 ] || echo "Node reference columns left out (--no-node, or node/npm missing)."
if [ "$FAILED" != 0 ]; then
  echo "FAILED: a load run did not verify or had no successful request (see above)." >&2
  exit 1
fi
