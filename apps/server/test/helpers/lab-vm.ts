import { execFileSync } from 'node:child_process';
import type { TestApp } from './app.js';
import { labPrivateKey, type Lab } from './lab.js';

/** virsh on the lab's libvirtd directly (not through Mirador): for checks and cleanup; libvirt's message on failure. */
export function labVirsh(lab: Pick<Lab, 'libvirtUri'>, ...args: string[]): string {
  try {
    return execFileSync('virsh', ['-c', lab.libvirtUri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    throw new Error(`virsh ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
}

/** Removes test VMs whatever state they are in (cleanup: errors are expected and ignored). */
export function removeLabVms(lab: Pick<Lab, 'libvirtUri'>, ...names: string[]) {
  for (const name of names) {
    for (const args of [
      ['destroy', name],
      ['undefine', '--nvram', name],
      ['undefine', name],
    ]) {
      try {
        labVirsh(lab, ...args);
      } catch {
        /* not running / not defined */
      }
    }
  }
}

/** Adds the lab's sshd as a host and accepts its key the way a person does (by testing it); returns its id. */
export async function addLabHost(t: TestApp, admin: string, lab: Lab, name = 'lab'): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/hosts',
    cookie: admin,
    payload: { name, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
  });
  if (res.statusCode !== 201) throw new Error(`could not add the lab host: ${res.body}`);
  const hostId = res.json<{ id: string }>().id;
  const tested = (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json<{ ok: boolean }>();
  if (!tested.ok) throw new Error(`the lab host does not answer over SSH: ${JSON.stringify(tested)}`);
  return hostId;
}

/** Waits for a task to end (plain loop: usable in beforeAll, where expect.poll is not); throws unless it succeeded. */
export async function waitForTask(t: TestApp, cookie: string, id: string, timeoutMs = 150_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const task = (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie })).json<{ status: string; error?: string | null }>();
    if (task.status === 'ok') return task;
    if (task.status !== 'running' && task.status !== 'queued') throw new Error(`task ${id} ended ${task.status}: ${task.error ?? ''}`);
    if (Date.now() > until) throw new Error(`task ${id} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Creates (and by default starts) a 128 MiB TCG VM that boots the lab kit's kernel, through Mirador's create
 * API, and waits for the task. `extra` overrides any field of the body (disk, network, graphics, start…).
 * Returns the create task's id.
 */
export async function createKernelVm(
  t: TestApp,
  cookie: string,
  hostId: string,
  lab: Lab,
  name: string,
  extra: Record<string, unknown> = {},
) {
  const res = await t.call({
    method: 'POST',
    url: `/api/hosts/${hostId}/vms`,
    cookie,
    payload: {
      name,
      memoryMiB: 128,
      vcpus: 1,
      domainType: 'qemu',
      disk: { kind: 'none' },
      install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
      ...extra,
    },
  });
  if (res.statusCode !== 202) throw new Error(`could not create VM ${name}: ${res.statusCode} ${res.body}`);
  const id = res.json<{ id: string }>().id;
  await waitForTask(t, cookie, id);
  return id;
}
