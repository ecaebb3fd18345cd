#!/usr/bin/env bash
# Body of `make test` (run as root): apt packages, services, lint, pytest.
# Extra arguments go to pytest. The .venv is prepared by the Makefile.
# Services are always stopped afterwards (COOP_KEEP_SERVICES=1 keeps them up)
# and the exit code is that of the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test %(%H:%M:%S)T] %s\n' -1 "$*"; }

export DEBIAN_FRONTEND=noninteractive CI=${CI:-true} LANG=C.UTF-8
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

pkgs=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || pkgs+=(postgresql-15)
command -v redis-server >/dev/null || pkgs+=(redis-server)
command -v chromium >/dev/null || pkgs+=(chromium)
if ((${#pkgs[@]})); then
  log "apt-get install ${pkgs[*]}"
  apt-get update -qq
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
scripts/pdf-system-packages.sh  # pango and a CJK font for WeasyPrint

stop_services() {
  if [ -n "${COOP_KEEP_SERVICES:-}" ]; then
    log "services left running (COOP_KEEP_SERVICES)"
  else
    scripts/services.sh stop || true
  fi
}
trap stop_services EXIT
# Without these, a Ctrl-C or kill could skip the EXIT trap and leave the daemons up.
trap 'exit 130' INT
trap 'exit 143' TERM

log "start services"
scripts/services.sh start
eval "$(scripts/services.sh env)"
export CHROMIUM_PATH=/usr/bin/chromium

log "ruff check"
.venv/bin/ruff check .
log "ruff format --check"
.venv/bin/ruff format --check .
log "pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-auto}" "$@"
log "all checks passed"
