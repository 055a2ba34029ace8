#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): bash scripts/bench.sh vms|docker
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh up >/dev/null
case "${1:-vms}" in
  vms) cd apps/server && exec ./node_modules/.bin/tsx bench/vms.bench.ts ;;
  docker) cd apps/server && exec ./node_modules/.bin/tsx bench/docker.bench.ts ;;
  *) echo "usage: bash scripts/bench.sh vms|docker" >&2; exit 2 ;;
esac
