import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateContainerResult } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * A container terminal that closes ends its shell in the container (Docker has no call for it):
 * the browser closing the socket, a logout, the container stopping under it, the server shutting
 * down. Against the lab's real dockerd.
 */
const lab = readLab();
// Not `mr`: docker-resources names its objects mr<pid>-…, and the two files may share a test process.
const RUN = `mx${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

type Msg = { type: string; data?: string; code?: number | null; message?: string };

let t: TestApp;
let admin: string;
let hostId: string;
let base: string;
const created: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

async function run(name: string) {
  const res = await t.call({
    method: 'POST',
    url: `/api/hosts/${hostId}/containers`,
    cookie: admin,
    payload: { image: lab.dockerImage, name, command: ['sleep', '600'], network: 'none' },
  });
  expect(res.statusCode, res.body).toBe(201);
  created.push(res.json<CreateContainerResult>().id);
}

/**
 * The container's live processes other than its main `sleep 600` (ps inside it). A job killed
 * with its shell stays a zombie (`[sleep]`): its new parent, the container's `sleep`, never reaps
 * it; it runs nothing, so it is not counted.
 */
function extraProcesses(name: string): string[] {
  return docker('exec', name, 'ps', '-o', 'pid,args')
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l && !/ sleep 600$/.test(l) && !/ ps -o pid,args$/.test(l) && !/^\d+ \[.*\]$/.test(l));
}

async function eventually(check: () => boolean, ms = 6_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

/** Opens a shell, answers BusyBox's cursor query, and waits until it runs `marker` (so the shell is really up). */
async function openShell(app: { base: string; cookie: string; hostId?: string }, name: string, input = 'echo up-$((40+2))\r') {
  const ws = await wsConnect<Msg>(`ws://${app.base}/api/hosts/${app.hostId ?? hostId}/containers/${name}/exec?cols=80&rows=24`, app.cookie);
  ws.ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as Msg;
    if (m.type === 'output' && m.data?.includes('\x1b[6n')) ws.send({ type: 'input', data: '\x1b[1;3R' });
  });
  await ws.waitFor((m) => m.type === 'ready', 10_000);
  // Let the line editor finish its cursor query before typing (as the other terminal tests do).
  await new Promise((r) => setTimeout(r, 500));
  ws.send({ type: 'input', data: input });
  const screen = () =>
    ws.messages
      .filter((m) => m.type === 'output')
      .map((m) => m.data)
      .join('');
  await ws
    .waitFor(() => screen().includes('up-42'), 10_000)
    .catch(() => {
      throw new Error(`no up-42 in ${JSON.stringify(ws.messages)}`);
    });
  await new Promise((r) => setTimeout(r, 500));
  return { ...ws, screen };
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  await run(`${RUN}-a`);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const id of created) {
    try {
      docker('rm', '-f', '-v', id);
    } catch {
      /* already gone */
    }
  }
  await t?.close();
});

describe('closing a container terminal ends its shell', () => {
  it('the browser closes the socket: the shell and its foreground job are gone within seconds; the pid report never shows', async () => {
    const sh = await openShell({ base, cookie: admin }, `${RUN}-a`);
    expect(sh.screen()).not.toContain('mirador-pid');
    expect(extraProcesses(`${RUN}-a`).some((p) => p.endsWith('/bin/sh'))).toBe(true);
    sh.send({ type: 'input', data: 'sleep 777\r' });
    expect(await eventually(() => extraProcesses(`${RUN}-a`).some((p) => p.includes('sleep 777')))).toBe(true);
    sh.close();
    expect(await eventually(() => extraProcesses(`${RUN}-a`).length === 0), extraProcesses(`${RUN}-a`).join('; ')).toBe(true);
  });

  it('logging out closes the terminal and ends the shell', async () => {
    const cookie = await t.login('admin', 'correct horse battery');
    const sh = await openShell({ base, cookie }, `${RUN}-a`);
    const res = await t.call({ method: 'POST', url: '/api/auth/logout', cookie });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await new Promise<void>((resolve) => (sh.ws.readyState === sh.ws.CLOSED ? resolve() : sh.ws.once('close', () => resolve())));
    expect(await eventually(() => extraProcesses(`${RUN}-a`).length === 0), extraProcesses(`${RUN}-a`).join('; ')).toBe(true);
  });

  it('the container stops mid-session: the terminal ends, nothing throws, the server goes on', async () => {
    await run(`${RUN}-b`);
    const sh = await openShell({ base, cookie: admin }, `${RUN}-b`);
    docker('stop', '-t', '0', `${RUN}-b`);
    await sh.waitFor((m) => m.type === 'exit' || m.type === 'error', 10_000);
    sh.close();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(unhandled).toEqual([]);
    const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-b`, cookie: admin });
    expect(res.statusCode).toBe(200);
  });

  it('the server shuts down with a terminal open: the shell is ended before it is gone', async () => {
    const t2 = await startTestApp({ dockerSocket: lab.dockerSocket });
    try {
      const cookie = await t2.setupAdmin();
      await t2.app.listen({ host: '127.0.0.1', port: 0 });
      const base2 = `127.0.0.1:${(t2.app.server.address() as { port: number }).port}`;
      const hosts = (await t2.call({ method: 'GET', url: '/api/hosts', cookie })).json<Array<{ id: string; kind: string }>>();
      const sh = await openShell({ base: base2, cookie, hostId: hosts.find((h) => h.kind === 'local')!.id }, `${RUN}-a`);
      expect(extraProcesses(`${RUN}-a`).length).toBeGreaterThan(0);
      await t2.close();
      sh.close();
      // The close waited for the shell's end: it is gone right away, not eventually.
      expect(extraProcesses(`${RUN}-a`)).toEqual([]);
    } finally {
      await t2.close().catch(() => {});
    }
    expect(unhandled).toEqual([]);
  });
});
