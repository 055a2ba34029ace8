import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, Task, TaskDetail } from '@mirador/contract';
import { readLab, labPrivateKey } from '../helpers/lab.js';
import { labVirsh, removeLabVms } from '../helpers/lab-vm.js';
import { assertNothingLost, auditEntries, type LeftoverProbe } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { slowUpload, throttlingProxy } from './slow-upload.js';

/**
 * SIGKILL of the server process in the middle of four long operations, then a start on the same data
 * directory. What a person expects afterwards: the operation reads as interrupted (never running, never
 * succeeded), the audit log says so, nothing Mirador half-made stays on the host (a volume without its
 * VM, a partial upload) or in the data directory (staged uploads), and the database and the audit
 * chain are sound. A crash cannot undo a step by itself, so Mirador notes each host-side step before it
 * starts and settles the note once the step is whole; at the next start it undoes what is still noted.
 */
const lab = readLab();
const TAG = randomBytes(3).toString('hex');
const PREFIX = `mirtest-fault-${TAG}`;
const ADMIN_PASSWORD = 'fault-admin-password';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}
const imageExists = (ref: string) => {
  try {
    docker('image', 'inspect', ref);
    return true;
  } catch {
    return false;
  }
};

/** Domains and pool volumes of this run that are still on the lab's libvirt. */
const libvirtLeftovers = {
  what: `libvirt domains and ${lab.storagePool} volumes named ${PREFIX}*`,
  list: () => [
    ...labVirsh(lab, 'list', '--all', '--name')
      .split('\n')
      .filter((n) => n.startsWith(PREFIX))
      .map((n) => `domain ${n}`),
    ...labVirsh(lab, 'vol-list', '--pool', lab.storagePool)
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.startsWith(PREFIX))
      .map((n) => `volume ${n}`),
  ],
} satisfies LeftoverProbe;

describe('SIGKILL of the server mid-operation, then a start on the same data dir', { timeout: 180_000 }, () => {
  let srv: ServerProcess;
  let admin: string;
  let labHost: string;
  let localHost: string;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; text: string }> => {
    const res = await srv.request(method, path, { cookie: admin, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json = null as T;
    try {
      json = JSON.parse(text) as T;
    } catch {
      /* not JSON */
    }
    return { status: res.status, json, text };
  };

  /** Kills the server, runs `whileDown` (a look at the host), starts it again and logs in. */
  async function crashAndRestart(whileDown?: () => void) {
    const killedAt = Date.now();
    await srv.kill();
    whileDown?.();
    await srv.restart();
    admin = await srv.login('admin', ADMIN_PASSWORD);
    return { killedAt, upAt: Date.now() };
  }

  const task = async (id: string) => (await api<TaskDetail>('GET', `/api/tasks/${id}`)).json;

  /** What the audit log says about a task after the crash: its record as a failure with the reason. */
  async function auditOfTask(type: string, id: string): Promise<AuditEntry | undefined> {
    const entries = await auditEntries(srv.base, admin, { action: `task.${type}` });
    return entries.find((e) => (e.params as { taskId?: string } | null)?.taskId === id);
  }

  beforeAll(async () => {
    srv = await startServerProcess({ env: { MIRADOR_DOCKER_SOCKET: lab.dockerSocket } });
    admin = await srv.setupAdmin('admin', ADMIN_PASSWORD);
    const added = await api<{ id: string }>('POST', '/api/hosts', {
      name: 'lab',
      address: lab.ssh.host,
      port: lab.ssh.port,
      authMethod: 'key',
      privateKey: labPrivateKey(lab),
    });
    expect(added.status, added.text).toBe(201);
    labHost = added.json.id;
    const tested = await api<{ ok: boolean }>('POST', `/api/hosts/${labHost}/test`);
    expect(tested.json.ok, tested.text).toBe(true);
    const hosts = await api<Array<{ id: string; kind: string }>>('GET', '/api/hosts');
    localHost = hosts.json.find((h) => h.kind === 'local')!.id;
    expect(localHost).toBeTruthy();
  });

  afterAll(async () => {
    await srv?.stop();
    removeLabVms(lab, `${PREFIX}-vm`);
    for (const v of [`${PREFIX}-vm.img`, `${PREFIX}-up.raw`]) {
      try {
        labVirsh(lab, 'vol-delete', '--pool', lab.storagePool, v);
      } catch {
        /* already gone */
      }
    }
  });

  it('during a VM create (kernel boot, a raw disk being made): interrupted, no volume without its VM', async () => {
    const name = `${PREFIX}-vm`;
    const res = await api<Task>('POST', `/api/hosts/${labHost}/vms`, {
      name,
      memoryMiB: 128,
      vcpus: 1,
      domainType: 'qemu',
      disk: { kind: 'new', pool: lab.storagePool, sizeGiB: 1, format: 'raw' },
      install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
      graphics: 'none',
    });
    expect(res.status, res.text).toBe(202);
    // The task's first step (vol-create-as) is already on its way to the host when the 202 arrives.
    let leftByCrash: string[] = [];
    const { killedAt, upAt } = await crashAndRestart(() => (leftByCrash = libvirtLeftovers.list()));
    const truth = await until(
      'the create task to read as interrupted',
      async () => {
        const t = await task(res.json.id);
        return t.status !== 'running' && t.status !== 'queued' ? t : null;
      },
      { timeoutMs: 10_000 },
    );
    expect(truth.value.status).toBe('error');
    expect(truth.value.error).toMatch(/Interrupted/);
    const audited = await auditOfTask('vm.create', res.json.id);
    expect(audited, 'the audit log records the interrupted create').toMatchObject({ result: 'error' });
    expect(audited!.errorMessage).toMatch(/Interrupted/);

    // A volume libvirt made for a VM that was never defined is Mirador's to remove: nobody else knows it exists.
    const recovered = await until('nothing half-made left on the host', async () => (libvirtLeftovers.list().length === 0 ? true : null), {
      timeoutMs: 30_000,
    });
    if (leftByCrash.length) {
      // libvirt finished the volume after the client died: the removal is in the audit log too.
      const undo = await auditEntries(srv.base, admin, { action: 'recovery.undo' });
      expect(undo.find((e) => (e.params as { taskId?: string } | null)?.taskId === res.json.id)).toMatchObject({ result: 'ok' });
    }
    const checked = await assertNothingLost({ base: srv.base, cookie: admin, dataDir: srv.dataDir, host: libvirtLeftovers });
    reportFault({
      fault: 'server SIGKILL during a VM create',
      truth: `task ${truth.value.status}: ${truth.value.error}; left by the crash: ${leftByCrash.join(', ') || 'nothing'}${leftByCrash.length ? ' (removed at start, audited as recovery.undo)' : ''}`,
      truthMs: upAt - killedAt + truth.ms,
      recoveryMs: upAt - killedAt + recovered.ms,
      checked,
    });
  });

  it('during an image pull from the lab registry (slowed down): interrupted, no image', async () => {
    // An image with a layer of its own (8 MB of random bytes), pushed to the lab registry and removed here.
    const repo = `mirador-fault-${TAG}`;
    const pushed = `${lab.registry.address}/${repo}:1`;
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', pushed, '-'], {
      input: `FROM ${lab.dockerImage}\nRUN head -c 8000000 /dev/urandom > /blob\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const reg = await api<{ id: string }>('POST', '/api/registries', {
      name: `fault-${TAG}`,
      serverAddress: lab.registry.address,
      username: lab.registry.username,
      password: lab.registry.password,
    });
    expect(reg.status, reg.text).toBe(201);
    const push = await api<Task>('POST', `/api/hosts/${localHost}/images/${encodeURIComponent(pushed)}/push`, { registryId: reg.json.id });
    expect(push.status, push.text).toBe(202);
    await until('the push', async () => ((await task(push.json.id)).status === 'ok' ? true : null), { timeoutMs: 60_000 });
    docker('image', 'rm', pushed);

    const [host, port] = lab.registry.address.split(':');
    const proxy = await throttlingProxy({ host: host!, port: Number(port) }, 512 * 1024);
    const viaProxy = `${proxy.address}/${repo}:1`;
    try {
      const regProxy = await api<{ id: string }>('POST', '/api/registries', {
        name: `fault-slow-${TAG}`,
        serverAddress: proxy.address,
        username: lab.registry.username,
        password: lab.registry.password,
      });
      expect(regProxy.status, regProxy.text).toBe(201);
      const pull = await api<Task>('POST', `/api/hosts/${localHost}/images/pull`, { image: viaProxy, registryId: regProxy.json.id });
      expect(pull.status, pull.text).toBe(202);
      await until('layer bytes flowing', async () => (proxy.bytes() > 1_000_000 ? true : null), { timeoutMs: 30_000, everyMs: 50 });
      const { killedAt, upAt } = await crashAndRestart();
      const truth = await until(
        'the pull task to read as interrupted',
        async () => {
          const t = await task(pull.json.id);
          return t.status !== 'running' && t.status !== 'queued' ? t : null;
        },
        { timeoutMs: 10_000 },
      );
      expect(truth.value.status).toBe('error');
      expect(truth.value.error).toMatch(/Interrupted/);
      expect(await auditOfTask('image.pull', pull.json.id)).toMatchObject({ result: 'error' });
      // The engine drops a pull whose client went away: the download stops and no image appears.
      const recovered = await until('the engine to drop the pull', async () => (proxy.openConnections() === 0 ? true : null), {
        timeoutMs: 30_000,
      });
      expect(imageExists(viaProxy), 'the interrupted pull left no image').toBe(false);
      const checked = await assertNothingLost({
        base: srv.base,
        cookie: admin,
        dataDir: srv.dataDir,
        host: { what: `image ${viaProxy}`, list: () => (imageExists(viaProxy) ? [viaProxy] : []) },
      });
      reportFault({
        fault: 'server SIGKILL during an image pull',
        truth: `task ${truth.value.status}: ${truth.value.error}`,
        truthMs: upAt - killedAt + truth.ms,
        recoveryMs: upAt - killedAt + recovered.ms,
        checked,
      });
    } finally {
      await proxy.close();
      for (const ref of [viaProxy, pushed]) if (imageExists(ref)) docker('image', 'rm', '-f', ref);
    }
  });

  it('during a build-context upload: no build, the staged context is removed at the next start', async () => {
    const uploads = join(srv.dataDir, 'uploads');
    const up = slowUpload({
      url: `${srv.base}/api/hosts/${localHost}/images/build?tag=${PREFIX}-build:1`,
      headers: { origin: srv.base, cookie: admin, 'content-type': 'application/x-tar' },
      totalBytes: 64 * 1024 * 1024,
      chunkBytes: 256 * 1024,
      everyMs: 50,
    });
    await until('the context to be staged', async () => (existsSync(uploads) && readdirSync(uploads).length > 0 ? true : null), {
      timeoutMs: 15_000,
      everyMs: 50,
    });
    const { killedAt, upAt } = await crashAndRestart();
    const answered = await up.ended;
    expect(answered, 'the client saw the connection end, not an answer').toHaveProperty('error');
    const builds = await api<Task[]>('GET', '/api/tasks?type=image.build');
    expect(builds.json, 'no build task was started from half a context').toEqual([]);
    const recovered = await until('the staged context to be removed', async () => (readdirSync(uploads).length === 0 ? true : null), {
      timeoutMs: 10_000,
    });
    expect(imageExists(`${PREFIX}-build:1`)).toBe(false);
    const checked = await assertNothingLost({ base: srv.base, cookie: admin, dataDir: srv.dataDir });
    reportFault({
      fault: 'server SIGKILL during a build-context upload',
      truth: `client: ${(answered as { error: string }).error}; no build task`,
      truthMs: 0,
      recoveryMs: upAt - killedAt + recovered.ms,
      checked,
    });
  });

  it('during a volume upload into a pool: the partial volume is removed at the next start, and the audit says so', async () => {
    const name = `${PREFIX}-up.raw`;
    const up = slowUpload({
      url: `${srv.base}/api/hosts/${labHost}/storage-pools/${lab.storagePool}/upload?name=${name}&format=raw`,
      headers: { origin: srv.base, cookie: admin, 'content-type': 'application/octet-stream' },
      totalBytes: 64 * 1024 * 1024,
      chunkBytes: 256 * 1024,
      everyMs: 50,
    });
    const volumeThere = () => labVirsh(lab, 'vol-list', '--pool', lab.storagePool).includes(name);
    await until('the volume to be created and the bytes flowing', async () => (volumeThere() && up.sent() > 2_000_000 ? true : null), {
      timeoutMs: 20_000,
      everyMs: 100,
    });
    const { killedAt, upAt } = await crashAndRestart();
    const answered = await up.ended;
    expect(answered, 'the client saw the connection end, not a 201').toHaveProperty('error');
    const recovered = await until('the partial volume to be removed', async () => (volumeThere() ? null : true), { timeoutMs: 30_000 });
    const truth = await until(
      'the audit to record the interrupted upload',
      async () =>
        (await auditEntries(srv.base, admin, { action: 'storage.volume.upload' })).find(
          (e) => e.target.name === name && e.result === 'error',
        ),
      { timeoutMs: 10_000 },
    );
    expect(truth.value.errorMessage).toMatch(/Interrupted/);
    const checked = await assertNothingLost({ base: srv.base, cookie: admin, dataDir: srv.dataDir, host: libvirtLeftovers });
    reportFault({
      fault: 'server SIGKILL during a volume upload',
      truth: `audit: ${truth.value.errorMessage}`,
      truthMs: upAt - killedAt + truth.ms,
      recoveryMs: upAt - killedAt + recovered.ms,
      checked,
    });
  });
});
