import { expect, type APIRequestContext } from '@playwright/test';
import { LAB_HOST_NAME, readLab, readVmKit } from './env';

/** The lab host as the server lists it (added by spec 03). */
export async function labHost(request: APIRequestContext): Promise<{ id: string; name: string }> {
  const hosts = (await (await request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const host = hosts.find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();
  return host!;
}

export interface KernelVmOptions {
  vcpus?: number;
  /** A new qcow2 disk in the default pool (snapshots, clones) or none. */
  disk?: 'qcow2' | 'none';
  graphics?: 'none' | 'vnc';
  start?: boolean;
  timeoutMs?: number;
}

/**
 * Creates a kernel-boot VM from the lab's VM kit through the API (the specs that test another tab
 * start from a VM, not from the create wizard, which spec 08 covers) and waits for its task to end well.
 */
export async function createKernelVmViaApi(
  request: APIRequestContext,
  origin: string,
  hostId: string,
  name: string,
  opts: KernelVmOptions = {},
): Promise<void> {
  const kit = readVmKit(readLab());
  const created = await request.post(`/api/hosts/${hostId}/vms`, {
    // Cookie-authenticated mutations must carry this server's Origin (CSRF rule), like the UI's own.
    headers: { origin: new URL(origin).origin },
    data: {
      name,
      memoryMiB: 128,
      vcpus: opts.vcpus ?? 1,
      domainType: 'qemu',
      graphics: opts.graphics ?? 'none',
      start: opts.start ?? false,
      disk: opts.disk === 'qcow2' ? { kind: 'new', pool: 'default', sizeGiB: 1 } : { kind: 'none' },
      install: { kind: 'kernel', kernel: kit.kernel, initrd: kit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
    },
  });
  expect(created.status(), await created.text()).toBe(202);
  const taskId = ((await created.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/tasks/${taskId}`)).json()) as { status: string }).status, {
      timeout: opts.timeoutMs ?? 120_000,
    })
    .toBe('ok');
}
