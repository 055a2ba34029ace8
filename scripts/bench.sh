#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): bash scripts/bench.sh vms
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh up >/dev/null
case "${1:-vms}" in
  vms) cd apps/server && exec ./node_modules/.bin/tsx bench/vms.bench.ts ;;
  *) echo "usage: bash scripts/bench.sh vms" >&2; exit 2 ;;
esac
