#!/usr/bin/env bash
# The demo command (README, `make demo`, `npm run demo`): sets up what is missing (Node 24, npm
# packages, Kubernetes binaries), then runs scripts/demo.ts with the given arguments (--keep).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CBBS_SKIP_LUA=1 CBBS_SKIP_S3_SERVER=1 CBBS_SKIP_ACTIONLINT=1 . scripts/setup.sh
exec node scripts/demo.ts "$@"
