#!/usr/bin/env bash
# What the container image does, without a Docker engine: bundle the entry points (npm run build)
# into a clean directory with no node_modules at all (the image's runtime stage has none), and run
# each entry point from there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
node scripts/bundle.ts --outdir "$work/dist"
cp package.json "$work/"
cp -r deploy "$work/deploy"
if [ -e "$work/node_modules" ]; then echo "the production tree must not need node_modules" >&2; exit 1; fi
# The emulator's S3 client is a development dependency, loaded only by object-store repositories.
if grep -q 'node_modules/@aws-sdk/' "$work/dist/emulator/main.js.map"; then echo "the AWS SDK (dev only) is bundled into dist/emulator" >&2; exit 1; fi
out="$(cd "$work" && node dist/main.js --help)"
grep -q -- '--leader-elect' <<<"$out" || { echo "dist/main.js --help did not print the flags" >&2; exit 1; }
# The emulator ships in the same image (npm run emulator) and must start from dist too.
(cd "$work" && node dist/emulator/main.js --help >/dev/null)
# The kubectl plugin (package bin kubectl-cbbs, kubectl_complete-cbbs) runs from dist too.
(cd "$work" && node dist/cli/main.js --help | grep -q 'kubectl cbbs status') || { echo "dist/cli/main.js --help failed" >&2; exit 1; }
(cd "$work" && node dist/cli/complete.js del | grep -q '^delete-backup$') || { echo "dist/cli/complete.js failed" >&2; exit 1; }
echo "production build ok: dist/main.js, dist/emulator/main.js and dist/cli/main.js run without node_modules"
