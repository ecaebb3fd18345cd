#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + Redis for the test suite (see /work/shared/ci-recipe.md).
#   scripts/services.sh start   # (re)start both, fresh coop_test database, empty redis
#   scripts/services.sh stop    # stop both; fine if already down
#   scripts/services.sh env     # print export lines for DATABASE_URL / REDIS_URL
# Must run as root. Settings: COOP_SERVICES_DIR, PGPORT, REDIS_PORT.
set -euo pipefail

# postgres must be able to reach the state dir, so it must not be under /root.
STATE=${COOP_SERVICES_DIR:-/tmp/coop-ci-services}
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=${PGPORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PGDB=coop_test
PGDATA=$STATE/pg

log() { printf '[services %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# initdb refuses root; cd / because postgres cannot chdir into a cwd under /root.
pg() { (cd / && runuser -u postgres -- "$@"); }
psql_() { "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

pg_running() { [ -f "$PGDATA/PG_VERSION" ] && pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
pg_ready() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; }
redis_ours() {
  # Only touch a redis whose working dir is our state dir, never someone else's on that port.
  [ "$(rcli config get dir 2>/dev/null | sed -n 2p)" = "$(cd "$STATE" 2>/dev/null && pwd -P)" ]
}

stop_pg() {
  if [ -f "$PGDATA/PG_VERSION" ]; then
    pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

start_pg() {
  if pg_running && pg_ready; then
    log "postgres already up on 127.0.0.1:$PGPORT"
  else
    if pg_ready; then die "port $PGPORT is answering but not from $PGDATA; set PGPORT"; fi
    # Not up (never started, stopped, or killed leaving a stale postmaster.pid):
    # a fresh cluster is cheap (~1 s) and avoids any leftover or half-written state.
    stop_pg
    log "initdb + start postgres on 127.0.0.1:$PGPORT ($PGDATA)"
    rm -rf "$PGDATA"
    install -d -o postgres -g postgres -m 700 "$PGDATA"
    pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA'
fsync = off
synchronous_commit = off
full_page_writes = off
# headroom for many xdist workers, each with its own connection pool
max_connections = 200
EOF
    if ! pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null; then
      tail -n 20 "$PGDATA/server.log" >&2 || true
      die "postgres did not start"
    fi
  fi
  for _ in $(seq 100); do pg_ready && break; sleep 0.1; done
  pg_ready || die "postgres not answering on 127.0.0.1:$PGPORT"

  # Drop coop_test and the suite's per-worker databases left by an earlier run.
  log "recreate database $PGDB"
  local db
  for db in $(psql_ -d postgres -At -c \
    "SELECT datname FROM pg_database WHERE datname LIKE '${PGDB//_/\\_}%'"); do
    psql_ -d postgres -c "DROP DATABASE \"$db\" WITH (FORCE)"
  done
  psql_ -d postgres -c "CREATE DATABASE $PGDB"
}

start_redis() {
  if [ "$(rcli ping 2>/dev/null)" = PONG ]; then
    redis_ours || die "port $REDIS_PORT has a redis that is not ours; set REDIS_PORT"
    log "redis already up on 127.0.0.1:$REDIS_PORT"
  else
    log "start redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' \
      --appendonly no --dir "$STATE" --pidfile "$STATE/redis.pid" \
      --logfile "$STATE/redis.log" || die "redis-server failed (see $STATE/redis.log)"
    for _ in $(seq 100); do [ "$(rcli ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
    [ "$(rcli ping 2>/dev/null)" = PONG ] || die "redis not answering (see $STATE/redis.log)"
  fi
  rcli flushall >/dev/null
}

stop_redis() {
  if redis_ours; then rcli shutdown nosave >/dev/null 2>&1 || true; fi
}

print_env() {
  echo "export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$PGPORT/$PGDB"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

need_root() { [ "$(id -u)" = 0 ] || die "run as root (postgres is started via runuser)"; }

case ${1:-} in
  start)
    need_root
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    start_pg
    start_redis
    log "services up"
    ;;
  stop)
    need_root
    log "stop services"
    stop_redis
    stop_pg
    ;;
  env) print_env ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
