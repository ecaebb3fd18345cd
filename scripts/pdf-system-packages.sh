#!/usr/bin/env bash
# What WeasyPrint needs from the system: pango (and its FreeType backend) and a CJK font, or
# Chinese prints as boxes. As root (make test, .ci/run) it installs what is missing with apt;
# otherwise (make run as a user) it says what to install and goes on.
set -euo pipefail
log() { printf '[pdf %(%H:%M:%S)T] %s\n' -1 "$*"; }

pkgs=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1\.0\.so' || pkgs+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1\.0\.so' || pkgs+=(libpangoft2-1.0-0)
# Any installed font covering Chinese will do; the small WenQuanYi Micro Hei when there is none.
fc-list :lang=zh 2>/dev/null | grep -q . || pkgs+=(fontconfig fonts-wqy-microhei)
((${#pkgs[@]})) || exit 0
if [ "$(id -u)" = 0 ]; then
  log "apt-get install ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
else
  log "PDFs need: sudo apt-get install ${pkgs[*]}  (until then Chinese in PDFs may print as boxes)"
fi
