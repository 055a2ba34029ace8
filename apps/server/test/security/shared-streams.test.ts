import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { startLiveServer, type Caller, type LiveServer } from './live.js';
import { recordAttempt } from './tally.js';

/**
 * The stream broker (apps/server/src/streams) lets several people share one upstream: a VM's
 * serial console, a container's attach, a followed log. Sharing must not widen anyone's rights:
 * a watcher's keys never reach a shared console or attach, an exec shell is never shared, and a
 * revoked viewer of a shared log stops receiving it while the others go on. One case per stream
 * type, each proven on the real thing (canary files, the guest's own listing).
 */
const AREA = 'shared-streams';
const lab = readLab() as Lab & { vmKit: { kernel: string; initrd: string; prompt: string } };
const RUN = `sec-shared-${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const existsIn = (container: string, path: string) =>
  docker('exec', container, 'sh', '-c', `test -e ${path} && echo yes || echo no`) === 'yes';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Msg = { type: string; data?: string; message?: string; readOnly?: boolean; state?: string; stream?: string };

interface Stream {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<{ code: number; reason: string }>;
  send(m: unknown): void;
  text(): string;
  waitFor(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
}

/** `answerCursor`: answer BusyBox's cursor query (ESC[6n) like a terminal; only one client of a shared stream may. */
function track(ws: WebSocket, answerCursor = false): Stream {
  const messages: Msg[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as Msg;
    messages.push(m);
    if (answerCursor && m.type === 'output' && m.data?.includes('\x1b[6n') && ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'input', data: '\x1b[1;3R' }));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    messages,
    closed,
    send: (m) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    },
    text: () =>
      messages
        .filter((m) => m.type === 'output')
        .map((m) => m.data)
        .join(''),
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = messages.find(pred);
        if (hit) return hit;
        await sleep(50);
      }
      throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5))}`);
    },
  };
}

let live: LiveServer;
let admin: string;
let hostId: string;
let counter = 0;

async function login(username: string, password: string): Promise<string> {
  const res = await live.request('POST', '/api/auth/login', { body: { username, password } });
  expect(res.status, res.body).toBe(200);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('mirador_session='));
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

async function newUser(role: 'operator' | 'viewer') {
  const username = `shr${process.pid}-${++counter}`;
  const password = 'shared-streams-pass-1';
  const res = await live.request('POST', '/api/users', { cookie: admin, body: { username, password, role } });
  expect(res.status, res.body).toBe(201);
  return { id: res.json().id as string, cookie: await login(username, password) };
}

async function open(path: string, caller: Caller, answerCursor = false) {
  return track(await live.websocket(path, caller), answerCursor);
}

async function run(name: string, body: Record<string, unknown>) {
  const res = await live.request('POST', `/api/hosts/${hostId}/containers`, {
    cookie: admin,
    body: { image: lab.dockerImage, name, ...body },
  });
  expect(res.status, res.body).toBe(201);
}

beforeAll(async () => {
  live = await startLiveServer({ dockerSocket: lab.dockerSocket });
  await live.test.setupAdmin();
  admin = await login('admin', 'correct horse battery');
  const hosts = (await live.request('GET', '/api/hosts', { cookie: admin })).json() as Array<{ id: string; kind: string }>;
  hostId = hosts.find((h) => h.kind === 'local')!.id;
}, 60_000);

afterAll(async () => {
  for (const name of [`${RUN}-it`, `${RUN}-box`, `${RUN}-logs`]) {
    try {
      docker('rm', '-f', name);
    } catch {
      /* already gone */
    }
  }
  await live?.close();
});

describe('shared container streams', { timeout: 60_000 }, () => {
  it("a viewer's keys never reach an attach an operator is typing into", async () => {
    const box = `${RUN}-it`;
    await run(box, { command: ['sh'], tty: true });
    const op = await newUser('operator');
    const vi = await newUser('viewer');
    const writer = await open(`/api/hosts/${hostId}/containers/${box}/attach?cols=80&rows=24`, { cookie: op.cookie }, true);
    const watcher = await open(`/api/hosts/${hostId}/containers/${box}/attach`, { cookie: vi.cookie });
    expect(await writer.waitFor((m) => m.type === 'ready')).toMatchObject({ readOnly: false });
    expect(await watcher.waitFor((m) => m.type === 'ready')).toMatchObject({ readOnly: true });
    await sleep(300);
    writer.send({ type: 'input', data: 'touch /tmp/shared-writer\r' });
    await expect.poll(() => existsIn(box, '/tmp/shared-writer'), { timeout: 10_000, interval: 100 }).toBe(true);
    // The watcher sees what the writer typed (same process), and may not add to it.
    await watcher.waitFor(() => watcher.text().includes('shared-writer'));
    watcher.send({ type: 'input', data: 'touch /tmp/shared-watcher\r' });
    const refused = await watcher.waitFor((m) => m.type === 'error' && /read-only/i.test(m.message ?? ''));
    // Let anything that got through reach the shell, then have the writer press Enter too.
    await sleep(500);
    writer.send({ type: 'input', data: '\r' });
    await sleep(500);
    const ran = existsIn(box, '/tmp/shared-watcher');
    recordAttempt(AREA, "viewer input into an operator's shared attach", refused && !ran ? 'refused' : 'got-through');
    expect(ran).toBe(false);
    writer.ws.close();
    watcher.ws.close();
  });

  it("an exec shell is its owner's alone: another operator's shell in the same container sees none of it", async () => {
    const box = `${RUN}-box`;
    await run(box, { command: ['sleep', '300'] });
    const a = await newUser('operator');
    const b = await newUser('operator');
    const path = `/api/hosts/${hostId}/containers/${box}/exec?cols=80&rows=24`;
    const mine = await open(path, { cookie: a.cookie }, true);
    await mine.waitFor((m) => m.type === 'ready');
    const theirs = await open(path, { cookie: b.cookie }, true);
    await theirs.waitFor((m) => m.type === 'ready');
    await sleep(300);
    mine.send({ type: 'input', data: 'echo secret-$((6*7))-of-a\r' });
    await mine.waitFor(() => mine.text().includes('secret-42-of-a'));
    await sleep(500);
    const leaked = theirs.text().includes('secret-42-of-a') || theirs.text().includes('secret-$((6*7))');
    recordAttempt(AREA, "another operator's exec output", !leaked ? 'refused' : 'got-through');
    expect(leaked).toBe(false);
    mine.ws.close();
    theirs.ws.close();
  });

  it('revoking one viewer of a shared log stream closes it alone; it gets no further lines', async () => {
    const box = `${RUN}-logs`;
    await run(box, { command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.1; done'] });
    const u = await newUser('viewer');
    const tok = await live.request('POST', '/api/auth/tokens', { cookie: u.cookie, body: { name: 'shared-logs' } });
    expect(tok.status, tok.body).toBe(201);
    const { token, secret } = tok.json() as { token: { id: string }; secret: string };
    const path = `/api/hosts/${hostId}/containers/${box}/logs/ws?tail=5`;
    const stays = await open(path, { cookie: admin });
    const revoked = await open(path, { token: secret, origin: null });
    await revoked.waitFor((m) => m.type === 'log');
    await stays.waitFor((m) => m.type === 'log');
    expect((await live.request('DELETE', `/api/auth/tokens/${token.id}`, { cookie: u.cookie })).status).toBe(204);
    const closed = await Promise.race([revoked.closed, sleep(2000).then(() => null)]);
    const seen = revoked.messages.length;
    const othersBefore = stays.messages.length;
    await sleep(800);
    const more = revoked.messages.length - seen;
    recordAttempt(AREA, 'log lines of a shared stream after the token was revoked', closed && more === 0 ? 'refused' : 'got-through');
    expect(closed?.code).toBe(4401);
    expect(more).toBe(0);
    // The other viewer of the same stream goes on.
    expect(stays.messages.length).toBeGreaterThan(othersBefore);
    stays.ws.close();
  });
});

describe('the shared serial console', { timeout: 180_000 }, () => {
  const vm = `${RUN}-vm`;
  const virsh = (...args: string[]) =>
    execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  afterAll(() => {
    try {
      virsh('destroy', vm);
    } catch {
      /* already gone */
    }
  });

  it("a viewer's keys never reach the guest", async () => {
    const added = await live.request('POST', '/api/hosts', {
      cookie: admin,
      body: { name: `${RUN}-lab`, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    expect(added.status, added.body).toBe(201);
    const labHost = added.json().id as string;
    expect((await live.request('POST', `/api/hosts/${labHost}/test`, { cookie: admin })).json().ok).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sec-shared-'));
    const xml = `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><kernel>${lab.vmKit.kernel}</kernel><initrd>${lab.vmKit.initrd}</initrd><cmdline>console=ttyS0</cmdline></os><devices><serial type='pty'/></devices></domain>`;
    writeFileSync(join(dir, 'vm.xml'), xml);
    virsh('create', join(dir, 'vm.xml'));
    await expect
      .poll(async () => (await live.request('GET', `/api/hosts/${labHost}/vms/${vm}`, { cookie: admin })).json().state, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe('running');

    const path = `/api/hosts/${labHost}/vms/${vm}/console`;
    const adm = await open(path, { cookie: admin }, true);
    await adm.waitFor((m) => m.type === 'status' && m.state === 'attached', 60_000);
    for (let i = 0; i < 90 && !adm.text().includes(lab.vmKit.prompt.trim()); i++) {
      adm.send({ type: 'input', data: '\r' });
      await sleep(1000);
    }
    expect(adm.text()).toContain(lab.vmKit.prompt.trim());

    const vi = await newUser('viewer');
    const watcher = await open(path, { cookie: vi.cookie });
    expect(await watcher.waitFor((m) => m.type === 'status')).toMatchObject({ readOnly: true });
    watcher.send({ type: 'input', data: 'touch /tmp/sec-shared-viewer\r' });
    const refused = await watcher.waitFor((m) => m.type === 'error' && /read-only/i.test(m.message ?? ''));

    // Ask the guest, through the admin's console, whether the viewer's command ran.
    const mark = `done-${Date.now()}`;
    adm.send({ type: 'input', data: `\rls /tmp/sec-shared-*; echo ${mark}\r` });
    await expect.poll(() => adm.text().split(mark).length > 2, { timeout: 30_000, interval: 200 }).toBe(true);
    const listing = adm.text().split(mark).at(-2)!;
    const ran = listing.includes('/tmp/sec-shared-viewer');
    recordAttempt(AREA, 'viewer input into a shared VM console', refused && !ran ? 'refused' : 'got-through');
    expect(ran, JSON.stringify(adm.text().slice(-1500))).toBe(false);
    watcher.ws.close();
    adm.ws.close();
  });
});
