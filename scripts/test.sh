#!/usr/bin/env bash
# The project's test command (README, `make test`, CI): sets up what is missing, then runs the
# static checks and every vitest project, and ends with one line `N passed, N failed`.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

failed_checks=0
passed_checks=0
check() { # <name> <command...>
  local name="$1"; shift
  echo "== $name"
  if "$@"; then passed_checks=$((passed_checks + 1)); else echo "!! check failed: $name"; failed_checks=$((failed_checks + 1)); fi
}
check lint npx biome check .
check typecheck npx tsc -p tsconfig.json --noEmit
check "generated CRDs are fresh" node src/crds/generate.ts --check
check "chart CRDs match deploy/crds" bash scripts/sync-chart-crds.sh --check
check "CRD reference docs are fresh" node src/crds/reference-docs.ts --check
check "production build (what the image runs)" bash scripts/check-production-build.sh
check "GitHub Actions workflows (actionlint)" "$ACTIONLINT" -no-color

report="$(mktemp -d)/vitest.json"
echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_rc=$?

# The README's demo command, end to end (it starts its own API server and emulator).
check "demo runs end to end" node scripts/demo.ts

# vitest's own summary is not what CI reads: one read of its JSON report names the failed tests
# again (last: CI keeps only the end of the output, after the demo's) and gives the counts for the
# closing line (its own last line); each static check counts as one more test.
summary="$(node -e '
  try {
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const rel = (name) => require("node:path").relative(process.cwd(), name);
    const head = (text) => String(text ?? "").split("\n").slice(0, 3).join("\n   ");
    for (const file of r.testResults) {
      if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"))
        console.log(`!! test file failed: ${rel(file.name)}\n   ${head(file.message)}`);
      for (const t of file.assertionResults)
        if (t.status === "failed") console.log(`!! test failed: ${rel(file.name)} > ${t.fullName}\n   ${head(t.failureMessages?.[0])}`);
    }
    const failed = r.numFailedTests + (r.success || r.numFailedTests > 0 ? 0 : 1);
    console.log(r.numPassedTests, failed);
  } catch { console.log(0, 1); }
' "$report")"
printf '%s\n' "$summary" | sed '$d'
read -r passed failed <<<"$(printf '%s\n' "$summary" | tail -n 1)"
[ "$failed_checks" -eq 0 ] || echo "!! $failed_checks static check(s) failed: see '!! check failed' above"
failed=$((failed + failed_checks))
passed=$((passed + passed_checks))
if [ "$vitest_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
