# Sourced by start.sh and test.sh: makes a fresh clone buildable with nothing but Node 20
# and the npm registry. Installs the pinned pnpm if needed, dependencies, the Prisma client,
# and builds the server and the UI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION="12.4.2"
cd "$ROOT"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mError:\033[0m %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "Node.js is not installed (Mirador needs Node 20.19 or newer)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node $(node --version) is too old: Mirador needs Node 20.19 or newer"

# A pnpm of the pinned version: the global one if it matches, else a private copy in .tools/
# (no root needed, and a different global pnpm is left alone).
if command -v pnpm >/dev/null && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  PNPM=(pnpm)
else
  if [ ! -x "$ROOT/.tools/node_modules/.bin/pnpm" ] || [ "$("$ROOT/.tools/node_modules/.bin/pnpm" --version)" != "$PNPM_VERSION" ]; then
    say "Installing pnpm $PNPM_VERSION into .tools/"
    npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  PNPM=("$ROOT/.tools/node_modules/.bin/pnpm")
fi
pnpm_() { "${PNPM[@]}" "$@"; }

# Native addons (better-sqlite3) compile against the headers Debian's nodejs ships, instead of
# downloading Node's headers — labs behind a package mirror can't reach that host.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
# Prisma must never try to download native engines (see apps/server/scripts/prisma-generate.mjs).
export PRISMA_SKIP_POSTINSTALL_GENERATE=1 CHECKPOINT_DISABLE=1

install_and_build() {
  say "Installing dependencies"
  if [ "${CI:-}" = "true" ]; then pnpm_ install --frozen-lockfile; else pnpm_ install; fi
  say "Generating the database client"
  pnpm_ --filter @mirador/server db:generate
  say "Building the UI"
  pnpm_ --filter @mirador/web build
  say "Building the server"
  pnpm_ --filter @mirador/server build
}
