#!/usr/bin/env bash
# Provides the S3-compatible server of the tests: test/s3-server/main.go (gofakes3 plus an access
# key check) built from the Go module proxy.
#
# Prints the path of the executable on stdout (everything else goes to stderr).
# - CBBS_S3_SERVER set and executable: that file is used as is.
# - otherwise it is built once into a cache keyed by the gofakes3 version and the source's hash
#   ($CBBS_CACHE_DIR, default ~/.cache/cbbs-operator) and reused afterwards.
# Nothing is ever written inside the repository.
set -euo pipefail

GOFAKES3_VERSION="${CBBS_GOFAKES3_VERSION:-1.2.0}"
CACHE="${CBBS_CACHE_DIR:-$HOME/.cache/cbbs-operator}"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/s3-server" && pwd)/main.go"

log() { echo "s3-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${CBBS_S3_SERVER:-}" ]; then
  [ -x "$CBBS_S3_SERVER" ] || die "CBBS_S3_SERVER=$CBBS_S3_SERVER is not an executable file"
  echo "$CBBS_S3_SERVER"; exit 0
fi

hash="$(sha256sum "$SRC" | cut -c1-12)"
BIN="$CACHE/s3-server-gofakes3-$GOFAKES3_VERSION-$hash/bin/s3-server"
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null 2>&1 || die "Go is not installed. Install Go >= 1.24 (https://go.dev/dl) or set CBBS_S3_SERVER."
  export GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  start=$SECONDS
  work="$CACHE/src/s3-server-gofakes3-$GOFAKES3_VERSION-$hash"
  mkdir -p "$work" "$(dirname "$BIN")"
  cp "$SRC" "$work/main.go"
  log "building s3-server (gofakes3 v$GOFAKES3_VERSION)"
  ( cd "$work"
    [ -f go.mod ] || go mod init local/s3-server >/dev/null 2>&1
    go get "github.com/johannesboyne/gofakes3@v$GOFAKES3_VERSION" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" . >&2 )
  mv "$BIN.tmp" "$BIN"
  log "built in $((SECONDS - start)) s into $BIN"
fi
echo "$BIN"
