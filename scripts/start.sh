#!/usr/bin/env bash
# Starts Mirador on this machine: install, build, migrate (at server start), serve on :8080.
#   MIRADOR_PORT, MIRADOR_DATA_DIR (default ./data), MIRADOR_SECRET, MIRADOR_ADMIN_USER/PASSWORD …
#   see README.md for all settings.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_and_build
say "Starting Mirador on port ${MIRADOR_PORT:-8080} (data in ${MIRADOR_DATA_DIR:-$ROOT/data})"
# --max-semi-space-size=4: V8 grows the young generation to 2×16 MB under the start-up burst and keeps it
# for the life of an idle server; capped at 2×4 MB the idle RSS is ~25 MB lower, and scavenges stay short
# (bash scripts/bench.sh memory). Same flags as apps/server/package.json "start" and the Dockerfile.
exec node --max-semi-space-size=4 apps/server/dist/server.js
