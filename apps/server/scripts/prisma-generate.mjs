#!/usr/bin/env node
// Runs `prisma generate` offline: writes the Prisma client to apps/server/src/generated/prisma.
//
//   pnpm --filter @mirador/server db:generate [--force]
//
// Prisma's CLI insists on locating a native schema-engine binary before it generates anything and
// tries to download one from binaries.prisma.sh when none is installed (their postinstall is
// disabled in this workspace). Generating needs no engine at all, so PRISMA_SCHEMA_ENGINE_BINARY
// is pointed at any existing file - the CLI only checks that the path exists, it never runs it
// for `generate`. Telemetry and update checks are turned off so nothing touches the network.
//
// Skips the work (≈2 s) when the schema, the config and the Prisma version are unchanged since the
// last successful run (stamp file in the output directory); --force regenerates regardless.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverDir, '../..');
const configPath = path.join(repoRoot, 'prisma.config.ts');
const schemaPath = path.join(repoRoot, 'prisma/schema.prisma');
const outDir = path.join(serverDir, 'src/generated/prisma');
const stampPath = path.join(outDir, '.generated-from');
const force = process.argv.includes('--force');

const require = createRequire(import.meta.url);
const prismaPkgPath = require.resolve('prisma/package.json');
const prismaPkg = JSON.parse(fs.readFileSync(prismaPkgPath, 'utf-8'));
const prismaCli = path.join(path.dirname(prismaPkgPath), 'build/index.js');

const stamp = crypto
  .createHash('sha256')
  .update(`prisma@${prismaPkg.version}\0`)
  .update(fs.readFileSync(schemaPath))
  .update('\0')
  .update(fs.readFileSync(configPath))
  .digest('hex');

if (
  !force &&
  fs.existsSync(path.join(outDir, 'client.ts')) &&
  fs.existsSync(stampPath) &&
  fs.readFileSync(stampPath, 'utf-8').trim() === stamp
) {
  console.log('prisma client is up to date (src/generated/prisma); use --force to regenerate');
  process.exit(0);
}

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !fs.existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = fs.existsSync('/bin/true') ? '/bin/true' : process.execPath;
}
env.PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING ??= '1';
env.CHECKPOINT_DISABLE ??= '1'; // no telemetry / version check
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';

const res = spawnSync(process.execPath, [prismaCli, 'generate', '--config', configPath], {
  cwd: repoRoot,
  env,
  stdio: 'inherit',
});
if (res.error) {
  console.error(`prisma-generate: could not run the Prisma CLI: ${res.error.message}`);
  process.exit(1);
}
if (res.status !== 0) {
  fs.rmSync(stampPath, { force: true });
  console.error(`prisma-generate: prisma generate failed (exit ${res.status ?? res.signal})`);
  process.exit(res.status || 1);
}
fs.writeFileSync(stampPath, `${stamp}\n`);
