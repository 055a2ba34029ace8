import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { reportFault } from '../../apps/server/test/faults/fault-report';
import { loginViaApi } from '../support/auth';
import { docker, localDocker, pushToRegistryOnly } from '../support/docker';
import { E2E_VM_PREFIX, LAB_HOST_NAME, readLab } from '../support/env';
import { virsh } from '../support/virsh';

/**
 * Fault: the browser goes away (tab and context closed) while an image pull and a pool upload it
 * started are under way. What a person expects, then, from a fresh browser:
 * - the pull finished: it is a server task (the dialog says "the pull runs on the server"), so it
 *   goes on without the page and its task ends ok with the image on the engine;
 * - the upload did not: its bytes came from the page, so the server saw the request end early,
 *   deleted the partial volume and recorded the upload as failed — no volume, no staging file, no
 *   undo note left in the data directory;
 * - no task is left running.
 */
const SUFFIX = Math.random().toString(36).slice(2, 8);
const POOL = 'default';
const FILE = `${E2E_VM_PREFIX}fault-upload-${SUFFIX}.raw`;
const SIZE = 32 * 1024 ** 2;
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-e2e-fault-'));
const DATA_DIR = process.env.MIRADOR_E2E_DATA_DIR!;

type Lab = ReturnType<typeof readLab> & { registry: { address: string; username: string; password: string }; dockerImage: string };

const imageExists = (ref: string) => {
  try {
    docker(['image', 'inspect', ref]);
    return true;
  } catch {
    return false;
  }
};

/** The lab registry behind a loopback proxy that answers at ~512 KiB/s (8 MB → ~16 s): long enough to close the page mid-pull. */
async function slowRegistry(address: string) {
  const [host, port] = address.split(':');
  let bytes = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const up = connect(Number(port), host);
    open.add(client);
    const close = () => (open.delete(client), client.destroy(), up.destroy());
    client.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      client.write(chunk);
      up.pause();
      setTimeout(() => up.resume(), (chunk.length / (512 * 1024)) * 1000);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    bytes: () => bytes,
    close: () => new Promise<void>((r) => (open.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

const withOrigin = (page: Page) => ({ origin: new URL(page.url()).origin });

test.afterAll(() => {
  for (const line of virsh('vol-list', POOL).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name === FILE) virsh('vol-delete', name, '--pool', POOL);
  }
  fs.rmSync(DIR, { recursive: true, force: true });
});

test('close the browser mid-pull and mid-upload: the pull finishes on the server, the upload is undone', async ({ browser }) => {
  test.setTimeout(240_000);
  const lab = readLab() as Lab;
  // An image with a layer of its own (8 MB of random bytes) in the lab registry, absent from the engine.
  const repo = `e2e/fault-${SUFFIX}`;
  const pushed = `${lab.registry.address}/${repo}:1`;
  docker(['build', '-q', '--network', 'none', '-t', pushed, '-'], {
    input: `FROM ${lab.dockerImage}\nRUN head -c 8000000 /dev/urandom > /blob\n`,
  });
  pushToRegistryOnly(pushed, lab.registry);
  const proxy = await slowRegistry(lab.registry.address);
  const image = `${proxy.address}/${repo}:1`;
  const file = path.join(DIR, FILE);
  fs.writeFileSync(file, randomBytes(SIZE));

  /** The pull's task as the API reports it. */
  const pullTask = async (p: Page) =>
    ((await (await p.request.get('/api/tasks?type=image.pull')).json()) as Array<{ status: string; target: { name: string | null } }>).find(
      (t) => t.target.name === image,
    );

  try {
    // ---- the first browser: start both, then close it
    const first = await browser.newContext();
    const page = await first.newPage();
    await loginViaApi(page);
    await page.goto('/');
    const reg = await page.request.post('/api/registries', {
      headers: withOrigin(page),
      data: { name: `slow-${SUFFIX}`, serverAddress: proxy.address, username: lab.registry.username, password: lab.registry.password },
    });
    expect(reg.status(), await reg.text()).toBe(201);
    const engines = (await (await page.request.get('/api/docker/engines')).json()) as {
      items: Array<{ hostId: string; transport: string }>;
    };
    const engineHost = engines.items.find((e) => e.transport === 'socket')!.hostId;
    const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
    const labHost = hosts.find((h) => h.name === LAB_HOST_NAME)!.id;

    // First the upload, in a second tab of the same browser, held to ~1 MiB/s (32 MiB → ~32 s).
    const tab = await first.newPage();
    await tab.goto(`/storage?host=${labHost}`, { waitUntil: 'domcontentloaded' });
    const row = tab.getByRole('row').filter({ has: tab.getByRole('cell', { name: POOL, exact: true }) });
    await row.getByRole('button', { name: 'Volumes' }).click();
    const volumes = tab.getByRole('region', { name: `Volumes of "${POOL}"` });
    await expect(volumes.getByRole('button', { name: 'Upload', exact: true })).toBeEnabled({ timeout: 15_000 });
    const cdp = await first.newCDPSession(tab);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 ** 2 });
    await volumes.getByLabel('File to upload into the pool').setInputFiles(file);
    await expect(volumes.getByRole('progressbar', { name: `Uploading ${FILE}` })).toBeVisible({ timeout: 10_000 });
    await expect.poll(() => virsh('vol-list', POOL).includes(FILE), { timeout: 15_000 }).toBe(true);

    // Then the pull, in the first tab.
    await page.goto(`/images?host=${engineHost}`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('button', { name: 'Pull', exact: true }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Pull an image' });
    await dialog.getByLabel('Image', { exact: true }).fill(image);
    await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
    await expect(page.getByRole('dialog', { name: `Pulling ${image}` })).toBeVisible({ timeout: 15_000 });
    await expect.poll(() => proxy.bytes(), { timeout: 30_000 }).toBeGreaterThan(500_000);

    // Both still under way when the browser goes.
    expect((await pullTask(page))?.status).toBe('running');
    expect(virsh('vol-list', POOL).includes(FILE), 'the upload is still under way').toBe(true);
    const closedAt = Date.now();
    await first.close();

    // ---- a new browser: what is true now
    const second = await browser.newContext();
    const again = await second.newPage();
    await loginViaApi(again);
    // The upload: the partial volume goes as soon as the server sees the request end.
    await expect.poll(() => virsh('vol-list', POOL).includes(FILE), { timeout: 30_000 }).toBe(false);
    const uploadUndoneMs = Date.now() - closedAt;
    const audit = async () =>
      (
        (await (await again.request.get('/api/audit?action=storage.volume.upload&limit=20')).json()) as {
          items: Array<{ result: string; target: { name: string | null }; errorMessage: string | null; errorCode?: string }>;
        }
      ).items.find((e) => e.target.name === FILE);
    await expect.poll(async () => (await audit())?.result, { timeout: 15_000 }).toBe('error');
    const uploadAudit = await audit();
    // Recorded with the code the audit page translates (how many bytes arrived; the partial volume deleted).
    expect(uploadAudit?.errorCode).toBe('storage.uploadCutShort');
    // The pull: a server task, it finishes without the page.
    await expect.poll(async () => (await pullTask(again))?.status, { timeout: 90_000 }).toBe('ok');
    const pullDoneMs = Date.now() - closedAt;
    expect(imageExists(image), 'the pulled image is on the engine').toBe(true);

    // Nothing running, nothing staged, no undo note left behind.
    const active = (await (await again.request.get('/api/tasks?status=active')).json()) as unknown[];
    expect(active).toEqual([]);
    for (const sub of ['uploads', 'undo']) {
      const dir = path.join(DATA_DIR, sub);
      expect(fs.existsSync(dir) ? fs.readdirSync(dir) : [], `${dir} is empty`).toEqual([]);
    }
    const verify = (await (await again.request.get('/api/audit/verify')).json()) as { intact: boolean };
    expect(verify.intact).toBe(true);

    // The Tasks page tells the same story.
    await again.goto('/tasks');
    await expect(again.getByText(image).first()).toBeVisible();
    await second.close();

    reportFault({
      fault: 'browser closed mid-upload (pool upload)',
      truth: `partial volume removed; audit: ${uploadAudit?.errorMessage ?? 'storage.volume.upload failed'}`,
      truthMs: uploadUndoneMs,
      recoveryMs: uploadUndoneMs,
      checked: ['no volume left in the pool', 'nothing in uploads/ or undo/ of the data dir', 'no task running', 'audit chain verifies'],
    });
    reportFault({
      fault: 'browser closed mid-pull',
      truth: 'the pull task went on without the page and ended ok; the image is on the engine',
      truthMs: pullDoneMs,
      recoveryMs: null,
      checked: ['task ok', 'image present', 'no task running', 'audit chain verifies'],
    });
  } finally {
    await proxy.close();
    for (const ref of [image, pushed]) localDocker('rmi', '-f', ref);
  }
});
