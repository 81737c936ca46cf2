#!/usr/bin/env bash
# Prepares a machine for the project: Node >= 22.19 on PATH, npm packages, Kubernetes test
# binaries, the S3 server of the object-store tests, promtool, actionlint. Source it
# (`. scripts/setup.sh`) so PATH, KUBEBUILDER_ASSETS, CBBS_S3_SERVER, PROMTOOL and ACTIONLINT carry
# over. Each step is skipped when already done, so it is cheap to run every time.
_cbbs_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$_cbbs_root/scripts/ensure-node.sh" || return 1 2>/dev/null || exit 1

# npm ci only when package-lock.json changed since the last install.
_cbbs_lock_hash="$(sha256sum "$_cbbs_root/package-lock.json" | cut -d' ' -f1)"
# A symlinked node_modules is an install shared with other checkouts: npm ci would empty its target
# under them, so it is left alone (install from the checkout that owns it).
if [ ! -L "$_cbbs_root/node_modules" ] &&
  [ "$(cat "$_cbbs_root/node_modules/.cbbs-lock-hash" 2>/dev/null)" != "$_cbbs_lock_hash" ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  (cd "$_cbbs_root" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1 2>/dev/null || exit 1
  echo "$_cbbs_lock_hash" > "$_cbbs_root/node_modules/.cbbs-lock-hash"
fi

if [ "${CBBS_SKIP_K8S_BINARIES:-}" != "1" ]; then
  _cbbs_assets="$(bash "$_cbbs_root/scripts/k8s-binaries.sh")" || return 1 2>/dev/null || exit 1
  export KUBEBUILDER_ASSETS="$_cbbs_assets"
  export PATH="$_cbbs_assets:$PATH"
fi

# The S3-compatible server of the object-store tests (built from the Go module proxy, cached).
if [ "${CBBS_SKIP_S3_SERVER:-}" != "1" ]; then
  _cbbs_s3="$(bash "$_cbbs_root/scripts/s3-server.sh")" || return 1 2>/dev/null || exit 1
  export CBBS_S3_SERVER="$_cbbs_s3"
fi

# promtool for the PrometheusRule tests (built once from the Go module proxy into the cache).
if [ "${CBBS_SKIP_PROMTOOL:-}" != "1" ]; then
  _cbbs_promtool="$(bash "$_cbbs_root/scripts/promtool.sh")" || return 1 2>/dev/null || exit 1
  export PROMTOOL="$_cbbs_promtool"
fi

# Lua 5.4 for the Argo CD health-check tests (Debian package, installed once).
if [ "${CBBS_SKIP_LUA:-}" != "1" ]; then
  _cbbs_lua="$(bash "$_cbbs_root/scripts/lua.sh")" || return 1 2>/dev/null || exit 1
  export LUA="$_cbbs_lua"
fi

# actionlint for the workflow check of scripts/test.sh (Go module, built once into the cache).
if [ "${CBBS_SKIP_ACTIONLINT:-}" != "1" ]; then
  _cbbs_actionlint="$(bash "$_cbbs_root/scripts/actionlint.sh")" || return 1 2>/dev/null || exit 1
  export ACTIONLINT="$_cbbs_actionlint"
fi
