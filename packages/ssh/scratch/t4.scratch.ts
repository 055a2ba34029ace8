import { it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { SshHostConnection } from '../src/index.js';
import { labTarget } from '../test/lab.js';
it('x', async () => {
  const c = new SshHostConnection(labTarget());
  await c.connect();
  console.log(process.pid, execFileSync('ss', ['-tnpH', 'state', 'established', '( dport = :2222 )'], { encoding: 'utf8' }));
  console.log(execFileSync('ss', ['-tnpH', 'state', 'established', '( dport = :2222 or sport = :2222 )'], { encoding: 'utf8' }));
  await c.close();
});
