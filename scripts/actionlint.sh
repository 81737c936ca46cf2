#!/usr/bin/env bash
# Provides actionlint (the GitHub Actions workflow linter, a Go module) for `scripts/test.sh`.
#
# Prints the path of the binary on stdout (everything else goes to stderr). Uses $ACTIONLINT when it
# names an executable; otherwise builds the pinned version once from the Go module proxy into a
# cache keyed by version ($CBBS_CACHE_DIR, default ~/.cache/cbbs-operator), as k8s-binaries.sh does.
# Nothing is ever written inside the repository.
set -euo pipefail

ACTIONLINT_VERSION="${CBBS_ACTIONLINT_VERSION:-1.7.12}"
CACHE="${CBBS_CACHE_DIR:-$HOME/.cache/cbbs-operator}"
BIN="$CACHE/actionlint-$ACTIONLINT_VERSION/bin"

log() { echo "actionlint.sh: $*" >&2; }

if [ -n "${ACTIONLINT:-}" ] && [ -x "$ACTIONLINT" ]; then echo "$ACTIONLINT"; exit 0; fi
if [ -x "$BIN/actionlint" ]; then echo "$BIN/actionlint"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "error: Go is not installed, so actionlint cannot be built. Install Go >= 1.24 (https://go.dev/dl) or set ACTIONLINT=/path/to/actionlint."; exit 1; }
mkdir -p "$BIN"
log "building actionlint v$ACTIONLINT_VERSION"
GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" \
  go install -trimpath -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
echo "$BIN/actionlint"
