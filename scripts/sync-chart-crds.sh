#!/usr/bin/env bash
# Copies the generated CRDs (deploy/crds/*.yaml, written by `node src/crds/generate.ts`) into the
# Helm chart (deploy/helm/cbbs-operator/files/crds/), which Helm can only read inside the chart.
# Run it after every `npm run generate`. With --check it changes nothing and exits 1 when the
# chart's copy differs (test/integration/helm-chart.test.ts makes the same check).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/deploy/crds"
dst="$root/deploy/helm/cbbs-operator/files/crds"

if [ "${1:-}" = "--check" ]; then
  if diff -r "$src" "$dst" >&2; then
    echo "chart CRDs are in sync with deploy/crds"
    exit 0
  fi
  echo "deploy/helm/cbbs-operator/files/crds differs from deploy/crds: run bash scripts/sync-chart-crds.sh" >&2
  exit 1
fi

mkdir -p "$dst"
find "$dst" -maxdepth 1 -type f -name '*.yaml' -delete
cp "$src"/*.yaml "$dst"/
echo "copied $(find "$dst" -maxdepth 1 -name '*.yaml' | wc -l) CRDs to ${dst#"$root"/}"
