#!/usr/bin/env bash
# Body of `make fuzz` (run as root): schemathesis's CLI over every operation of /api/v1 on a
# real server (gunicorn, PostgreSQL with the Xingwang demo, Redis), as the secretary, a
# volunteer, a unit liaison and signed out; deeper than the bounded run in the test suite: its
# coverage phase (boundary and invalid values of every parameter), more fuzzed examples and the
# stateful phase (chains of calls that follow the links schemathesis infers between operations).
#
# Settings: FUZZ_EXAMPLES (per operation and phase, default 100), FUZZ_MAX_TIME (seconds per
# role, default 600), FUZZ_SEED (default 1), FUZZ_ROLES, PORT (default 5077). With DATABASE_URL
# and REDIS_URL already set, those servers are used (a database <name>_cli is made on the
# PostgreSQL one) and no service is started or stopped.
# Exit code: non-zero when any role's run found a failure. Reports: fuzz-report/.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[fuzz %(%H:%M:%S)T] %s\n' -1 "$*"; }

export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXAMPLES=${FUZZ_EXAMPLES:-100}
MAX_TIME=${FUZZ_MAX_TIME:-600}
SEED=${FUZZ_SEED:-1}
# The secretary last: her run may deactivate demo people (POST /people/{id}/deactivate), which
# signs them out, and the roles after her would then answer 401 to everything.
ROLES=${FUZZ_ROLES:-volunteer unit signed_out secretary}
PORT=${PORT:-5077}
REPORTS=fuzz-report
EXTERNAL=${DATABASE_URL:+1}

pkgs=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || pkgs+=(postgresql-15)
command -v redis-server >/dev/null || pkgs+=(redis-server)
if [ -z "$EXTERNAL" ] && ((${#pkgs[@]})); then
  log "apt-get install ${pkgs[*]}"
  apt-get update -qq
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$EXTERNAL" ]; then
    :
  elif [ -n "${COOP_KEEP_SERVICES:-}" ]; then
    log "services left running (COOP_KEEP_SERVICES)"
  else
    scripts/services.sh stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$EXTERNAL" ]; then
  log "start services"
  scripts/services.sh start
  eval "$(scripts/services.sh env)"
fi
DATABASE_URL=$(.venv/bin/python - <<'EOF'
import os
import sqlalchemy as sa
url = sa.engine.make_url(os.environ["DATABASE_URL"].replace("postgresql:", "postgresql+psycopg:", 1))
name = f"{url.database}_cli"
admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
with admin.connect() as connection:
    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
print(url.set(database=name).render_as_string(hide_password=False))
EOF
)
export DATABASE_URL
log "database $DATABASE_URL"

export COOP_ENV=production
SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
log "flask db upgrade + demo load"
.venv/bin/flask --app coop db upgrade 2>/dev/null
.venv/bin/flask --app coop demo load

log "gunicorn on 127.0.0.1:$PORT"
.venv/bin/gunicorn --workers 2 --threads 4 --bind "127.0.0.1:$PORT" --log-level warning \
  "coop:create_app()" &
server=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 100); do
  .venv/bin/python -c "import urllib.request as u; u.urlopen('$BASE/api/v1/openapi.json')" \
    2>/dev/null && break
  sleep 0.2
done

token() {
  .venv/bin/python - "$BASE" "$1" <<'EOF'
import json, sys, urllib.request
from coop.demo import DEMO_PASSWORD
body = json.dumps({"username": sys.argv[2], "password": DEMO_PASSWORD}).encode()
request = urllib.request.Request(
    sys.argv[1] + "/api/v1/tokens", body, {"Content-Type": "application/json"}
)
print(json.load(urllib.request.urlopen(request))["token"])
EOF
}

# All tokens first: a run's fuzzed sign-ins soon trip the address's sign-in limit (429).
declare -A tokens
for role in $ROLES; do
  if [ "$role" != signed_out ]; then tokens[$role]=$(token "$role"); fi
done

rm -rf "$REPORTS"
mkdir -p "$REPORTS"
status=0
for role in $ROLES; do
  args=()
  if [ "$role" != signed_out ]; then
    # The token must live through the run: signing out with it is left to the signed-out run
    # and the test suite.
    args+=(-H "Authorization: Bearer ${tokens[$role]}" --exclude-path /api/v1/tokens/current)
  fi
  log "schemathesis as $role: up to $EXAMPLES examples per operation, at most ${MAX_TIME}s"
  started=$SECONDS
  .venv/bin/st run "$BASE/api/v1/openapi.json" "${args[@]}" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful --max-examples "$EXAMPLES" \
    --max-time "$MAX_TIME" --seed "$SEED" --workers 2 --no-color --rate-limit auto \
    --report har --report-har-path "$REPORTS/$role.har" \
    >"$REPORTS/$role.txt" 2>&1 || status=1
  tail -n 25 "$REPORTS/$role.txt"
  .venv/bin/python - "$role" "$REPORTS/$role.har" $((SECONDS - started)) <<'EOF' | tee -a "$REPORTS/summary.txt"
import collections, json, sys
role, har, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
entries = json.load(open(har, encoding="utf-8"))["log"]["entries"]
statuses = collections.Counter(entry["response"]["status"] for entry in entries)
errors = sum(n for status, n in statuses.items() if status >= 500)
print(f"{role}: {len(entries)} requests in {seconds} s, {errors} answered 5xx; {dict(sorted(statuses.items()))}")
EOF
done
log "reports in $REPORTS/"
exit $status
