import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskDetail } from '@mirador/contract';
import { readLab, labPrivateKey, type Lab } from '../helpers/lab.js';
import { labVirsh, removeLabVms } from '../helpers/lab-vm.js';
import { assertNothingLost, auditEntries, type LeftoverProbe } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * A host whose disk is full: the lab's pool "mirlab-small" lives on a 64 MiB loop-mounted ext4
 * (scripts/lab/smallfs.sh). A VM whose raw disk (allocated in full) does not fit must fail as a task
 * with the reason a person understands — "No space left on device" — leave nothing in the pool, be
 * audited as a failure, and the host and the pool must go on working (a disk that fits is created next).
 */
type SmallPool = { name: string; path: string; bytes: number };
const lab = readLab() as Lab & { smallPool?: SmallPool };
const TAG = randomBytes(3).toString('hex');
const PREFIX = `mirtest-full-${TAG}`;
const ADMIN_PASSWORD = 'fault-admin-password';

describe('a full disk during a VM create', { timeout: 90_000 }, () => {
  const small = lab.smallPool;
  let srv: ServerProcess;
  let admin: string;
  let hostId: string;

  const poolVolumes = () =>
    labVirsh(lab, 'vol-list', '--pool', small!.name)
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.startsWith(PREFIX));
  const leftovers = {
    what: `volumes named ${PREFIX}* in ${small?.name} and domains of that name`,
    list: () => [
      ...poolVolumes().map((v) => `volume ${v}`),
      ...labVirsh(lab, 'list', '--all', '--name')
        .split('\n')
        .filter((n) => n.startsWith(PREFIX))
        .map((n) => `domain ${n}`),
    ],
  } satisfies LeftoverProbe;

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const res = await srv.request(method, path, { cookie: admin, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, text, json: (text ? JSON.parse(text) : null) as T };
  };
  const createVm = (name: string, disk: Record<string, unknown>) =>
    api<Task>('POST', `/api/hosts/${hostId}/vms`, {
      name,
      memoryMiB: 128,
      vcpus: 1,
      domainType: 'qemu',
      disk: { kind: 'new', pool: small!.name, ...disk },
      install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
      graphics: 'none',
      start: false,
    });
  const ended = (id: string) =>
    until(
      `task ${id} to end`,
      async () => {
        const t = (await api<TaskDetail>('GET', `/api/tasks/${id}`)).json;
        return t.status === 'running' || t.status === 'queued' ? null : t;
      },
      { timeoutMs: 60_000, everyMs: 100 },
    );

  beforeAll(async () => {
    expect(small, 'lab.json has no smallPool: run bash scripts/lab.sh up').toBeTruthy();
    srv = await startServerProcess();
    admin = await srv.setupAdmin('admin', ADMIN_PASSWORD);
    const added = await api<{ id: string }>('POST', '/api/hosts', {
      name: 'lab',
      address: lab.ssh.host,
      port: lab.ssh.port,
      authMethod: 'key',
      privateKey: labPrivateKey(lab),
    });
    expect(added.status, added.text).toBe(201);
    hostId = added.json.id;
    expect((await api<{ ok: boolean }>('POST', `/api/hosts/${hostId}/test`)).json.ok).toBe(true);
  });

  afterAll(async () => {
    await srv?.stop();
    removeLabVms(lab, `${PREFIX}-fits`, `${PREFIX}-big`);
    for (const v of poolVolumes()) labVirsh(lab, 'vol-delete', '--pool', small!.name, v);
  });

  it('fails the task with "No space left on device", leaves nothing in the pool, and the host goes on working', async () => {
    const start = Date.now();
    const big = await createVm(`${PREFIX}-big`, { sizeGiB: 1, format: 'raw' });
    expect(big.status, big.text).toBe(202);
    const { value: failed } = await ended(big.json.id);
    const truthMs = Date.now() - start;
    expect(failed.status).toBe('error');
    expect(failed.error).toMatch(/No space left on device/);
    // Which pool and file: the error names the path on the full filesystem.
    expect(failed.error).toContain(small!.path);
    const audited = (await auditEntries(srv.base, admin, { action: 'task.vm.create' })).find(
      (e) => (e.params as { taskId?: string } | null)?.taskId === big.json.id,
    );
    expect(audited, 'the audit log records the failed create').toMatchObject({ result: 'error' });
    expect(audited!.errorMessage).toMatch(/No space left on device/);
    expect(leftovers.list(), 'nothing half-made in the pool').toEqual([]);

    // The host and the pool still work: a disk that fits (a sparse qcow2) is created, then removed with its VM.
    const recoverStart = Date.now();
    const fits = await createVm(`${PREFIX}-fits`, { sizeGiB: 1, format: 'qcow2' });
    expect(fits.status, fits.text).toBe(202);
    const { value: made } = await ended(fits.json.id);
    expect(made.status, made.error ?? '').toBe('ok');
    expect(poolVolumes()).toEqual([`${PREFIX}-fits.qcow2`]);
    const removed = await api('DELETE', `/api/hosts/${hostId}/vms/${PREFIX}-fits?removeStorage=true`);
    expect(removed.status, removed.text).toBeLessThan(300);
    await until('the VM and its disk to be gone', async () => (leftovers.list().length === 0 ? true : null), { timeoutMs: 30_000 });
    const recoveryMs = Date.now() - recoverStart;

    const checked = await assertNothingLost({ base: srv.base, cookie: admin, dataDir: srv.dataDir, host: leftovers });
    reportFault({
      fault: `disk full (${small!.bytes / 1024 / 1024} MiB pool) during a VM create`,
      truth: `task error: ${failed.error}`,
      truthMs,
      recoveryMs,
      checked: [...checked, 'a VM whose disk fits was created in the same pool afterwards and removed'],
    });
  });
});
