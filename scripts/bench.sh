#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): bash scripts/bench.sh vms|docker|upload|vnc|burst|fleet|memory
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh up >/dev/null
case "${1:-vms}" in
  vms) cd apps/server && exec ./node_modules/.bin/tsx bench/vms.bench.ts ;;
  docker) cd apps/server && exec ./node_modules/.bin/tsx bench/docker.bench.ts ;;
  upload) cd apps/server && exec ./node_modules/.bin/tsx bench/upload.bench.ts ;;
  vnc) cd apps/server && exec ./node_modules/.bin/tsx bench/vnc.bench.ts ;;
  burst) cd apps/server && exec ./node_modules/.bin/tsx bench/burst.bench.ts ;;
  # 20 simulated hosts × 500 domains (test-driver files), against the built server and UI (run the build first).
  fleet) bash scripts/lab/fleet.sh up && bash scripts/lab/fleet.sh check && cd apps/server && exec ./node_modules/.bin/tsx bench/fleet.bench.ts ;;
  # Idle RSS of the built server with 5 lab hosts (run the build first); --soak MIN adds 10 viewers for MIN minutes.
  memory) shift; cd apps/server && exec ./node_modules/.bin/tsx bench/memory.bench.ts "$@" ;;
  *) echo "usage: bash scripts/bench.sh vms|docker|upload|vnc|burst|fleet|memory [--soak MIN]" >&2; exit 2 ;;
esac
