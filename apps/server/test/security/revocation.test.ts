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
 * Open websockets outlive nothing: for each way an identity ends (logout, session revoke, token
 * revoke, disable, demotion, admin password reset, own password change, deletion, expiry) a
 * terminal opened before is closed within 2 s with a message that says why, and a command typed
 * after the change never reaches the container (canary files, checked with `docker exec`).
 * The serial console and the realtime socket go through the same guard and are checked too.
 */
const AREA = 'revocation';
const lab = readLab() as Lab & { vmKit: { kernel: string; initrd: string; prompt: string } };
const RUN = `sec-revocation-${process.pid}`;
const CONTAINER = `${RUN}-box`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const exists = (path: string) => docker('exec', CONTAINER, 'sh', '-c', `test -e ${path} && echo yes || echo no`) === 'yes';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Msg = { type: string; data?: string; message?: string; readOnly?: boolean; topic?: string; state?: string };

/** A websocket that keeps every message and remembers when and how it closed. */
interface Stream {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<{ code: number; reason: string; at: number }>;
  isClosed(): boolean;
  /** Sends when the socket is still open; after a close there is nothing to send on. */
  send(m: unknown): void;
  waitFor(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
}

/** `answerCursor`: answer BusyBox's cursor query; on a shared console only one viewer may. */
function track(ws: WebSocket, answerCursor = true): Stream {
  const messages: Msg[] = [];
  let done = false;
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as Msg;
    messages.push(m);
    // BusyBox's line editor asks where the cursor is; answer like a terminal (see docker-containers.test.ts).
    if (answerCursor && m.type === 'output' && m.data?.includes('\x1b[6n') && ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'input', data: '\x1b[1;3R' }));
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code, reason) => ((done = true), resolve({ code, reason: reason.toString(), at: Date.now() }))),
  );
  return {
    ws,
    messages,
    closed,
    isClosed: () => done,
    send: (m) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    },
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
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = set.map((c) => c.split(';')[0]!).find((c) => c.startsWith('mirador_session='));
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

async function newUser(role: 'operator' | 'admin' | 'viewer' = 'operator') {
  const username = `rev${process.pid}-${++counter}`;
  const password = 'revocation-pass-1';
  const res = await live.request('POST', '/api/users', { cookie: admin, body: { username, password, role } });
  expect(res.status, res.body).toBe(201);
  return { id: res.json().id as string, username, password, cookie: await login(username, password) };
}

async function mintToken(cookie: string) {
  const res = await live.request('POST', '/api/auth/tokens', { cookie, body: { name: `rev-${counter}` } });
  expect(res.status, res.body).toBe(201);
  return res.json() as { token: { id: string }; secret: string };
}

/** Opens an exec shell as `caller` and proves typing works (a first canary appears). */
async function openShell(caller: Caller, mode: 'exec' | 'attach' = 'exec', container = CONTAINER): Promise<Stream> {
  const s = track(await live.websocket(`/api/hosts/${hostId}/containers/${container}/${mode}?cols=80&rows=24`, caller));
  const ready = await s.waitFor((m) => m.type === 'ready' || m.type === 'error');
  expect(ready.type, JSON.stringify(ready)).toBe('ready');
  return s;
}

async function typeAndSee(s: Stream, marker: string, container = CONTAINER) {
  await sleep(200);
  s.send({ type: 'input', data: `touch /tmp/${marker}\r` });
  await expect
    .poll(() => docker('exec', container, 'sh', '-c', `test -e /tmp/${marker} && echo yes || echo no`), { timeout: 10_000, interval: 100 })
    .toBe('yes');
}

/**
 * The check every case shares: the socket closes within 2 s of `end()` with a message naming
 * `why`, a command typed afterwards leaves no canary, and the closure is audited.
 */
async function expectEnded(
  s: Stream,
  attempt: string,
  end: () => Promise<unknown>,
  why: RegExp,
  code = 4401,
  action = 'container.exec.revoked',
  container = CONTAINER,
) {
  const n = ++counter;
  await typeAndSee(s, `sec-alive-${n}`, container);
  const started = Date.now();
  await end();
  // Typed after the change was acknowledged: it must not run.
  s.send({ type: 'input', data: `touch /tmp/sec-revoked-${n}\r` });
  const closed = await Promise.race([s.closed, sleep(2000).then(() => null)]);
  await sleep(500);
  const ranCanary = docker('exec', container, 'sh', '-c', `test -e /tmp/sec-revoked-${n} && echo yes || echo no`) === 'yes';
  recordAttempt(AREA, attempt, closed && !ranCanary ? 'refused' : 'got-through');
  expect(closed, `${attempt}: the socket is still open 2 s later`).not.toBeNull();
  expect(closed!.at - started).toBeLessThan(2000);
  expect(closed!.code).toBe(code);
  const final = s.messages.filter((m) => m.type === 'error').at(-1);
  expect(final?.message, JSON.stringify(s.messages.slice(-3))).toMatch(why);
  expect(ranCanary, `${attempt}: input after the change reached the container`).toBe(false);
  const audit = (await live.request('GET', `/api/audit?action=${action}&limit=1`, { cookie: admin })).json() as {
    items: Array<{ params: { reason: string; message: string } }>;
  };
  expect(audit.items[0]?.params).toMatchObject({ reason: code === 4403 ? 'role' : 'revoked', message: expect.stringMatching(why) });
}

beforeAll(async () => {
  live = await startLiveServer({ dockerSocket: lab.dockerSocket });
  admin = await live.test.setupAdmin();
  admin = await login('admin', 'correct horse battery');
  const hosts = (await live.request('GET', '/api/hosts', { cookie: admin })).json() as Array<{ id: string; kind: string }>;
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  const res = await live.request('POST', `/api/hosts/${hostId}/containers`, {
    cookie: admin,
    body: { image: lab.dockerImage, name: CONTAINER, command: ['sleep', '300'] },
  });
  expect(res.status, res.body).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const name of [CONTAINER, `${RUN}-it`]) {
    try {
      docker('rm', '-f', name);
    } catch {
      /* already gone */
    }
  }
  await live?.close();
});

describe('open websockets end with the identity', { timeout: 60_000 }, () => {
  it('logout closes the exec terminal of that session', async () => {
    const u = await newUser();
    const s = await openShell({ cookie: u.cookie });
    await expectEnded(
      s,
      'exec terminal input after logout',
      () => live.request('POST', '/api/auth/logout', { cookie: u.cookie }),
      /logged out/i,
    );
  });

  it('revoking a session from another one closes its terminal', async () => {
    const u = await newUser();
    const other = await login(u.username, u.password);
    const s = await openShell({ cookie: u.cookie });
    const sessions = (await live.request('GET', '/api/auth/sessions', { cookie: u.cookie })).json() as Array<{
      id: string;
      current: boolean;
    }>;
    const handle = sessions.find((x) => x.current)!.id;
    await expectEnded(
      s,
      'exec terminal input after session revoke',
      async () => {
        expect((await live.request('DELETE', `/api/auth/sessions/${handle}`, { cookie: other })).status).toBe(204);
      },
      /session was revoked/i,
    );
  });

  it('revoking an API token closes a Bearer-authenticated terminal and realtime socket', async () => {
    const u = await newUser();
    const { token, secret } = await mintToken(u.cookie);
    const s = await openShell({ token: secret, origin: null });
    const rt = track(await live.websocket('/api/ws', { token: secret, origin: null }));
    rt.send({ type: 'ping', id: 1 });
    await rt.waitFor((m) => m.type === 'pong');
    await expectEnded(
      s,
      'Bearer exec terminal input after token revoke',
      async () => {
        expect((await live.request('DELETE', `/api/auth/tokens/${token.id}`, { cookie: u.cookie })).status).toBe(204);
      },
      /API token was revoked/i,
    );
    const rtClosed = await Promise.race([rt.closed, sleep(2000).then(() => null)]);
    recordAttempt(AREA, 'Bearer /api/ws after token revoke', rtClosed ? 'refused' : 'got-through');
    expect(rtClosed?.code).toBe(4401);
    expect(rt.messages.at(-1)?.message).toMatch(/API token was revoked/);
    // The session that owns the token is untouched.
    expect((await live.request('GET', '/api/auth/me', { cookie: u.cookie })).status).toBe(200);
  });

  it('disabling the user closes their terminal (and revokes their tokens)', async () => {
    const u = await newUser();
    const { secret } = await mintToken(u.cookie);
    const s = await openShell({ cookie: u.cookie });
    await expectEnded(
      s,
      'exec terminal input after the user is disabled',
      async () => {
        expect((await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { disabled: true } })).status).toBe(200);
      },
      /account was disabled/i,
    );
    await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { disabled: false } });
    expect((await live.request('GET', '/api/auth/me', { token: secret, origin: null })).status).toBe(401);
  });

  it('demoting an operator to viewer closes their exec shell (4403)', async () => {
    const u = await newUser();
    const s = await openShell({ cookie: u.cookie });
    await expectEnded(
      s,
      'exec terminal input after demotion to viewer',
      async () => {
        expect((await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { role: 'viewer' } })).status).toBe(200);
      },
      /role is now viewer/i,
      4403,
    );
  });

  it('demoting an admin closes their shell in a container only an admin could have created', async () => {
    const boss = `${RUN}-adminonly`;
    const created = await live.request('POST', `/api/hosts/${hostId}/containers`, {
      cookie: admin,
      body: { image: lab.dockerImage, name: boss, command: ['sleep', '300'], capAdd: ['SYS_ADMIN'] },
    });
    expect(created.status, created.body).toBe(201);
    try {
      const u = await newUser('admin');
      const s = await openShell({ cookie: u.cookie }, 'exec', boss);
      await expectEnded(
        s,
        'admin shell in an admin-only container after demotion to operator',
        async () => {
          expect((await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { role: 'operator' } })).status).toBe(200);
        },
        /role is now operator/i,
        4403,
        'container.exec.revoked',
        boss,
      );
      // As an operator now, the same shell cannot be reopened either.
      const again = track(await live.websocket(`/api/hosts/${hostId}/containers/${boss}/exec`, { cookie: u.cookie }));
      const answer = await again.waitFor((m) => m.type === 'ready' || m.type === 'error');
      expect(answer.type).toBe('error');
    } finally {
      docker('rm', '-f', boss);
    }
  });

  it("an admin password reset closes the user's session and token terminals", async () => {
    const u = await newUser();
    const { secret } = await mintToken(u.cookie);
    const viaToken = await openShell({ token: secret, origin: null });
    const s = await openShell({ cookie: u.cookie });
    await expectEnded(
      s,
      'exec terminal input after an admin password reset',
      async () => {
        expect(
          (await live.request('POST', `/api/users/${u.id}/password`, { cookie: admin, body: { password: 'another-pass-2' } })).status,
        ).toBe(204);
      },
      /admin reset your password/i,
    );
    const tokenClosed = await Promise.race([viaToken.closed, sleep(2000).then(() => null)]);
    recordAttempt(AREA, 'Bearer exec terminal after an admin password reset', tokenClosed ? 'refused' : 'got-through');
    expect(tokenClosed?.code).toBe(4401);
    expect((await live.request('GET', '/api/auth/me', { token: secret, origin: null })).status).toBe(401);
  });

  it("changing my own password closes my other sessions' terminals, not this one's", async () => {
    const u = await newUser();
    const other = await login(u.username, u.password);
    const mine = await openShell({ cookie: u.cookie });
    const theirs = await openShell({ cookie: other });
    await expectEnded(
      theirs,
      "another session's terminal after a password change",
      async () => {
        const res = await live.request('POST', '/api/auth/password', {
          cookie: u.cookie,
          body: { currentPassword: u.password, newPassword: 'changed-pass-2' },
        });
        expect(res.status, res.body).toBe(204);
      },
      /password was changed/i,
    );
    // The session that changed it keeps its terminal, and typing still works.
    expect(mine.isClosed()).toBe(false);
    await typeAndSee(mine, `sec-kept-${counter}`);
    mine.ws.close();
  });

  it('deleting the user closes their terminal', async () => {
    const u = await newUser();
    const s = await openShell({ cookie: u.cookie });
    await expectEnded(
      s,
      'exec terminal input after the user is deleted',
      async () => {
        expect((await live.request('DELETE', `/api/users/${u.id}`, { cookie: admin })).status).toBe(204);
      },
      /account was deleted/i,
    );
  });

  it('a demoted operator watching an attach goes on read-only; typing is refused', async () => {
    const res = await live.request('POST', `/api/hosts/${hostId}/containers`, {
      cookie: admin,
      body: { image: lab.dockerImage, name: `${RUN}-it`, command: ['sh'], tty: true },
    });
    expect(res.status, res.body).toBe(201);
    const u = await newUser();
    const s = await openShell({ cookie: u.cookie }, 'attach', `${RUN}-it`);
    await typeAndSee(s, 'sec-attach-alive', `${RUN}-it`);
    expect((await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { role: 'viewer' } })).status).toBe(200);
    await s.waitFor((m) => m.type === 'ready' && m.readOnly === true, 2000);
    s.send({ type: 'input', data: 'touch /tmp/sec-attach-revoked\r' });
    const refused = await s.waitFor((m) => m.type === 'error' && /read-only/i.test(m.message ?? ''), 2000);
    await sleep(500);
    const ran = docker('exec', `${RUN}-it`, 'sh', '-c', 'test -e /tmp/sec-attach-revoked && echo yes || echo no') === 'yes';
    recordAttempt(AREA, 'attach input after demotion to viewer', !ran ? 'refused' : 'got-through');
    expect(refused.message).toMatch(/read-only/i);
    expect(ran).toBe(false);
    expect(s.isClosed()).toBe(false);
    const audit = (await live.request('GET', '/api/audit?action=container.attach.downgraded', { cookie: admin })).json() as {
      items: unknown[];
    };
    expect(audit.items.length).toBe(1);
    s.ws.close();
  });

  it('the realtime socket closes on logout; a demoted admin stops receiving the audit topic', async () => {
    const u = await newUser('admin');
    const rt = track(await live.websocket('/api/ws', { cookie: u.cookie }));
    rt.send({ type: 'subscribe', topic: 'audit' });
    await rt.waitFor((m) => m.type === 'subscribed' && m.topic === 'audit');
    expect((await live.request('PATCH', `/api/users/${u.id}`, { cookie: admin, body: { role: 'operator' } })).status).toBe(200);
    const dropped = await rt.waitFor((m) => m.type === 'error' && m.topic === 'audit', 2000);
    expect(dropped.message).toMatch(/no longer follow/);
    const seen = rt.messages.length;
    // Something audited happens; the demoted user must not see it.
    await live.request('POST', '/api/users', {
      cookie: admin,
      body: { username: `rev${process.pid}-secret`, password: 'whatever-pass-1', role: 'viewer' },
    });
    await sleep(500);
    const leaked = rt.messages.slice(seen).some((m) => m.type === 'audit.appended');
    recordAttempt(AREA, 'audit topic after demotion from admin', !leaked ? 'refused' : 'got-through');
    expect(leaked).toBe(false);
    rt.send({ type: 'subscribe', topic: 'audit' });
    expect((await rt.waitFor((m) => m.type === 'error' && m.topic === 'audit' && m !== dropped, 2000)).message).toMatch(/role/);

    await live.request('POST', '/api/auth/logout', { cookie: u.cookie });
    const closed = await Promise.race([rt.closed, sleep(2000).then(() => null)]);
    recordAttempt(AREA, '/api/ws after logout', closed ? 'refused' : 'got-through');
    expect(closed?.code).toBe(4401);
    const audit = (await live.request('GET', '/api/audit?action=realtime.revoked', { cookie: admin })).json() as {
      items: Array<{ actor: { name: string } }>;
    };
    expect(audit.items.some((e) => e.actor.name === u.username)).toBe(true);
  });

  it('the logs websocket closes when its token is revoked', async () => {
    const u = await newUser('viewer');
    const { token, secret } = await mintToken(u.cookie);
    const s = track(await live.websocket(`/api/hosts/${hostId}/containers/${CONTAINER}/logs/ws`, { token: secret, origin: null }));
    await sleep(300);
    expect((await live.request('DELETE', `/api/auth/tokens/${token.id}`, { cookie: u.cookie })).status).toBe(204);
    const closed = await Promise.race([s.closed, sleep(2000).then(() => null)]);
    recordAttempt(AREA, 'Bearer logs websocket after token revoke', closed ? 'refused' : 'got-through');
    expect(closed?.code).toBe(4401);
    expect(s.messages.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/API token was revoked/) });
  });
});

describe('an expired session ends its terminal on the next keystroke', { timeout: 60_000 }, () => {
  let short: LiveServer;
  afterAll(async () => short?.close());

  it('refuses input after the session ttl and closes the socket', async () => {
    // A 6-second session: long enough to open a shell, short enough to outlive in a test.
    short = await startLiveServer({ dockerSocket: lab.dockerSocket, sessionTtlHours: 6 / 3600 });
    await short.test.setupAdmin();
    const res = await short.request('POST', '/api/auth/login', { body: { username: 'admin', password: 'correct horse battery' } });
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('mirador_session='))!;
    const loggedIn = Date.now();
    const hosts = (await short.request('GET', '/api/hosts', { cookie })).json() as Array<{ id: string; kind: string }>;
    const local = hosts.find((h) => h.kind === 'local')!.id;
    const s = track(await short.websocket(`/api/hosts/${local}/containers/${CONTAINER}/exec`, { cookie }));
    await s.waitFor((m) => m.type === 'ready');
    await typeAndSee(s, 'sec-expiry-alive');
    await sleep(Math.max(0, loggedIn + 6500 - Date.now()));
    const sent = Date.now();
    s.send({ type: 'input', data: 'touch /tmp/sec-revoked-expired\r' });
    const closed = await Promise.race([s.closed, sleep(2000).then(() => null)]);
    await sleep(300);
    const ran = exists('/tmp/sec-revoked-expired');
    recordAttempt(AREA, 'exec terminal input after the session expired', closed && !ran ? 'refused' : 'got-through');
    expect(closed?.code).toBe(4401);
    expect(closed!.at - sent).toBeLessThan(2000);
    expect(s.messages.at(-1)?.message).toMatch(/expired/i);
    expect(ran).toBe(false);
  });
});

describe('the VM serial console ends with the identity too', { timeout: 180_000 }, () => {
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

  it('closes an operator console on logout; keys typed afterwards never reach the guest', async () => {
    const added = await live.request('POST', '/api/hosts', {
      cookie: admin,
      body: { name: `${RUN}-lab`, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    expect(added.status, added.body).toBe(201);
    const labHost = added.json().id as string;
    expect((await live.request('POST', `/api/hosts/${labHost}/test`, { cookie: admin })).json().ok).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sec-revocation-'));
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
    const text = (c: Stream) =>
      c.messages
        .filter((m) => m.type === 'output')
        .map((m) => m.data)
        .join('');
    const adm = track(await live.websocket(path, { cookie: admin }));
    await adm.waitFor((m) => m.type === 'status' && m.state === 'attached', 60_000);
    for (let i = 0; i < 90 && !text(adm).includes(lab.vmKit.prompt.trim()); i++) {
      adm.send({ type: 'input', data: '\r' });
      await sleep(1000);
    }
    expect(text(adm)).toContain(lab.vmKit.prompt.trim());

    const u = await newUser();
    const op = track(await live.websocket(path, { cookie: u.cookie }), false);
    await op.waitFor((m) => m.type === 'status' && m.readOnly === false);
    // A fresh prompt whose cursor query the admin's client has answered, so the shell reads a command.
    adm.send({ type: 'input', data: '\r' });
    await sleep(1000);
    op.send({ type: 'input', data: 'touch /tmp/sec-console-alive\r' });
    await sleep(1500);
    const started = Date.now();
    expect((await live.request('POST', '/api/auth/logout', { cookie: u.cookie })).status).toBe(204);
    op.send({ type: 'input', data: 'touch /tmp/sec-console-revoked\r' });
    const closed = await Promise.race([op.closed, sleep(2000).then(() => null)]);

    // Ask the guest, through the admin's console, which canaries exist.
    const mark = `done-${Date.now()}`;
    adm.send({ type: 'input', data: `ls /tmp/sec-console-*; echo ${mark}\r` });
    await expect.poll(() => text(adm).split(mark).length > 2, { timeout: 30_000, interval: 200 }).toBe(true);
    const listing = text(adm).split(mark).at(-2)!;
    const ran = listing.includes('sec-console-revoked');
    recordAttempt(AREA, 'VM console input after logout', closed && !ran ? 'refused' : 'got-through');
    expect(closed?.code).toBe(4401);
    expect(closed!.at - started).toBeLessThan(2000);
    expect(op.messages.filter((m) => m.type === 'error').at(-1)?.message).toMatch(/logged out/i);
    expect(listing, JSON.stringify(text(adm).slice(-1500))).toContain('sec-console-alive');
    expect(ran).toBe(false);
    const audit = (await live.request('GET', `/api/audit?action=vm.console.revoked&targetId=${vm}`, { cookie: admin })).json() as {
      items: unknown[];
    };
    expect(audit.items.length).toBe(1);
    adm.ws.close();
  });
});
