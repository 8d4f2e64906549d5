#!/usr/bin/env bash
# Builds, starts a throwaway PostgreSQL from this machine's binaries, runs every test against
# SQLite and PostgreSQL, stops the server, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RESULTS=$(mktemp -d /tmp/credits-test-results.XXXXXX)
PGROOT=""

stop_postgres() {
  if [ -n "$PGROOT" ] && [ -f "$PGROOT/data/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$PGROOT" ] && rm -rf "$PGROOT"
}
trap stop_postgres EXIT

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port tries
  for tries in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

echo "== build"
dotnet build Credits.slnx -c Release -warnaserror -nologo -v quiet >"$RESULTS/build.txt" 2>&1
build=$?
grep -Ev '^\s*$' "$RESULTS/build.txt" | tail -n 30
if [ "$build" != 0 ]; then echo "0 passed, 1 failed"; exit 1; fi

if [ -x "$PGBIN/postgres" ]; then
  echo "== PostgreSQL from $PGBIN"
  PGROOT=$(mktemp -d /tmp/credits-pg.XXXXXX)
  chmod 755 "$PGROOT"
  [ "$(id -u)" = 0 ] && chown postgres "$PGROOT"
  PORT=$(free_port)
  as_postgres "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust --no-sync >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log"; echo "0 passed, 1 failed"; exit 1; }
  as_postgres "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
    -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB" start >/dev/null \
    || { cat "$PGROOT/server.log"; echo "0 passed, 1 failed"; exit 1; }
  export CREDITS_TEST_POSTGRES="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
  echo "   listening on 127.0.0.1:$PORT"
else
  echo "== PostgreSQL binaries not found at $PGBIN: PostgreSQL tests will be reported as skipped"
fi

# The dashboard's browser test drives Debian's chromium; install it quietly if missing (it skips, saying so, without).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing chromium for the dashboard browser test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$RESULTS/chromium.txt" 2>&1 \
    || echo "   chromium could not be installed (see $RESULTS/chromium.txt): the dashboard browser test will be skipped"
fi

# The alert rules' tests run Prometheus's promtool; Debian's prometheus package has it (they skip, saying so, without).
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing prometheus (promtool) for the alert rule tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >"$RESULTS/prometheus.txt" 2>&1 \
    || echo "   prometheus could not be installed (see $RESULTS/prometheus.txt): the promtool tests will be skipped"
fi

# The pooler tests go through a real PgBouncer in pool_mode=transaction in front of the throwaway
# PostgreSQL (Debian's package; installed quietly if missing, they skip, saying so, without).
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
PGBOUNCER_PID=""
stop_pgbouncer() {
  if [ -n "$PGBOUNCER_PID" ] && [ -f "$PGBOUNCER_PID" ]; then kill "$(cat "$PGBOUNCER_PID")" 2>/dev/null || true; fi
}
trap 'stop_pgbouncer; stop_postgres' EXIT
if [ ! -x "$PGBOUNCER" ] && [ "$(id -u)" = 0 ]; then
  echo "== installing pgbouncer for the pooler tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer) >"$RESULTS/pgbouncer.txt" 2>&1 \
    || echo "   pgbouncer could not be installed (see $RESULTS/pgbouncer.txt): the pooler tests will be skipped"
fi
if [ -n "$PGROOT" ] && [ -x "$PGBOUNCER" ]; then
  BOUNCER_PORT=$(free_port)
  printf '%s\n' "[databases]" "* = host=127.0.0.1 port=$PORT user=postgres" "[pgbouncer]" \
    "listen_addr = 127.0.0.1" "listen_port = $BOUNCER_PORT" "unix_socket_dir =" "auth_type = any" \
    "pool_mode = transaction" "default_pool_size = 8" "max_client_conn = 2000" \
    "pidfile = $PGROOT/pgbouncer.pid" "logfile = $PGROOT/pgbouncer.log" >"$PGROOT/pgbouncer.ini"
  [ "$(id -u)" = 0 ] && chown postgres "$PGROOT/pgbouncer.ini"
  if as_postgres "$PGBOUNCER" -d -q "$PGROOT/pgbouncer.ini" >"$RESULTS/pgbouncer-start.txt" 2>&1; then
    PGBOUNCER_PID="$PGROOT/pgbouncer.pid"
    export CREDITS_TEST_PGBOUNCER="Host=127.0.0.1;Port=$BOUNCER_PORT;Username=postgres;Database=postgres"
    echo "== PgBouncer $("$PGBOUNCER" --version | head -n 1 | cut -d' ' -f2) (pool_mode=transaction) on 127.0.0.1:$BOUNCER_PORT"
  else
    echo "   pgbouncer did not start (see $RESULTS/pgbouncer-start.txt): the pooler tests will be skipped"
  fi
fi

echo "== tests (SQLite and PostgreSQL)"
unset DATABASE_URL STRIPE_WEBHOOK_SECRET CREDITS_API_KEY CREDITS_LIVEMODE
dotnet tests/Credits.Tests/bin/Release/net10.0/Credits.Tests.dll -noColor "$@" \
  | tee "$RESULTS/output.txt" | grep -Ev '^\s*$' | grep -v '^  *\[PASS\]' || true

# The PostgreSQL classes once more with the one-statement fast paths off (CREDITS_FAST_PATHS=false) and
# group commit's statement pipeline off (CREDITS_PIPELINE=false), so the per-statement path and the
# one-item-after-another batch are proven on PostgreSQL too. Servers in the test process and child
# processes read the variables; DatabaseFixture.Settings passes them to the ledger. With arguments, the same
# selection runs again.
if [ -n "$PGROOT" ]; then
  echo "== tests again on PostgreSQL with CREDITS_FAST_PATHS=false CREDITS_PIPELINE=false"
  if [ "$#" -gt 0 ]; then second=("$@"); else second=(-class '*.Postgres*'); fi
  CREDITS_FAST_PATHS=false CREDITS_PIPELINE=false dotnet tests/Credits.Tests/bin/Release/net10.0/Credits.Tests.dll -noColor "${second[@]}" \
    | tee "$RESULTS/output-slow-path.txt" | grep -Ev '^\s*$' | grep -v '^  *\[PASS\]' || true
fi

# Sums the summary lines of both runs into the one final line.
passed=0 failed=0 skipped=0 total=0
for output in "$RESULTS/output.txt" "$RESULTS/output-slow-path.txt"; do
  [ -f "$output" ] || continue
  summary=$(grep -E 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$output" | tail -n 1)
  if [ -z "$summary" ]; then
    echo "no test summary in $output"
    echo "0 passed, 1 failed"
    exit 1
  fi
  t=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$summary")
  e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$summary")
  f=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$summary")
  n=$(sed -nE 's/.*Not Run: ([0-9]+).*/\1/p' <<<"$summary"); n=${n:-0}
  total=$((total + t))
  passed=$((passed + t - f - s - n))
  failed=$((failed + f + e))
  skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$total" -gt 0 ]
