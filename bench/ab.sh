#!/usr/bin/env bash
# Side-by-side experiments: one server (PostgreSQL or SQLite) with extra environment, one load run,
# and how the CPU split between server, PostgreSQL and load generator in a 5 s window after warm-up.
#   bench/ab.sh pg|sqlite [NAME=value ...]     e.g. bench/ab.sh pg CREDITS_WRITE_LANES=2
# Environment: DLL (default the bench/run.sh publish, bench/out/credits/credits.dll), WARMUP (40000),
# EVENTS (60000), DUR (10), BENCHARGS (e.g. --spend), SAMPLE_AT (seconds after start to sample, 30),
# PG_OPTS (extra postgres settings, e.g. "-c shared_preload_libraries=pg_stat_statements"),
# PG_SQL (a query whose answer is printed before PostgreSQL stops, e.g. on pg_stat_statements),
# PERF=1 (perf record -g on the server for 5 s at SAMPLE_AT; needs DOTNET_PerfMapEnabled=1 to name .NET frames).
# Run bench/run.sh once first (it builds and publishes). Alternate the variants and compare medians:
# this machine is shared and single runs vary by 15 %.
set -u
MODE=$1; shift
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DLL=${DLL:-bench/out/credits/credits.dll}
BENCH=bench/Credits.Bench/bin/Release/net10.0/credits-bench.dll
W=$(mktemp -d /tmp/credits-ab.XXXX); chmod 755 "$W"
PORT=$((20000 + RANDOM % 20000)); SPORT=$((40000 + RANDOM % 20000))
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
SPID=""
cleanup() {
  [ -n "$SPID" ] && kill $SPID 2>/dev/null && wait $SPID 2>/dev/null
  [ "$MODE" = pg ] && as_postgres "$PGBIN/pg_ctl" -D "$W/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
if [ "$MODE" = pg ]; then
  [ "$(id -u)" = 0 ] && chown postgres "$W"
  as_postgres "$PGBIN/initdb" -D "$W/data" -U postgres -A trust >/dev/null 2>&1
  as_postgres "$PGBIN/pg_ctl" -D "$W/data" -l "$W/pg.log" -w -o "-p $PORT -k $W -c listen_addresses=127.0.0.1 -c shared_buffers=128MB ${PG_OPTS:-}" start >/dev/null
  export DATABASE_URL="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
else
  export CREDITS_DATA_DIR=$W/sqlite
fi
export STRIPE_WEBHOOK_SECRET=whsec_ab_secret_0123456789 CREDITS_API_KEY=ab-api-key-0123456789abcdef
env "$@" dotnet "$DLL" serve --urls "http://127.0.0.1:$SPORT" >"$W/server.log" 2>&1 &
SPID=$!
until curl -sf -o /dev/null "http://127.0.0.1:$SPORT/readyz"; do
  kill -0 $SPID 2>/dev/null || { echo "server exited before ready:" >&2; cat "$W/server.log" >&2; exit 1; }
  sleep 0.05
done
ticks() { if [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ]; then awk '{print $14+$15}' "/proc/$1/stat"; else echo 0; fi; }
items() { curl -s "http://127.0.0.1:$SPORT/metrics" | awk '/^credits_group_commit_items_total/ {n += $NF} END {printf "%d", n}'; }
# Only this run's PostgreSQL (its postmaster and children): other servers on the machine are not counted.
pg_ticks() {
  local t=0 pm
  pm=$(head -1 "$W/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  for p in $pm $(pgrep -P "$pm"); do t=$((t + $(ticks "$p"))); done; echo $t
}
(sleep "${SAMPLE_AT:-30}"; b=$(pgrep -f -- "--server-pid $SPID" | head -1)
 s0=$(ticks $SPID); p0=$(pg_ticks); b0=$(ticks "$b"); i0=$(items)
 [ -n "${PERF:-}" ] && perf record -F 499 -g -p $SPID -o "${PERF_OUT:-/tmp/perf.data}" -- sleep 5 >/dev/null 2>&1 || sleep 5
 s=$(( $(ticks $SPID) - s0 )); p=$(( $(pg_ticks) - p0 )); n=$(( $(items) - i0 ))
 # A load generator that has exited cannot be read: its column is left out rather than shown negative.
 if [ -n "$b" ] && [ -r "/proc/$b/stat" ]; then l=$(( $(ticks "$b") - b0 )); lr=$((l * 10000 / (n > 0 ? n : 1))); else
   l=-; lr=-; echo "the load generator finished before the 5 s window ended: its CPU is left out and the window was partly idle (set SAMPLE_AT earlier)"; fi
 echo "cpu over 5 s (ticks, 100 per core-second): server $s postgres $p load generator $l"
 [ "$n" -gt 0 ] && echo "cpu per request (µs, $n requests committed in the window): server $((s * 10000 / n)) postgres $((p * 10000 / n)) load generator $lr") &
dotnet "$BENCH" --url "http://127.0.0.1:$SPORT" --secret "$STRIPE_WEBHOOK_SECRET" --api-key "$CREDITS_API_KEY" \
  --events "${EVENTS:-60000}" --warmup "${WARMUP:-40000}" --duration "${DUR:-10}" --server-pid $SPID ${BENCHARGS:-} 2>&1 | grep -E "RESULT|FAIL"
wait %2 2>/dev/null
curl -s "http://127.0.0.1:$SPORT/metrics" | awk '/^credits_group_commit_(items|transactions)_total/ {v[$1]=$NF} END {
  for (k in v) { if (k ~ /items/) i=v[k]; else t=v[k] } if (t > 0) printf "group commit: %d items in %d transactions, %.1f per commit\n", i, t, i/t }'
[ -n "${PG_SQL:-}" ] && psql -h 127.0.0.1 -p $PORT -U postgres -d postgres -c "$PG_SQL"
