#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): bash scripts/bench.sh vms|docker|upload|vnc
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh up >/dev/null
case "${1:-vms}" in
  vms) cd apps/server && exec ./node_modules/.bin/tsx bench/vms.bench.ts ;;
  docker) cd apps/server && exec ./node_modules/.bin/tsx bench/docker.bench.ts ;;
  upload) cd apps/server && exec ./node_modules/.bin/tsx bench/upload.bench.ts ;;
  vnc) cd apps/server && exec ./node_modules/.bin/tsx bench/vnc.bench.ts ;;
  *) echo "usage: bash scripts/bench.sh vms|docker|upload|vnc" >&2; exit 2 ;;
esac
