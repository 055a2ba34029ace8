import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX } from '../support/env';
import { createKernelVmViaApi, labHost } from '../support/vms';

/** A shut-off VM with a qcow2 disk (snapshots of it are quick); named so the lab cleans leftovers. */
const VM = `${E2E_VM_PREFIX}snap-${Math.random().toString(36).slice(2, 8)}`;

test.afterAll(() => {
  virsh('destroy', VM);
  virsh('undefine', VM, '--snapshots-metadata', '--remove-all-storage');
});

test('takes a snapshot and reverts to it from the Snapshots tab', async ({ page }) => {
  test.setTimeout(240_000);
  await loginViaApi(page);
  await page.goto('/');
  const host = await labHost(page.request);
  await createKernelVmViaApi(page.request, page.url(), host.id, VM, { disk: 'qcow2' });

  await page.goto(`/vms/${host.id}/${VM}?tab=snapshots`);
  await expect(page.getByText('No snapshots yet')).toBeVisible({ timeout: 30_000 });

  const take = async (name: string) => {
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Description').fill(`taken by the e2e spec (${name})`);
    // The virsh line follows the form.
    await expect(dialog.getByText(`snapshot-create-as ${VM} --name ${name}`)).toBeVisible({ timeout: 15_000 });
    await dialog.getByRole('button', { name: 'Take snapshot' }).click();
    await expect(dialog.getByRole('button', { name: 'Done' })).toBeVisible({ timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(page.locator(`[data-snapshot="${name}"]`)).toContainText('current', { timeout: 15_000 });
  };
  await take('e2e-first');
  await take('e2e-second');
  await expect(page.locator('[data-snapshot="e2e-first"]')).not.toContainText('current');

  await page.getByRole('button', { name: 'Revert e2e-first' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('revert-lost')).toContainText('Every change written to the disks since');
  await expect(dialog.getByText(`snapshot-revert ${VM} e2e-first`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Revert' }).click();
  await expect(dialog.getByRole('button', { name: 'Done' })).toBeVisible({ timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(page.locator('[data-snapshot="e2e-first"]')).toContainText('current', { timeout: 15_000 });
  expect(virsh('snapshot-current', VM, '--name').trim()).toBe('e2e-first');
});
