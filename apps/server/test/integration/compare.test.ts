import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARE_NAME_PREFIX, type CompareMeasurements, type CompareOverview, type Task, type TaskDetail } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { addLabHost, labVirsh, removeLabVms, waitForTask } from '../helpers/lab-vm.js';

/**
 * The Compare page against the real lab: the inventory's figures, then the measurement task on the
 * lab's libvirtd (kernel-boot kit VM) and dockerd (its small image) — numbers come out, and nothing
 * named mirador-compare-* is left, neither after a full run nor after a cancel mid-boot.
 */
const lab = readLab();
let t: TestApp;
let admin: string;
let vmHostId: string;
let engineHostId: string;

/** Whatever a measurement could leave: domains, volumes, containers named with the prefix. */
function leftovers(): string[] {
  const domains = labVirsh(lab, 'list', '--all', '--name')
    .split('\n')
    .filter((n) => n.startsWith(COMPARE_NAME_PREFIX));
  const volumes = labVirsh(lab, 'vol-list', lab.storagePool)
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(COMPARE_NAME_PREFIX));
  const containers = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${COMPARE_NAME_PREFIX}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  return [...domains, ...volumes, ...containers];
}

function cleanUp() {
  for (const name of leftovers()) {
    removeLabVms(lab, name);
    try {
      labVirsh(lab, 'vol-delete', name, '--pool', lab.storagePool);
    } catch {
      /* not a volume */
    }
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } catch {
      /* not a container */
    }
  }
}

const start = (cookie = admin) => t.call({ method: 'POST', url: '/api/compare/measurements', cookie, payload: { vmHostId, engineHostId } });

beforeAll(async () => {
  cleanUp();
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  vmHostId = await addLabHost(t, admin, lab, 'compare-lab');
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  engineHostId = hosts.find((h) => h.kind === 'local')!.id;
}, 60_000);

afterAll(async () => {
  await t?.close();
  cleanUp();
});

describe('compare', () => {
  it('reads the figures per host from the inventory', async () => {
    const res = await t.call({ method: 'GET', url: '/api/compare', cookie: admin });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<CompareOverview>();
    const virt = body.hosts.find((h) => h.hostId === vmHostId)!;
    expect(virt.problems).toEqual([]);
    expect(virt.vms).not.toBeNull();
    expect(virt.memory?.source).toBe('libvirt');
    expect(virt.memory!.freeBytes).toBeGreaterThan(0);
    expect(virt.density.vm.fits).toBeGreaterThan(0);
    const engine = body.hosts.find((h) => h.hostId === engineHostId)!;
    expect(engine.containers).not.toBeNull();
    const c = engine.containers!;
    expect(c.images.some((i) => i.tags.includes(lab.dockerImage))).toBe(true);
    // Shared layers are counted once on disk: never more than the listed sizes added up.
    expect(c.imagesOnDiskBytes).toBeLessThanOrEqual(c.imagesListedBytes);
    expect(c.imagesSavedBytes).toBe(c.imagesListedBytes - c.imagesOnDiskBytes);
    expect(c.kernel).toBeTruthy();
  });

  it('measures a throwaway VM and container, stores the numbers and leaves nothing behind', async () => {
    const res = await start();
    expect(res.statusCode, res.body).toBe(202);
    const task = res.json<Task>();
    expect(task.type).toBe('compare.measure');
    // One at a time: a second request while it runs is refused.
    expect((await start()).statusCode).toBe(409);
    await waitForTask(t, admin, task.id, 120_000);
    const last = (await t.call({ method: 'GET', url: '/api/compare/measurements', cookie: admin })).json<CompareMeasurements>().last!;
    expect(last.taskId).toBe(task.id);
    expect(last.vm.name.startsWith(COMPARE_NAME_PREFIX)).toBe(true);
    expect(last.vm.bootMs).toBeGreaterThan(0);
    expect(last.container.startMs).toBeGreaterThan(0);
    expect(last.vm.memoryBytes).toBe(128 * 1024 * 1024);
    expect(last.vm.memoryRssBytes).toBeGreaterThan(0);
    expect(last.vm.diskCapacityBytes).toBeGreaterThan(0);
    expect(last.vm.diskAllocationBytes).toBeGreaterThan(0);
    expect(last.vm.bootFilesBytes).toBeGreaterThan(0);
    expect(last.container.rssBytes).toBeGreaterThan(0);
    expect(last.container.imageBytes).toBeGreaterThan(0);
    // Every step carries the command a person would type.
    expect(last.steps.map((s) => s.command).join('\n')).toMatch(/virsh -c qemu:\/\/\/system start mirador-compare-/);
    expect(last.steps.map((s) => s.command).join('\n')).toMatch(/docker start --attach mirador-compare-/);
    const detail = (await t.call({ method: 'GET', url: `/api/tasks/${task.id}`, cookie: admin })).json<TaskDetail>();
    expect(detail.log.map((l) => l.line).join('\n')).toMatch(/docker rm -f mirador-compare-/);
    expect(leftovers()).toEqual([]);
  }, 150_000);

  it('a cancel mid-boot removes what the measurement made', async () => {
    const before = (await t.call({ method: 'GET', url: '/api/compare/measurements', cookie: admin })).json<CompareMeasurements>().last;
    const task = (await start()).json<Task>();
    // Wait until the VM is booting (its disk and definition exist), then cancel.
    const until = Date.now() + 60_000;
    for (;;) {
      const d = (await t.call({ method: 'GET', url: `/api/tasks/${task.id}`, cookie: admin })).json<TaskDetail>();
      if (d.messageCode === 'compare.step.boot' || d.status !== 'running' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(leftovers().length).toBeGreaterThan(0);
    const res = await t.call({ method: 'POST', url: `/api/tasks/${task.id}/cancel`, cookie: admin });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<TaskDetail>().status).toBe('cancelled');
    expect(leftovers()).toEqual([]);
    // The stored results are still the last complete run's.
    const after = (await t.call({ method: 'GET', url: '/api/compare/measurements', cookie: admin })).json<CompareMeasurements>().last;
    expect(after?.taskId).toBe(before?.taskId);
  }, 90_000);
});
