import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX, LAB_HOST_NAME } from '../support/env';

const POOL = 'default';
/** The upload page names the volume after the file; the lab's cleanup removes `mirador-test-*` volumes of the default pool. */
const PREFIX = `${E2E_VM_PREFIX}upload-`;
const FILE = `${PREFIX}${Math.random().toString(36).slice(2, 8)}.raw`;
const SIZE = 6 * 1024 ** 2;
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-e2e-upload-'));

test.afterAll(() => {
  for (const line of virsh('vol-list', POOL).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name?.startsWith(PREFIX)) virsh('vol-delete', name, '--pool', POOL);
  }
  fs.rmSync(DIR, { recursive: true, force: true });
});

test('as admin: upload a file into a pool with visible progress, find it listed at its size, delete it', async ({ page }) => {
  test.setTimeout(180_000);
  const file = path.join(DIR, FILE);
  fs.writeFileSync(file, randomBytes(SIZE));

  await loginViaApi(page);
  const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const host = hosts.find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();

  await page.goto(`/storage?host=${host!.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Storage pools' })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: POOL, exact: true }) });
  await row.getByRole('button', { name: 'Volumes' }).click();
  const volumes = page.getByRole('region', { name: `Volumes of "${POOL}"` });
  await expect(volumes.getByRole('button', { name: 'Upload', exact: true })).toBeEnabled({ timeout: 15_000 });

  // Loopback is too fast to see progress: hold the browser's uploads to ~1 MiB/s (6 MiB → ~6 s).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 1024 ** 2,
  });

  await volumes.getByLabel('File to upload into the pool').setInputFiles(file);
  const progress = volumes.getByRole('progressbar', { name: `Uploading ${FILE}` });
  await expect(progress).toBeVisible({ timeout: 10_000 });
  await expect(volumes.getByRole('button', { name: 'Upload', exact: true })).toBeDisabled();
  await expect(volumes.getByRole('button', { name: 'Cancel upload' })).toBeVisible();
  // Bytes sent of the whole, then a rate once a second's worth is known.
  const stats = volumes.getByRole('status');
  await expect(stats).toContainText(/ of 6(\.0)? MiB/);
  await expect(stats).toContainText(/\d+(\.\d+)? (KiB|MiB)\/s/, { timeout: 10_000 });
  const pct = Number(await progress.getAttribute('aria-valuenow'));
  expect(pct).toBeGreaterThanOrEqual(0);
  expect(pct).toBeLessThan(100);

  await expect(progress).toBeHidden({ timeout: 60_000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(volumes.getByRole('alert')).toHaveCount(0);
  const volRow = volumes.getByRole('row').filter({ hasText: FILE });
  await expect(volRow).toBeVisible({ timeout: 15_000 });
  await expect(volRow.getByText('raw', { exact: true })).toBeVisible();
  await expect(volRow.getByRole('cell', { name: '6 MiB', exact: true }).first()).toBeVisible();
  await expect(page.locator('pre', { hasText: new RegExp(`virsh .*vol-upload .*${FILE}`) })).toBeVisible();

  // libvirt's own view: the volume holds exactly the file.
  const info = virsh('vol-info', '--bytes', '--pool', POOL, FILE);
  expect(info).toMatch(new RegExp(`Capacity:\\s+${SIZE} bytes`));
  const volPath = virsh('vol-path', '--pool', POOL, FILE).trim();
  expect(fs.statSync(volPath).size).toBe(SIZE);
  expect(fs.readFileSync(volPath).equals(fs.readFileSync(file))).toBe(true);

  await volRow.getByRole('button', { name: `Actions for ${FILE}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page
    .getByRole('alertdialog', { name: `Delete the volume "${FILE}"?` })
    .getByRole('button', { name: 'Confirm' })
    .click();
  await expect(volRow).toHaveCount(0, { timeout: 15_000 });
  expect(virsh('vol-info', '--pool', POOL, FILE)).toBe('');
});
