#!/usr/bin/env bash
# Makes a Lua 5.4 interpreter available for the Argo CD health-check tests
# (test/unit/argocd-health.test.ts). Installs Debian's lua5.4 with apt-get when it is missing, and
# prints the interpreter's path on stdout (everything else goes to stderr).
# Argo CD runs health scripts with gopher-lua (Lua 5.1 semantics); the scripts use only the subset
# common to 5.1 and 5.4, so a 5.4 interpreter is a faithful judge.
set -euo pipefail

log() { echo "lua.sh: $*" >&2; }

find_lua() {
  local candidate
  for candidate in "${LUA:-}" lua5.4 lua; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -v 2>&1 | grep -q '^Lua 5\.4'; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if find_lua; then exit 0; fi

command -v apt-get >/dev/null 2>&1 || { log "error: no lua5.4 on PATH and no apt-get to install it; install Lua 5.4 or set LUA=/path/to/lua5.4"; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "error: installing lua5.4 needs root (or sudo)"; exit 1; }
  sudo="sudo"
fi
log "installing lua5.4 with apt-get"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends lua5.4 >&2
find_lua || { log "error: lua5.4 still not found after apt-get install"; exit 1; }
