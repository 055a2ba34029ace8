#!/usr/bin/env bash
# Runs every test: type checks, unit and integration tests (real dockerd, libvirtd and sshd
# from the lab), and browser tests in Debian's Chromium. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

say "Bringing up the test lab (dockerd, libvirtd, sshd, test images)"
bash scripts/lab.sh up

install_and_build

say "Type checking"
pnpm_ -r --workspace-concurrency=1 run typecheck

say "Lint (ESLint, type-aware) and format (Prettier)"
pnpm_ run lint
pnpm_ run format:check

say "Typed API client matches the server's routes"
PNPM="${PNPM[0]}" bash scripts/api-client.sh --check

REPORTS="$ROOT/test-results"
mkdir -p "$REPORTS"
rm -f "$REPORTS/vitest.json" "$REPORTS/security.json" "$REPORTS/playwright.json" "$REPORTS/security-attempts.jsonl" \
  "$REPORTS/faults.json" "$REPORTS/faults.jsonl"

say "Unit and integration tests"
pnpm_ exec vitest run --project unit --project web --project server --reporter=default --reporter=json --outputFile.json="$REPORTS/vitest.json" || true

# Attacks on a real running server with the lab (apps/server/test/security/): every attempt is
# tallied in security-attempts.jsonl and the summary prints attempts / refused / got through.
say "Security suite (attacks on a live server)"
pnpm_ exec vitest run --project security --reporter=default --reporter=json --outputFile.json="$REPORTS/security.json" || true

# Faults injected into the lab's dedicated pieces (an sshd, a dockerd, the second libvirt, a small
# filesystem) and into a real server process (SIGKILL mid-operation): each case reports time-to-truth
# and time-to-recovery (faults.jsonl) and checks nothing was lost or left behind.
say "Fault-injection suite (faults on a live server and the lab)"
pnpm_ exec vitest run --project faults --reporter=default --reporter=json --outputFile.json="$REPORTS/faults.json" || true

say "Browser tests (Playwright, Debian Chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$REPORTS/playwright.json" pnpm_ --filter @mirador/e2e exec playwright test --reporter=list,json || true

say "Summary"
node scripts/test-summary.mjs "$REPORTS/vitest.json" "$REPORTS/playwright.json" "$REPORTS/security.json" "$REPORTS/security-attempts.jsonl" \
  "$REPORTS/faults.json" "$REPORTS/faults.jsonl"
