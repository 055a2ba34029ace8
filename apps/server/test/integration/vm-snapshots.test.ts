import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost } from '../helpers/lab-vm.js';
import { wsConnect } from '../helpers/ws-client.js';

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

type Msg = { type: string; data?: string };
type Snap = { name: string; parent: string | null; children: string[]; current: boolean; depth: number; memory: boolean; state: string };

// TCG guests on a 2-core machine are slow, and memory snapshots write the whole guest RAM: generous, bounded timeouts.
describe('VM snapshots against the lab libvirt', { timeout: 300_000 }, () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  let base: string;
  const tag = randomBytes(3).toString('hex');
  const name = `mirador-test-snap-${tag}`;
  const rawVm = `mirador-test-snapraw-${tag}`;
  const diskless = `mirador-test-snapnone-${tag}`;
  const url = (vm = name) => `/api/hosts/${hostId}/vms/${vm}/snapshots`;

  async function waitTask(id: string, cookie = admin, ms = 240_000) {
    const until = Date.now() + ms;
    for (;;) {
      const task = (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie })).json();
      if (task.status !== 'running' && task.status !== 'queued') return task as { status: string; error: string | null; message: string };
      if (Date.now() > until) throw new Error(`task ${id} did not finish`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const createVm = async (vmName: string, extra: Record<string, unknown>) => {
    const res = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/vms`,
      cookie: admin,
      payload: {
        name: vmName,
        memoryMiB: 128,
        vcpus: 1,
        domainType: 'qemu',
        graphics: 'none',
        disk: { kind: 'none' },
        install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
        network: { kind: 'none' },
        ...extra,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const task = await waitTask(res.json().id as string);
    if (task.status !== 'ok') throw new Error(`create ${vmName}: ${task.status} ${task.error}`);
  };
  const snapshotTask = async (method: 'POST' | 'DELETE', path: string, payload?: Record<string, unknown>) => {
    const res = await t.call({ method, url: path, cookie: admin, payload });
    expect(res.statusCode, res.body).toBe(202);
    const task = await waitTask(res.json().id as string);
    expect(task.status, task.error ?? '').toBe('ok');
    const detail = (await t.call({ method: 'GET', url: `/api/tasks/${res.json().id}`, cookie: admin })).json();
    return { task, lines: (detail.log as { line: string }[]).map((l) => l.line) };
  };
  const list = async () => {
    const res = await t.call({ method: 'GET', url: url(), cookie: viewer });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Snap[]; current: string | null; canCreate: boolean; createRefusal: string | null };
  };

  /** Types a command on the serial console and returns what the guest printed after it, up to `done`. */
  let consoleWs: Awaited<ReturnType<typeof wsConnect<Msg>>> | null = null;
  async function guest(command: string, done: string, ms = 60_000): Promise<string> {
    consoleWs ??= await wsConnect<Msg>(`ws://${base}/api/hosts/${hostId}/vms/${name}/console`, admin);
    const ws = consoleWs;
    const from = ws.messages.length;
    const since = () =>
      ws.messages
        .slice(from)
        .map((m) => m.data ?? '')
        .join('');
    ws.send({ type: 'input', data: `${command}\r` });
    await expect.poll(since, { timeout: ms, interval: 300 }).toContain(done);
    return since();
  }
  const writeMarker = (marker: string, n: number) =>
    guest(`echo ${marker} | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null; sync; echo W-$((${n}+1))`, `W-${n + 1}`);
  /** Reads the disk's first sector past the page cache, so the answer is what the disk holds. */
  const readMarker = async (n: number) => {
    const out = await guest(
      `echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 16; echo; echo R-$((${n}+1))`,
      `R-${n + 1}`,
    );
    return /marker-\d/.exec(out)?.[0] ?? null;
  };

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    hostId = await addLabHost(t, admin, lab);
    viewer = await t.userSession('viewer', 'vic');
    await createVm(name, { disk: { kind: 'new', pool: lab.storagePool, sizeGiB: 1 } });
  });

  afterAll(async () => {
    consoleWs?.close();
    for (const vm of [name, rawVm, diskless]) {
      try {
        virsh('destroy', vm);
      } catch {}
      try {
        virsh('undefine', vm, '--snapshots-metadata', '--remove-all-storage');
      } catch {}
    }
    await t?.close();
  });

  it('snapshots a running VM with its memory, and reverting brings back what its disk held', async () => {
    await expect
      .poll(async () => (await guest('echo B-$((40+2))', 'B-42', 5_000).catch(() => '')).length > 0, { timeout: 150_000, interval: 2000 })
      .toBe(true);
    await writeMarker('marker-1', 1);
    expect(await readMarker(10)).toBe('marker-1');

    const started = Date.now();
    const { lines } = await snapshotTask('POST', url(), { name: 'before-change', description: 'marker-1 on the disk' });
    console.log(`snapshot with memory took ${Date.now() - started} ms`);
    expect(lines.some((l) => /^virsh -c qemu:\/\/\/system snapshot-create-as mirador-test-snap-\w+ --name before-change/.test(l))).toBe(
      true,
    );

    await writeMarker('marker-2', 2);
    expect(await readMarker(20)).toBe('marker-2');

    const reverting = Date.now();
    const revert = await snapshotTask('POST', `${url()}/before-change/revert`);
    console.log(`revert took ${Date.now() - reverting} ms`);
    expect(revert.lines.some((l) => /snapshot-revert mirador-test-snap-\w+ before-change --running$/.test(l))).toBe(true);
    expect(virsh('domstate', name).trim()).toBe('running');
    expect(await readMarker(30)).toBe('marker-1');

    const after = await list();
    expect(after.current).toBe('before-change');
    expect(after.items).toEqual([
      expect.objectContaining({ name: 'before-change', current: true, memory: true, state: 'running', parent: null, depth: 0 }),
    ]);
  });

  it('lists the tree with the current one marked; delete re-parents children, or takes them along', async () => {
    await snapshotTask('POST', url(), { name: 'second' });
    await snapshotTask('POST', url(), { name: 'third', description: 'a <b> & "c"' });
    let tree = await list();
    expect(tree.items.map((s) => [s.name, s.parent, s.depth, s.current, s.children])).toEqual([
      ['before-change', null, 0, false, ['second']],
      ['second', 'before-change', 1, false, ['third']],
      ['third', 'second', 2, true, []],
    ]);
    expect(virsh('snapshot-dumpxml', name, 'third')).toMatch(/<description>a &lt;b&gt; &amp; ("|&quot;)c("|&quot;)<\/description>/);

    const del = await snapshotTask('DELETE', `${url()}/second`);
    expect(del.lines).toContain(`virsh -c qemu:///system snapshot-delete ${name} second`);
    tree = await list();
    expect(tree.items.map((s) => [s.name, s.parent])).toEqual([
      ['before-change', null],
      ['third', 'before-change'],
    ]);

    const all = await snapshotTask('DELETE', `${url()}/before-change?children=true`);
    expect(all.lines).toContain(`virsh -c qemu:///system snapshot-delete ${name} before-change --children`);
    expect((await list()).items).toEqual([]);
    expect(virsh('snapshot-list', name, '--name').trim()).toBe('');

    const audit = (await t.call({ method: 'GET', url: `/api/audit?action=vm.snapshot.&targetId=${name}&limit=50`, cookie: admin })).json();
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['vm.snapshot.create', 'vm.snapshot.revert', 'vm.snapshot.delete']),
    );
  });

  it('refuses what libvirt cannot do, bad names and viewers — and says why', async () => {
    await createVm(rawVm, { disk: { kind: 'new', pool: lab.storagePool, sizeGiB: 1, format: 'raw' }, start: false });
    await createVm(diskless, { start: false });
    const raw = await t.call({ method: 'POST', url: url(rawVm), cookie: admin, payload: { name: 's1' } });
    expect(raw.statusCode).toBe(409);
    expect(raw.json().message).toMatch(/qcow2.*vda is raw/);
    expect((await t.call({ method: 'GET', url: url(rawVm), cookie: viewer })).json()).toMatchObject({ canCreate: false });
    const none = await t.call({ method: 'POST', url: url(diskless), cookie: admin, payload: { name: 's1' } });
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toMatch(/has no disk/);

    for (const bad of ['-rf', '../x', 'a b', "x';reboot", '', 'x'.repeat(65)]) {
      const res = await t.call({ method: 'POST', url: url(), cookie: admin, payload: { name: bad } });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().field, bad).toBe('name');
    }
    const running = await t.call({ method: 'POST', url: url(), cookie: admin, payload: { name: 'nomem', memory: false } });
    expect(running.statusCode).toBe(409);
    expect(running.json().field).toBe('memory');
    expect((await t.call({ method: 'POST', url: `${url()}/nope/revert`, cookie: admin })).statusCode).toBe(404);

    expect((await t.call({ method: 'POST', url: url(), cookie: viewer, payload: { name: 'v1' } })).statusCode).toBe(403);
    expect(virsh('snapshot-list', name, '--name').trim()).toBe('');
  });
});
