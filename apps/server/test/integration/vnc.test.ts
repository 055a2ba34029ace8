import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VNC_CLOSE } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost, createKernelVm, labVirsh, removeLabVms } from '../helpers/lab-vm.js';
import { CTRL_ALT_DEL, rfbConnect } from '../helpers/rfb-client.js';
import { wsConnect } from '../helpers/ws-client.js';

const virsh = (...args: string[]) => labVirsh(readLab(), ...args);

/** Resolves with what `virsh event` printed: a guest reboot within `seconds`, or nothing. */
function rebootWithin(name: string, seconds: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'virsh',
      ['-c', 'qemu:///system', 'event', '--domain', name, '--event', 'reboot', '--timeout', String(seconds)],
      { encoding: 'utf8' },
      (_err, stdout) => resolve(stdout),
    );
  });
}

// TCG guests on a 2-core CI machine boot slowly: generous timeouts.
describe('graphical console (VNC) through the host SSH connection', { timeout: 240_000 }, () => {
  let t: TestApp;
  let admin: string;
  let operator: string;
  let viewer: string;
  let lab: Lab;
  let hostId: string;
  let base: string;
  const tag = randomBytes(3).toString('hex');
  const name = `mirador-test-vnc-${tag}`;
  const serialOnly = `mirador-test-serial-${tag}`;
  const screenUrl = (vm = name) => `ws://${base}/api/hosts/${hostId}/vms/${vm}/vnc`;
  const ticketFor = async (cookie: string, vm = name) => {
    const res = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/vms/${vm}/vnc/ticket`, cookie });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { ticket: string; readOnly: boolean; command: string; expiresAt: string };
  };
  const createVm = (vmName: string, extra: Record<string, unknown>) => createKernelVm(t, admin, hostId, lab, vmName, extra);
  let createTask: string;

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    hostId = await addLabHost(t, admin, lab);
    operator = await t.userSession('operator', 'olga');
    viewer = await t.userSession('viewer', 'vic');
    createTask = await createVm(name, {});
  });

  afterAll(async () => {
    removeLabVms(lab, name, serialOnly);
    await t?.close();
  });

  it('gives a new VM a loopback VNC display and a VGA device; the password stays in the definition', async () => {
    const secret = virsh('dumpxml', '--security-info', name);
    const password = /passwd='([^']+)'/.exec(secret)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(secret).toMatch(/<graphics type='vnc' port='59\d\d' autoport='yes' listen='127.0.0.1'/);
    expect(secret).toMatch(/<model type='vga'/);
    // Nothing Mirador says or keeps carries it: the VM detail, the task, the audit.
    const places = [
      `/api/hosts/${hostId}/vms/${name}`,
      `/api/tasks/${createTask}`,
      `/api/audit?targetId=${name}&limit=50`,
      `/api/hosts/${hostId}/vms/preview`,
    ];
    for (const url of places.slice(0, 3)) {
      const body = (await t.call({ method: 'GET', url, cookie: admin })).body;
      expect(body, url).not.toContain(password);
    }
    const detail = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms/${name}`, cookie: admin })).json();
    expect(detail.graphics).toEqual([expect.objectContaining({ type: 'vnc' })]);
  });

  it('lets an operator see the screen: Mirador authenticates to the display, the browser sees security None', async () => {
    const grant = await ticketFor(operator);
    expect(grant.readOnly).toBe(false);
    expect(grant.command).toMatch(
      new RegExp(`^virt-viewer --connect '?qemu\\+ssh://root@127\\.0\\.0\\.1:${lab.ssh.port}/system'? ${name}$`),
    );
    const s = await rfbConnect(screenUrl(), operator, grant.ticket);
    const init = await s.handshake();
    expect(init).toMatchObject({ types: [1], result: 0 });
    expect(init.width).toBeGreaterThan(0);
    const frame = await s.firstFrame(init.width, init.height);
    expect(frame).toMatchObject({ type: 0 });
    expect(frame.rectangles).toBeGreaterThan(0);
    expect(s.texts).toContainEqual(expect.objectContaining({ type: 'status', state: 'connected', readOnly: false, viewers: 1 }));
    s.close();
  });

  it('refuses a ticket used twice, by another user, for another VM, or none at all — and audits each refusal', async () => {
    const grant = await ticketFor(operator);
    const first = await rfbConnect(screenUrl(), operator, grant.ticket);
    await first.handshake();
    const again = await rfbConnect(screenUrl(), operator, grant.ticket);
    expect((await again.whenClosed()).code).toBe(VNC_CLOSE.ticketRefused);
    expect(again.texts).toContainEqual({ type: 'error', message: expect.stringMatching(/unknown or was already used/) });
    first.close();

    const olgas = await ticketFor(operator);
    const stolen = await rfbConnect(screenUrl(), viewer, olgas.ticket);
    expect((await stolen.whenClosed()).code).toBe(VNC_CLOSE.ticketRefused);
    expect(stolen.texts).toContainEqual({ type: 'error', message: expect.stringMatching(/issued to someone else/) });

    const elsewhere = await ticketFor(operator);
    const other = await rfbConnect(screenUrl(serialOnly), operator, elsewhere.ticket);
    expect((await other.whenClosed()).code).toBe(VNC_CLOSE.ticketRefused);

    const none = await rfbConnect(screenUrl(), operator, null);
    expect((await none.whenClosed()).code).toBe(VNC_CLOSE.ticketRefused);
    await expect(rfbConnect(screenUrl(), '', 'x')).rejects.toThrow(/HTTP 401/);

    await expect
      .poll(
        async () =>
          (await t.call({ method: 'GET', url: `/api/audit?action=vm.vnc.open&result=error&limit=50`, cookie: admin }))
            .json()
            .items.map((e: { actor: { name: string } }) => e.actor.name)
            .sort(),
        { timeout: 5000 },
      )
      .toEqual(expect.arrayContaining(['olga', 'olga', 'olga', 'vic']));
  });

  it("drops a viewer's keys (its Ctrl-Alt-Del reboots nothing); the operator's Ctrl-Alt-Del reboots the guest", async () => {
    // Wait until the guest's init runs (it handles Ctrl-Alt-Del): the serial console shows the prompt.
    const consoleWs = await wsConnect<{ type: string; data?: string }>(`ws://${base}/api/hosts/${hostId}/vms/${name}/console`, admin);
    await expect
      .poll(() => consoleWs.messages.map((m) => m.data ?? '').join(''), { timeout: 120_000, interval: 500 })
      .toContain('mirador-lab-vm ready');
    consoleWs.close();

    const vGrant = await ticketFor(viewer);
    expect(vGrant.readOnly).toBe(true);
    const watcher = await rfbConnect(screenUrl(), viewer, vGrant.ticket);
    const init = await watcher.handshake();
    expect((await watcher.firstFrame(init.width, init.height)).type).toBe(0);
    const oGrant = await ticketFor(operator);
    const typist = await rfbConnect(screenUrl(), operator, oGrant.ticket);
    await typist.handshake();
    await expect.poll(() => watcher.texts.some((m) => m.type === 'status' && m.viewers === 2)).toBe(true);
    expect(watcher.texts).toContainEqual(expect.objectContaining({ type: 'status', state: 'connected', readOnly: true }));

    const quiet = rebootWithin(name, 10);
    await new Promise((r) => setTimeout(r, 500));
    for (const k of CTRL_ALT_DEL) watcher.key(k, true);
    for (const k of [...CTRL_ALT_DEL].reverse()) watcher.key(k, false);
    expect(await quiet).not.toMatch(/reboot/);
    expect(watcher.closed).toBeNull();

    const reboot = rebootWithin(name, 60);
    await new Promise((r) => setTimeout(r, 500));
    for (const k of CTRL_ALT_DEL) typist.key(k, true);
    for (const k of [...CTRL_ALT_DEL].reverse()) typist.key(k, false);
    expect(await reboot).toMatch(/event 'reboot' for domain/);
    watcher.close();
    typist.close();

    await expect
      .poll(
        async () =>
          (await t.call({ method: 'GET', url: `/api/audit?action=vm.vnc.&targetId=${name}&result=ok&limit=50`, cookie: admin }))
            .json()
            .items.map(
              (e: { action: string; actor: { name: string }; params: { readOnly?: boolean } }) =>
                `${e.action}:${e.actor.name}:${e.params?.readOnly}`,
            ),
        { timeout: 5000 },
      )
      .toEqual(expect.arrayContaining(['vm.vnc.open:vic:true', 'vm.vnc.open:olga:false', 'vm.vnc.close:vic:true']));
  });

  it('says why there is no screen: a serial-only VM, a VM that is off; a screen open when the VM stops is told and closed', async () => {
    await createVm(serialOnly, { graphics: 'none', start: false });
    expect(virsh('dumpxml', serialOnly)).not.toContain('<graphics');
    const res = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/vms/${serialOnly}/vnc/ticket`, cookie: operator });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/no VNC display/);

    const grant = await ticketFor(operator);
    const s = await rfbConnect(screenUrl(), operator, grant.ticket);
    await s.handshake();
    virsh('destroy', name);
    const closed = await Promise.race([
      s.whenClosed(),
      new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`not closed; got ${JSON.stringify(s.texts)}`)), 20_000)),
    ]);
    expect(closed.code).toBe(1000);
    expect(s.texts).toContainEqual(expect.objectContaining({ type: 'status', state: 'closed' }));
    await expect
      .poll(
        async () => (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/vms/${name}/vnc/ticket`, cookie: operator })).statusCode,
        {
          timeout: 30_000,
        },
      )
      .toBe(409);
  });
});
