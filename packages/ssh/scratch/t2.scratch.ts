import { it } from 'vitest';
import { execSync } from 'node:child_process';
import { LocalRunner } from '../src/index.js';
it('x', async () => {
  const r = new LocalRunner();
  const sh = await r.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
  sh.on('data', (d) => console.log('data', JSON.stringify(d.toString())));
  sh.on('stderr', (d) => console.log('stderr', JSON.stringify(d.toString())));
  sh.on('exit', (...a) => console.log('exit', a));
  sh.write('echo $((6*7))\n');
  await new Promise((r) => setTimeout(r, 1000));
  console.log(execSync('ps -ef --forest | grep -B2 -A3 "[s]cript -qfec"').toString());
  await r.close();
});
