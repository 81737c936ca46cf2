#!/usr/bin/env bash
# What the container image does, without a Docker engine: compile, install production dependencies
# only into a clean directory (as the Dockerfile's runtime stage does), and run the entry point.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
npx tsc -p tsconfig.build.json --outDir "$work/dist"
cp package.json package-lock.json "$work/"
cp -r deploy "$work/deploy"
(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# No dev dependency may be needed at run time.
for dev in vitest typescript @biomejs/biome; do
  if [ -e "$work/node_modules/$dev" ]; then echo "dev dependency $dev installed in the production tree" >&2; exit 1; fi
done
out="$(cd "$work" && node dist/main.js --help)"
grep -q -- '--leader-elect' <<<"$out" || { echo "dist/main.js --help did not print the flags" >&2; exit 1; }
# The emulator ships in the same image (npm run emulator) and must start from dist too.
(cd "$work" && node dist/emulator/main.js --help >/dev/null)
echo "production build ok: dist/main.js --help runs with production dependencies only"
