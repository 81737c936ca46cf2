#!/usr/bin/env bash
# Builds `kubectl-cbbs` as one file: an esbuild bundle of src/cli (scripts/bundle.ts --cli-sea), then (Linux x86-64/arm64) a Node
# single executable application: the bundle as a SEA blob injected into a copy of this node binary
# by scripts/sea-inject.ts (what postject does, without the package). Output in dist/sea/:
#   kubectl-cbbs.cjs   the bundle (runs with any Node 22.18+: node kubectl-cbbs.cjs)
#   kubectl-cbbs       the single executable (needs no Node and no node_modules)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/dist/sea"
mkdir -p "$out"
cd "$root"
node scripts/bundle.ts --cli-sea --outdir "$out"
node "$out/kubectl-cbbs.cjs" --help | grep -q 'kubectl cbbs status'
echo "bundle: $out/kubectl-cbbs.cjs ($(du -h "$out/kubectl-cbbs.cjs" | cut -f1))"
if [ "$(uname -s)" != Linux ]; then
  echo "single executable: only built on Linux here (macOS and Windows need postject and codesign)" >&2
  exit 0
fi
cat >"$out/sea-config.json" <<JSON
{ "main": "$out/kubectl-cbbs.cjs", "output": "$out/sea-prep.blob", "disableExperimentalSEAWarning": true, "useCodeCache": true }
JSON
node --experimental-sea-config "$out/sea-config.json" >/dev/null
node scripts/sea-inject.ts "$(readlink -f "$(command -v node)")" "$out/sea-prep.blob" "$out/kubectl-cbbs"
rm -f "$out/sea-prep.blob" "$out/sea-config.json"
"$out/kubectl-cbbs" --help | grep -q 'kubectl cbbs status'
echo "single executable: $out/kubectl-cbbs ($(du -h "$out/kubectl-cbbs" | cut -f1), $(node --version))"
