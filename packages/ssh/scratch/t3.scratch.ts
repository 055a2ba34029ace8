import { it } from 'vitest';
import { LocalRunner } from '../src/index.js';
import { collect } from '../test/lab.js';
it('x', async () => {
  const r = new LocalRunner();
  const sh = await r.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
  const out = collect(sh);
  sh.on('stderr', (d) => console.log('stderr', JSON.stringify(d.toString())));
  sh.on('exit', (...a) => console.log('exit', a));
  sh.write('echo $((6*7))\n');
  try { await out.waitFor(/\r?\n42\r?\n/, 3000); } finally { console.log(JSON.stringify(out.text)); }
  await r.close();
});
