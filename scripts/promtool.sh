#!/usr/bin/env bash
# Provides promtool for the PrometheusRule tests (test/integration/prometheus-rules.test.ts).
#
# Prints the path of the promtool binary on stdout (everything else goes to stderr).
# - PROMTOOL set and executable: used as is.
# - otherwise promtool is built once from the Go module proxy into a cache keyed by version
#   ($CBBS_CACHE_DIR, default ~/.cache/cbbs-operator) and reused afterwards.
# Nothing is ever written inside the repository.
set -euo pipefail

PROMETHEUS_VERSION="${CBBS_PROMETHEUS_VERSION:-0.316.0}"
CACHE="${CBBS_CACHE_DIR:-$HOME/.cache/cbbs-operator}"
BIN="$CACHE/prometheus-$PROMETHEUS_VERSION/bin"

log() { echo "promtool.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ]; then echo "$PROMTOOL"; exit 0; fi
if [ -x "$BIN/promtool" ]; then echo "$BIN/promtool"; exit 0; fi

command -v go >/dev/null 2>&1 || die "Go is not installed and PROMTOOL is not set. Install Go >= 1.26 (https://go.dev/dl) or set PROMTOOL."
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
# Prometheus tags its Go module v0.x (v3.y.z releases are tagged v0.3yz.z); its go.mod carries no
# replace directives that would block a build from the module cache, so build in the module's own
# directory, which keeps exactly the dependency versions Prometheus pins (GOWORK=off: the module
# ships a go.work for its own development that does not apply here).
start=$SECONDS
src="$(go mod download -json "github.com/prometheus/prometheus@v$PROMETHEUS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$src" ] || die "could not download github.com/prometheus/prometheus@v$PROMETHEUS_VERSION from the module proxy"
mkdir -p "$BIN"
log "building promtool v$PROMETHEUS_VERSION"
# remove_all_sd leaves out every service-discovery plugin (AWS, Azure, GCE, Kubernetes…): promtool's
# rule checks and rule unit tests need none of them, and they are most of the build (249 s instead of
# 1,365 s measured here, the latter on a busier machine).
( cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -tags remove_all_sd -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    -o "$BIN/promtool.tmp" ./cmd/promtool ) >&2
mv "$BIN/promtool.tmp" "$BIN/promtool"
log "built in $((SECONDS - start)) s into $BIN"
echo "$BIN/promtool"
