#!/usr/bin/env bash
# Builds the operator image (Dockerfile at the repository root) with whichever OCI builder this
# machine has, tried in this order: docker buildx, docker build (both need a reachable engine),
# podman, buildah, nerdctl, kaniko. Exits 2 with what it found, and what would help, when none can
# build. Release images (multi-arch, signed, with an SBOM) come from .github/workflows/release.yml.
#
#   make image                                   # IMAGE:TAG, default ghcr.io/cbbs-operator/cbbs-operator:<version>
#   IMAGE=registry.example.com/cbbs-operator TAG=dev make image
#   CBBS_IMAGE_BUILDER=podman make image         # choose the builder instead of detecting it
#   PLATFORMS=linux/amd64,linux/arm64 PUSH=1 make image   # multi-arch needs buildx or podman, and a push
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json | head -n1)"
IMAGE="${IMAGE:-ghcr.io/cbbs-operator/cbbs-operator}"
TAG="${TAG:-${version:-dev}}"
PLATFORMS="${PLATFORMS:-}"
PUSH="${PUSH:-0}"
ref="$IMAGE:$TAG"

log() { echo "image: $*" >&2; }

# Why each candidate was passed over, for the message when none is usable.
notes=()

docker_engine() { # true when the docker client reaches an engine
  local err
  if err="$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null)"; then return 0; fi
  notes+=("docker: client found, but no engine answers ($(head -n1 <<<"$err"))")
  return 1
}

builder="${CBBS_IMAGE_BUILDER:-}"
detect() { # sets builder (not in a subshell, so that notes survive)
  if command -v docker >/dev/null 2>&1 && docker_engine; then
    if docker buildx version >/dev/null 2>&1; then builder=buildx; return; fi
    notes+=("docker buildx: plugin not installed")
    builder=docker; return
  elif ! command -v docker >/dev/null 2>&1; then
    notes+=("docker: not installed")
  fi
  for b in podman buildah nerdctl; do
    if command -v "$b" >/dev/null 2>&1; then builder="$b"; return; fi
    notes+=("$b: not installed")
  done
  if [ -x /kaniko/executor ]; then builder=kaniko; return; fi
  notes+=("kaniko: no /kaniko/executor (it runs inside its own container image)")
}
[ -n "$builder" ] || detect
if [ -z "$builder" ]; then
  {
    echo "image: no OCI image builder can run on this machine, so no image was built."
    for n in "${notes[@]}"; do echo "  - $n"; done
    echo "Any one of these builds it: start a Docker engine (dockerd, Docker Desktop, or DOCKER_HOST"
    echo "pointing at one), or install podman, buildah or nerdctl; in a cluster, kaniko."
    echo "Published images are built by .github/workflows/release.yml on a version tag."
    echo "What the image runs can be checked without a builder: bash scripts/check-production-build.sh"
  } >&2
  exit 2
fi

if [ -n "$PLATFORMS" ] && [ "$PUSH" != "1" ] && [[ "$PLATFORMS" == *,* ]]; then
  log "a multi-platform image cannot be loaded into a local store: set PUSH=1 to push $ref"
  exit 2
fi

args=()
case "$builder" in
  buildx)
    args=(docker buildx build -f Dockerfile -t "$ref")
    [ -n "$PLATFORMS" ] && args+=(--platform "$PLATFORMS")
    if [ "$PUSH" = "1" ]; then args+=(--push); else args+=(--load); fi
    args+=(.)
    ;;
  docker | nerdctl)
    args=("$builder" build -f Dockerfile -t "$ref")
    [ -n "$PLATFORMS" ] && args+=(--platform "$PLATFORMS")
    args+=(.)
    ;;
  podman)
    if [ -n "$PLATFORMS" ]; then args=(podman build -f Dockerfile --platform "$PLATFORMS" --manifest "$ref" .)
    else args=(podman build -f Dockerfile -t "$ref" .); fi
    ;;
  buildah)
    args=(buildah bud -f Dockerfile -t "$ref")
    [ -n "$PLATFORMS" ] && args+=(--platform "$PLATFORMS")
    args+=(.)
    ;;
  kaniko)
    args=(/kaniko/executor --context "dir://$root" --dockerfile Dockerfile --destination "$ref")
    [ "$PUSH" = "1" ] || args+=(--no-push)
    ;;
  *)
    log "unknown CBBS_IMAGE_BUILDER=$builder (buildx, docker, podman, buildah, nerdctl or kaniko)"
    exit 2
    ;;
esac

log "building $ref with $builder"
"${args[@]}" || { log "$builder failed to build $ref"; exit 1; }

if [ "$PUSH" = "1" ] && [ "$builder" != buildx ] && [ "$builder" != kaniko ]; then
  case "$builder" in
    podman)
      if [ -n "$PLATFORMS" ]; then push=(podman manifest push "$ref" "docker://$ref"); else push=(podman push "$ref"); fi
      ;;
    *) push=("$builder" push "$ref") ;;
  esac
  log "pushing $ref"
  "${push[@]}" || { log "push of $ref failed"; exit 1; }
fi
log "built $ref"
