#!/usr/bin/env bash
# Runs every test: type checks, unit and integration tests (real dockerd, libvirtd and sshd
# from the lab), and browser tests in Debian's Chromium. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

say "Bringing up the test lab (dockerd, libvirtd, sshd, test images)"
bash scripts/lab.sh up

install_and_build

say "Type checking"
pnpm_ -r --workspace-concurrency=1 run typecheck

REPORTS="$ROOT/test-results"
mkdir -p "$REPORTS"
rm -f "$REPORTS/vitest.json" "$REPORTS/playwright.json"

say "Unit and integration tests"
pnpm_ exec vitest run --reporter=default --reporter=json --outputFile.json="$REPORTS/vitest.json"

say "Browser tests (Playwright, Debian Chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$REPORTS/playwright.json" pnpm_ --filter @mirador/e2e exec playwright test --reporter=list,json

say "Summary"
node scripts/test-summary.mjs "$REPORTS/vitest.json" "$REPORTS/playwright.json"
