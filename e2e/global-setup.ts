import fs from 'node:fs';
import path from 'node:path';
import { readLab, readLabPrivateKey, REPO_ROOT } from './support/env';

/** Fail loudly (never skip) when a prerequisite of the suite is missing. Runs after the web server started. */
export default function globalSetup() {
  const web = path.join(REPO_ROOT, 'apps/web/build/index.html');
  if (!fs.existsSync(web)) throw new Error(`E2E: ${web} missing — run: pnpm --filter @mirador/web build`);
  const lab = readLab();
  readLabPrivateKey(lab);
  console.log(`[e2e] lab SSH host ${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port} (${lab.ssh.hostKeyFingerprint})`);
  console.log(`[e2e] server data dir ${process.env.MIRADOR_E2E_DATA_DIR}`);
}
