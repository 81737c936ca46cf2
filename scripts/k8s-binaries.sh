#!/usr/bin/env bash
# Provides kube-apiserver, etcd, kubectl and helm for tests, envtest-style.
#
# Prints the directory holding the four binaries on stdout (everything else goes to stderr).
# - KUBEBUILDER_ASSETS set and holding kube-apiserver + etcd: that directory is used as is
#   (kubectl and helm are still built into the cache when missing there).
# - otherwise the binaries are built once from the Go module proxy into a cache keyed by version
#   ($CBBS_CACHE_DIR, default ~/.cache/cbbs-operator) and reused afterwards.
# Nothing is ever written inside the repository.
set -euo pipefail

K8S_VERSION="${CBBS_K8S_VERSION:-1.36.3}"
ETCD_VERSION="${CBBS_ETCD_VERSION:-3.6.16}"
HELM_VERSION="${CBBS_HELM_VERSION:-3.21.4}"
CACHE="${CBBS_CACHE_DIR:-$HOME/.cache/cbbs-operator}"
BIN="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION/bin"

log() { echo "k8s-binaries: $*" >&2; }
die() { log "error: $*"; exit 1; }

have_assets() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ]; }

need_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed and KUBEBUILDER_ASSETS does not name a directory \
with kube-apiserver and etcd. Install Go >= 1.26 (https://go.dev/dl) or set KUBEBUILDER_ASSETS."
}

# Builds one Go main package inside a throwaway wrapper module (k8s.io/kubernetes and etcd's server
# module carry replace directives, so `go install pkg@version` refuses them).
build_in_wrapper() { # <work dir> <output name> <package> [ldflags]
  local work="$1" out="$2" pkg="$3" ldflags="${4:-}"
  ( cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$BIN/$out.tmp" "$pkg" )
  mv "$BIN/$out.tmp" "$BIN/$out"
}

build_kubernetes() {
  local work="$CACHE/src/kubernetes-$K8S_VERSION" staging="v0.${K8S_VERSION#1.}"
  mkdir -p "$work"
  ( cd "$work"
    [ -f go.mod ] || go mod init local/kubernetes-wrapper >/dev/null 2>&1
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v$K8S_VERSION from the module proxy"
    # Replace each staging module (v0.0.0 => ./staging/...) with its published version.
    for m in $(grep -oE '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}'); do
      go mod edit -replace="$m=$m@$staging"
    done
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@v$K8S_VERSION" >&2
  )
  local minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  local ld="-X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  [ -x "$BIN/kube-apiserver" ] || { log "building kube-apiserver v$K8S_VERSION"; build_in_wrapper "$work" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ld"; }
  [ -x "$BIN/kubectl" ] || { log "building kubectl v$K8S_VERSION"; build_in_wrapper "$work" kubectl k8s.io/kubernetes/cmd/kubectl "$ld"; }
}

build_etcd() {
  local work="$CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  ( cd "$work"
    [ -f go.mod ] || go mod init local/etcd-wrapper >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 )
  log "building etcd v$ETCD_VERSION"
  build_in_wrapper "$work" etcd go.etcd.io/etcd/server/v3
}

build_helm() {
  log "building helm v$HELM_VERSION"
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >&2
}

main() {
  local assets="${KUBEBUILDER_ASSETS:-}"
  if [ -n "$assets" ] && have_assets "$assets" && [ -x "$assets/kubectl" ] && [ -x "$assets/helm" ]; then
    echo "$assets"; return
  fi
  mkdir -p "$BIN"
  if [ -n "$assets" ] && have_assets "$assets"; then
    # Tests take kube-apiserver/etcd from the assets; kubectl/helm come from the cache.
    for b in kubectl helm; do [ -x "$assets/$b" ] && ln -sf "$assets/$b" "$BIN/$b"; done
    for b in kube-apiserver etcd; do ln -sf "$assets/$b" "$BIN/$b"; done
  elif [ -n "$assets" ]; then
    log "KUBEBUILDER_ASSETS=$assets has no kube-apiserver/etcd; building them instead"
  fi
  if ! { have_assets "$BIN" && [ -x "$BIN/kubectl" ] && [ -x "$BIN/helm" ]; }; then
    need_go
    export GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
    local start=$SECONDS
    { [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kubectl" ]; } || build_kubernetes
    [ -x "$BIN/etcd" ] || build_etcd
    [ -x "$BIN/helm" ] || build_helm
    log "built in $((SECONDS - start)) s into $BIN"
  fi
  echo "$BIN"
}

main "$@"
