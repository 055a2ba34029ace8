import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateContainerResult } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * What the stream broker adds on top of one stream per socket, against the lab's real dockerd:
 * an attach is shared, so a late joiner starts with the screen's recent past; a followed log is
 * shared by everyone asking for the same lines, a late joiner gets its `tail` from the session.
 */
const lab = readLab();
const RUN = `ss${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

type Msg = { type: string; data?: string; readOnly?: boolean; stream?: string; reason?: string };

let t: TestApp;
let admin: string;
let hostId: string;
let base: string;
const created: string[] = [];

async function run(body: Record<string, unknown>) {
  const res = await t.call({
    method: 'POST',
    url: `/api/hosts/${hostId}/containers`,
    cookie: admin,
    payload: { image: lab.dockerImage, ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  created.push(res.json<CreateContainerResult>().id);
}

const screen = (messages: Msg[]) =>
  messages
    .filter((m) => m.type === 'output')
    .map((m) => m.data)
    .join('');

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
});

afterAll(async () => {
  for (const id of created) {
    try {
      docker('rm', '-f', id);
    } catch {
      /* already gone */
    }
  }
  await t?.close();
});

describe('shared container streams', () => {
  it('replays the recent screen of an attach to a late joiner, and both see what follows', async () => {
    await run({ name: `${RUN}-it`, command: ['sh'], tty: true });
    const url = `ws://${base}/api/hosts/${hostId}/containers/${RUN}-it/attach?cols=80&rows=24`;
    const first = await wsConnect<Msg>(url, admin);
    first.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Msg;
      if (m.type === 'output' && m.data?.includes('\x1b[6n')) first.send({ type: 'input', data: '\x1b[1;3R' });
    });
    await first.waitFor((m) => m.type === 'ready', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    first.send({ type: 'input', data: 'echo before-$((6*7))\r' });
    await first.waitFor(() => screen(first.messages).includes('before-42'), 10_000);

    const late = await wsConnect<Msg>(url, admin);
    try {
      expect(await late.waitFor((m) => m.type === 'ready', 10_000)).toMatchObject({ readOnly: false });
      // A new `docker attach` would start blank: the shared session replays what was on screen.
      await late.waitFor(() => screen(late.messages).includes('before-42'), 5_000);
      // Before each command a pause: BusyBox drops keys that arrive together with the answer to its
      // cursor query (which the first client gives), see docker-containers.test.ts.
      await new Promise((r) => setTimeout(r, 300));
      late.send({ type: 'input', data: 'echo after-$((7*8))\r' });
      for (const c of [first, late]) await c.waitFor(() => screen(c.messages).includes('after-56'), 10_000);
      // The process exits: everyone on the session is told, with the exit code.
      await new Promise((r) => setTimeout(r, 300));
      first.send({ type: 'input', data: 'exit 3\r' });
      for (const c of [first, late]) expect(await c.waitFor((m) => m.type === 'exit', 10_000)).toMatchObject({ code: 3 });
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; first: ${JSON.stringify(first.messages.slice(-6))}; late: ${JSON.stringify(late.messages.slice(-6))}`,
        { cause: err },
      );
    } finally {
      first.close();
      late.close();
    }
  });

  it('shares a followed log: a late joiner gets its tail, then the same lines as everyone', async () => {
    await run({ name: `${RUN}-logs`, command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.1; done'] });
    const url = `ws://${base}/api/hosts/${hostId}/containers/${RUN}-logs/logs/ws?tail=3`;
    const a = await wsConnect<Msg>(url, admin);
    await a.waitFor((m) => m.type === 'log' && /^line (1\d|[2-9]\d)$/.test(m.data ?? ''), 10_000);
    const b = await wsConnect<Msg>(url, admin);
    try {
      await b.waitFor(() => b.messages.length >= 6, 10_000);
      const lines = (ms: Msg[]) => ms.filter((m) => m.type === 'log').map((m) => Number(m.data!.split(' ')[1]));
      const bl = lines(b.messages);
      // The tail: three consecutive lines that a had seen too, then live lines in order.
      expect(bl.slice(1, 6)).toEqual(bl.slice(0, 5).map((n) => n + 1));
      expect(lines(a.messages)).toEqual(expect.arrayContaining(bl.slice(0, 3)));
      const last = bl.at(-1)!;
      await a.waitFor((m) => m.data === `line ${last}`, 5_000);
      docker('stop', '-t', '0', `${RUN}-logs`);
      for (const c of [a, b]) await c.waitFor((m) => m.type === 'end', 15_000);
    } finally {
      a.close();
      b.close();
    }
  });
});
