#!/usr/bin/env bash
# Starts Mirador on this machine: install, build, migrate (at server start), serve on :8080.
#   MIRADOR_PORT, MIRADOR_DATA_DIR (default ./data), MIRADOR_SECRET, MIRADOR_ADMIN_USER/PASSWORD …
#   see README.md for all settings.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_and_build
say "Starting Mirador on port ${MIRADOR_PORT:-8080} (data in ${MIRADOR_DATA_DIR:-$ROOT/data})"
exec node apps/server/dist/server.js
