import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { LAB_HOST_NAME } from '../support/env';

/** Pools this spec creates start with this, so cleanup finds leftovers of failed runs. */
const PREFIX = 'mirador-e2e-pool-';
const SUFFIX = Math.random().toString(36).slice(2, 8);
const POOL = `${PREFIX}${SUFFIX}`;
const VOLUME = `disk-${SUFFIX}.qcow2`;
// The lab host is this machine (sshd on 127.0.0.1): a fresh directory it may hold a pool in.
const DIR = `/var/tmp/${POOL}`;

test.afterAll(() => {
  for (const name of virsh('pool-list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())) {
    if (!name.startsWith(PREFIX)) continue;
    for (const vol of virsh('vol-list', name).split('\n')) {
      const volName = vol.trim().split(/\s+/)[0];
      if (volName) virsh('vol-delete', volName, '--pool', name);
    }
    virsh('pool-destroy', name);
    virsh('pool-undefine', name);
  }
  for (const dir of fs.readdirSync('/var/tmp')) if (dir.startsWith(PREFIX)) fs.rmSync(`/var/tmp/${dir}`, { recursive: true, force: true });
});

test('as admin: create a dir pool, see its capacity, create and delete a qcow2 volume, delete the pool', async ({ page }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const host = hosts.find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();

  await page.goto(`/storage?host=${host!.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Storage pools' })).toBeVisible();
  await expect(page.getByLabel('Host', { exact: true })).toHaveValue(host!.id);

  await page.getByRole('button', { name: 'New dir pool' }).click();
  const dialog = page.getByRole('dialog', { name: 'New directory pool' });
  await dialog.getByLabel('Name', { exact: true }).fill(POOL);
  await dialog.getByLabel('Directory on the host', { exact: false }).fill(DIR);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.locator('pre', { hasText: `<path>${DIR}</path>` })).toBeVisible();
  await expect(dialog.locator('pre', { hasText: /virsh .*pool-define/ })).toBeVisible();
  await dialog.getByRole('button', { name: 'Create pool' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // Listed, running, with a capacity bar and the lines that ran.
  const row = page.getByRole('row').filter({ hasText: POOL });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByText('running', { exact: true })).toBeVisible();
  await expect(row.getByText(DIR)).toBeVisible();
  await expect(row.getByRole('progressbar')).toBeVisible();
  await expect(page.locator('pre', { hasText: new RegExp(`virsh .*pool-start ${POOL}`) })).toBeVisible();
  expect(fs.existsSync(DIR)).toBe(true);

  // Its volumes: create a qcow2 one.
  await row.getByRole('button', { name: 'Volumes' }).click();
  const volumes = page.getByRole('region', { name: `Volumes of "${POOL}"` });
  await expect(volumes.getByText('This pool holds no volumes.')).toBeVisible({ timeout: 15_000 });
  await volumes.getByRole('button', { name: 'New volume' }).click();
  const create = page.getByRole('alertdialog', { name: `New volume in "${POOL}"` });
  await create.getByLabel('Name', { exact: true }).fill(VOLUME);
  await create.getByLabel('Format').selectOption('qcow2');
  await create.getByLabel('Size (GiB)').fill('1');
  await create.getByRole('button', { name: 'New volume' }).click();
  await expect(create).toBeHidden({ timeout: 30_000 });
  const volRow = volumes.getByRole('row').filter({ hasText: VOLUME });
  await expect(volRow).toBeVisible({ timeout: 15_000 });
  await expect(volRow.getByText('qcow2', { exact: true })).toBeVisible();
  await expect(volRow.getByRole('cell', { name: '1 GiB', exact: true })).toBeVisible();
  await expect(page.locator('pre', { hasText: /virsh .*vol-create-as/ })).toBeVisible();
  expect(fs.existsSync(`${DIR}/${VOLUME}`)).toBe(true);

  // Delete the volume, then the pool.
  await volRow.getByRole('button', { name: `Actions for ${VOLUME}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page
    .getByRole('alertdialog', { name: `Delete the volume "${VOLUME}"?` })
    .getByRole('button', { name: 'Confirm' })
    .click();
  await expect(volRow).toHaveCount(0, { timeout: 15_000 });
  expect(fs.existsSync(`${DIR}/${VOLUME}`)).toBe(false);

  await row.getByRole('button', { name: 'Delete' }).click();
  await page
    .getByRole('alertdialog', { name: `Delete the pool "${POOL}"?` })
    .getByRole('button', { name: 'Confirm' })
    .click();
  await expect(row).toHaveCount(0, { timeout: 15_000 });
  expect(virsh('pool-info', POOL)).toBe('');
});
