import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VNC_CLOSE } from '@mirador/contract';
import { CTRL_ALT_DEL, rfbConnect } from '../helpers/rfb-client.js';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { recordAttempt, tally } from './tally.js';

/**
 * The graphical console (issue #10) is root-equivalent on the guest: whoever types Ctrl-Alt-Del
 * on it reboots the VM. Attacks on a live server with a real QEMU display behind the host's SSH
 * connection: tickets that are missing, reused, stolen, aimed at another VM or put in the URL; a
 * viewer's input in every form RFB and QEMU know (keys, QEMU key events, pointer, clipboard, desktop
 * resize), split across frames or hidden behind an unknown message type; an operator demoted while
 * typing; and the display's password searched for everywhere Mirador writes. The guest is the
 * witness: its init reboots on Ctrl-Alt-Del, so a viewer's keys that got through would show as a
 * libvirt reboot event.
 */
const AREA = 'vnc';
const tag = randomBytes(3).toString('hex');
const VM = `mirador-test-secvnc-${tag}`;

let s: SecurityLab;
let wsBase: string;
let password: string;

const screen = (vm = VM, hostId = s.sshHostId) => `${wsBase}/api/hosts/${hostId}/vms/${vm}/vnc`;
async function ticket(cookie: string, vm = VM) {
  const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms/${vm}/vnc/ticket`, { cookie });
  expect(res.status, res.body).toBe(200);
  return res.json().ticket as string;
}
/** Whether the guest rebooted within `seconds` (libvirt's reboot event). */
function rebootWithin(seconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'virsh',
      ['-c', s.lab.libvirtUri, 'event', '--domain', VM, '--event', 'reboot', '--timeout', String(seconds)],
      { encoding: 'utf8' },
      (_err, stdout) => resolve(/event 'reboot'/.test(stdout)),
    );
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const keyEvent = (keysym: number, down: boolean) => Buffer.concat([Buffer.from([4, down ? 1 : 0, 0, 0]), u32(keysym)]);
const cad = (down: boolean) => Buffer.concat((down ? CTRL_ALT_DEL : [...CTRL_ALT_DEL].reverse()).map((k) => keyEvent(k, down)));
/** QEMU extended key events: XT scancodes 0x1d (Ctrl), 0x38 (Alt), 0xe053 (Delete → 0xd3). */
const qemuKey = (keysym: number, code: number, down: boolean) =>
  Buffer.concat([Buffer.from([255, 0, 0, down ? 1 : 0]), u32(keysym), u32(code)]);
const qemuCad = Buffer.concat([
  qemuKey(0xffe3, 0x1d, true),
  qemuKey(0xffe9, 0x38, true),
  qemuKey(0xffff, 0xd3, true),
  qemuKey(0xffff, 0xd3, false),
  qemuKey(0xffe9, 0x38, false),
  qemuKey(0xffe3, 0x1d, false),
]);

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  wsBase = s.live.base.replace(/^http/, 'ws');
  const lab = s.lab as typeof s.lab & { vmKit: { kernel: string; initrd: string } };
  const created = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms`, {
    cookie: s.cookies.admin,
    body: {
      name: VM,
      memoryMiB: 128,
      vcpus: 1,
      domainType: 'qemu',
      disk: { kind: 'none' },
      install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
    },
  });
  if (created.status !== 202) throw new Error(`could not create the VM: ${created.body}`);
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const task = (await s.live.request('GET', `/api/tasks/${created.json().id}`, { cookie: s.cookies.admin })).json();
    if (task.status === 'ok') break;
    if (task.status !== 'running') throw new Error(`VM create: ${task.error}`);
    await sleep(300);
  }
  password = /passwd='([^']+)'/.exec(virsh(s.lab, 'dumpxml', '--security-info', VM))?.[1] ?? '';
  if (!password) throw new Error('the VM has no VNC password');
  // The guest must be up (init handles Ctrl-Alt-Del) before a "nothing happened" means anything.
  const con = await s.live.websocket(`/api/hosts/${s.sshHostId}/vms/${VM}/console`, { cookie: s.cookies.admin });
  let seen = '';
  con.on('message', (raw) => (seen += (JSON.parse(raw.toString()) as { data?: string }).data ?? ''));
  const bootBy = Date.now() + 120_000;
  while (!seen.includes('mirador-lab-vm ready') && Date.now() < bootBy) await sleep(300);
  con.close();
  if (!seen.includes('mirador-lab-vm ready')) throw new Error('the guest did not boot');
}, 300_000);

afterAll(async () => {
  try {
    virsh(s.lab, 'destroy', VM);
  } catch {}
  try {
    virsh(s.lab, 'undefine', VM);
  } catch {}
  await s?.close();
});

describe('graphical console: tickets', { timeout: 120_000 }, () => {
  it('opens nothing without a valid ticket of your own for this VM', async () => {
    const cases: Array<[string, () => Promise<Awaited<ReturnType<typeof rfbConnect>>>]> = [
      ['no ticket', () => rfbConnect(screen(), s.cookies.operator, null)],
      ['a made-up ticket', () => rfbConnect(screen(), s.cookies.operator, randomBytes(24).toString('base64url'))],
      ['a viewer using an operator ticket', async () => rfbConnect(screen(), s.cookies.viewer, await ticket(s.cookies.operator))],
      [
        'an operator ticket aimed at another VM',
        async () => rfbConnect(screen(s.vmName), s.cookies.operator, await ticket(s.cookies.operator)),
      ],
      [
        'the ticket in the query string instead of the subprotocol',
        async () => rfbConnect(`${screen()}?ticket=${await ticket(s.cookies.operator)}`, s.cookies.operator, null),
      ],
      [
        'a ticket used a second time',
        async () => {
          const t = await ticket(s.cookies.operator);
          const first = await rfbConnect(screen(), s.cookies.operator, t);
          await first.handshake();
          first.close();
          return rfbConnect(screen(), s.cookies.operator, t);
        },
      ],
    ];
    for (const [attempt, open] of cases) {
      const conn = await open();
      const closed = await conn.whenClosed();
      tally(AREA, `screen with ${attempt}`, closed.code === VNC_CLOSE.ticketRefused);
      expect(closed.code, attempt).toBe(VNC_CLOSE.ticketRefused);
      // Not one RFB byte reaches a refused socket.
      expect(conn.bytes.drain().length, attempt).toBe(0);
    }
    for (const [attempt, cookie, origin] of [
      ['anonymous', '', undefined],
      ['a cross-site page with an operator session', s.cookies.operator, 'https://evil.example'],
    ] as const) {
      const t = await ticket(s.cookies.operator);
      const refused = await rfbConnect(screen(), cookie, t, origin).then(
        async (c) => (await c.whenClosed()).code >= 4000,
        () => true,
      );
      tally(AREA, `screen by ${attempt}`, refused);
      expect(refused, attempt).toBe(true);
    }
  });
});

describe('graphical console: a viewer only watches', { timeout: 180_000 }, () => {
  it("drops a viewer's keys, QEMU key events, pointer, clipboard and resizes, however framed; the guest is the witness", async () => {
    const v = await rfbConnect(screen(), s.cookies.viewer, await ticket(s.cookies.viewer));
    const init = await v.handshake();
    expect((await v.firstFrame(init.width, init.height)).type).toBe(0);
    const rebooted = rebootWithin(12);
    await sleep(500);
    const attempts: Array<[string, Buffer]> = [
      ['Ctrl-Alt-Del key events', Buffer.concat([cad(true), cad(false)])],
      ['Ctrl-Alt-Del as QEMU extended key events', qemuCad],
      ['pointer clicks', Buffer.from([5, 1, 0, 10, 0, 10, 5, 0, 0, 10, 0, 10])],
      ['clipboard text', Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(6), Buffer.from('reboot')])],
      ['a desktop resize', Buffer.concat([Buffer.from([251, 0, 0, 64, 0, 48, 1, 0]), Buffer.alloc(16)])],
    ];
    for (const [, bytes] of attempts) v.send(bytes);
    // The same Ctrl-Alt-Del one byte per frame: framing must not depend on how frames split.
    for (const byte of Buffer.concat([cad(true), cad(false)])) v.send([byte]);
    const got = await rebooted;
    for (const [attempt] of [...attempts, ['Ctrl-Alt-Del one byte per frame']]) tally(AREA, `viewer sends ${attempt}`, !got);
    expect(got, 'the guest rebooted: a viewer key got through').toBe(false);
    expect(v.closed).toBeNull();

    // An unknown message type cannot be framed: the screen ends rather than guess (and smuggle a key).
    const smuggle = rebootWithin(8);
    await sleep(300);
    v.send(Buffer.concat([Buffer.from([77, 0, 0, 0]), cad(true), cad(false)]));
    const closed = await v.whenClosed();
    const gotSmuggled = await smuggle;
    tally(AREA, 'viewer hides Ctrl-Alt-Del behind an unknown message type', closed.code === 1008 && !gotSmuggled);
    expect(closed.code).toBe(1008);
    expect(gotSmuggled).toBe(false);
  });

  it('a typing operator demoted to viewer is held to watching from the next message on', async () => {
    const username = `secvnc-${tag}`;
    const made = await s.live.request('POST', '/api/users', {
      cookie: s.cookies.admin,
      body: { username, password: 'secvnc-pass-1', role: 'operator' },
    });
    expect(made.status, made.body).toBe(201);
    const cookie = await s.live.test.login(username, 'secvnc-pass-1');
    const o = await rfbConnect(screen(), cookie, await ticket(cookie));
    await o.handshake();
    expect(o.texts).toContainEqual(expect.objectContaining({ type: 'status', readOnly: false }));
    expect(
      (await s.live.request('PATCH', `/api/users/${made.json().id}`, { cookie: s.cookies.admin, body: { role: 'viewer' } })).status,
    ).toBe(200);
    const rebooted = rebootWithin(10);
    await sleep(300);
    o.send(Buffer.concat([cad(true), cad(false)]));
    const got = await rebooted;
    tally(AREA, 'operator demoted to viewer sends Ctrl-Alt-Del', !got);
    expect(got).toBe(false);
    await expect.poll(() => o.texts.some((m) => m.type === 'error' && /read-only|view/i.test(String(m.message)))).toBe(true);
    o.close();
  });

  it('a screen ends with the session that opened it: after logout, keys typed on the open socket reach nothing', async () => {
    const username = `secvnc-out-${tag}`;
    const made = await s.live.request('POST', '/api/users', {
      cookie: s.cookies.admin,
      body: { username, password: 'secvnc-pass-2', role: 'operator' },
    });
    expect(made.status, made.body).toBe(201);
    const cookie = await s.live.test.login(username, 'secvnc-pass-2');
    const o = await rfbConnect(screen(), cookie, await ticket(cookie));
    await o.handshake();
    expect((await s.live.request('POST', '/api/auth/logout', { cookie })).status).toBeLessThan(300);
    const rebooted = rebootWithin(8);
    await sleep(300);
    o.send(Buffer.concat([cad(true), cad(false)]));
    const closed = await Promise.race([o.whenClosed(), sleep(5000).then(() => null)]);
    const got = await rebooted;
    tally(AREA, 'Ctrl-Alt-Del typed on a screen after its session logged out', closed?.code === 4401 && !got);
    expect(closed?.code).toBe(4401);
    expect(got).toBe(false);
  });

  it("the operator's Ctrl-Alt-Del does reboot it (the witness works)", async () => {
    const o = await rfbConnect(screen(), s.cookies.operator, await ticket(s.cookies.operator));
    await o.handshake();
    const rebooted = rebootWithin(60);
    await sleep(300);
    o.send(Buffer.concat([cad(true), cad(false)]));
    expect(await rebooted).toBe(true);
    o.close();
  });
});

describe('graphical console: the display password never leaves the host', () => {
  it('is absent from API answers, the audit export and the database', async () => {
    const answers = await Promise.all(
      [`/api/hosts/${s.sshHostId}/vms/${VM}`, `/api/hosts/${s.sshHostId}/vms`, '/api/audit/export?format=json', '/api/tasks?limit=100'].map(
        (p) => s.live.request('GET', p, { cookie: s.cookies.admin }),
      ),
    );
    const dbPath = join(s.live.test.dataDir, 'mirador.db');
    const raw = new Database(dbPath);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const haystacks = [
      ...answers.map((a) => a.body),
      ...[dbPath, `${dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')),
    ];
    const leaked = haystacks.some((h) => h.includes(password));
    recordAttempt(AREA, 'VNC password searched in API answers, audit export and database', leaked ? 'got-through' : 'refused');
    expect(leaked).toBe(false);
  });
});
