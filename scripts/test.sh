#!/usr/bin/env bash
# Runs every test: type checks, unit and integration tests (real dockerd, libvirtd and sshd
# from the lab), and browser tests in Debian's Chromium. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT

# Steps that run side by side: `start NAME CMD…` runs CMD in the background with its output in a log of
# its own; `finish NAME…` waits for each, prints its log whole (parallel steps never interleave their
# lines), and fails the run when any of them failed — after all of them ended, so every failure is shown.
declare -A STEP_PID=()
start() {
  local name="$1"
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  STEP_PID[$name]=$!
}
finish() {
  local name rc failed=()
  for name in "$@"; do
    rc=0
    wait "${STEP_PID[$name]}" || rc=$?
    cat "$LOGS/$name.log"
    [ "$rc" = 0 ] || failed+=("$name (exit $rc)")
  done
  [ "${#failed[@]}" = 0 ] || die "failed: ${failed[*]}"
}

# First: on a fresh machine the lab also installs system packages the dependency install may need (python3).
say "Bringing up the test lab (dockerd, libvirtd, sshd, test images)"
bash scripts/lab.sh up

install_and_build

# The checks need no lab, only the CPU: two lanes side by side, about equal in CPU time (type-aware ESLint
# ~3 min of CPU; the type checks ~1.7 min, Prettier ~0.7 min, the API client a few seconds). Inside a lane
# the type checks stay one package at a time. They run beside the unit and integration tests, at a lower
# CPU priority: those tests mostly wait on the lab (VMs, sshd, dockerd), so the checks take the idle CPU
# and the tests keep what they need (on their own, before the tests, every test waited for the slower lane).
lint() {
  renice -n 10 -p "$BASHPID" >/dev/null || true
  say "Lint (ESLint, type-aware)"
  pnpm_ run lint
}
checks() {
  renice -n 10 -p "$BASHPID" >/dev/null || true
  say "Type checking"
  pnpm_ -r --filter '!@mirador/web' --workspace-concurrency=1 run typecheck
  # The web app's typecheck script without its `svelte-kit sync`: the build above just wrote .svelte-kit/,
  # and a second sync would rewrite those files while ESLint (the other lane) reads them.
  pnpm_ --filter @mirador/web exec svelte-check --tsconfig ./tsconfig.json --fail-on-warnings
  say "Format (Prettier)"
  pnpm_ run format:check
  say "Typed API client matches the server's routes"
  PNPM="${PNPM[0]}" bash scripts/api-client.sh --check
}
REPORTS="$ROOT/test-results"
mkdir -p "$REPORTS"
rm -f "$REPORTS/vitest.json" "$REPORTS/security.json" "$REPORTS/playwright.json" "$REPORTS/security-attempts.jsonl" \
  "$REPORTS/faults.json" "$REPORTS/faults.jsonl"

# Nothing the tests write is linted or formatted (test-results/, temp dirs), so the checks may read the tree meanwhile.
say "Type checks, format and the typed API client | lint (ESLint, type-aware): beside the tests below, logs after them"
start checks checks
start lint lint

say "Unit and integration tests"
pnpm_ exec vitest run --project unit --project web --project server --project server-own-process --reporter=default --reporter=json --outputFile.json="$REPORTS/vitest.json" || true
finish checks lint

# Attacks on a real running server with the lab (apps/server/test/security/): every attempt is
# tallied in security-attempts.jsonl and the summary prints attempts / refused / got through.
say "Security suite (attacks on a live server)"
pnpm_ exec vitest run --project security --reporter=default --reporter=json --outputFile.json="$REPORTS/security.json" || true

# Faults injected into the lab's dedicated pieces (an sshd, a dockerd, the second libvirt, a small
# filesystem) and into a real server process (SIGKILL mid-operation): each case reports time-to-truth
# and time-to-recovery (faults.jsonl) and checks nothing was lost or left behind.
# It runs beside the browser tests (its log is printed after theirs): its servers take free ports and
# temp data dirs, what it kills and restarts is its own (the fault sshd and dockerd, the second libvirt,
# its server processes), and on the shared lab it only makes objects of its own names. Not beside the
# security suite: that one compares whole-lab snapshots (every container, image, domain) before and after.
faults() {
  say "Fault-injection suite (faults on a live server and the lab), beside the browser tests"
  pnpm_ exec vitest run --project faults --reporter=default --reporter=json --outputFile.json="$REPORTS/faults.json" || true
}
start faults faults

say "Browser tests (Playwright, Debian Chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$REPORTS/playwright.json" pnpm_ --filter @mirador/e2e exec playwright test --reporter=list,json || true
finish faults

say "Summary"
node scripts/test-summary.mjs "$REPORTS/vitest.json" "$REPORTS/playwright.json" "$REPORTS/security.json" "$REPORTS/security-attempts.jsonl" \
  "$REPORTS/faults.json" "$REPORTS/faults.jsonl"
