import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX, readLab } from '../support/env';
import { createKernelVmViaApi, labHost } from '../support/vms';

/** A shut-off VM without disks or NICs; devices go to its definition. Named so the lab cleans leftovers. */
const VM = `${E2E_VM_PREFIX}dev-${Math.random().toString(36).slice(2, 8)}`;
const VOLUME = `${VM}-data.qcow2`;

test.afterAll(() => {
  virsh('destroy', VM);
  virsh('undefine', VM);
  virsh('vol-delete', VOLUME, '--pool', 'default');
});

test('attaches a disk and a NIC from the Devices tab, with their virsh lines, then sets the link down and detaches', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const host = await labHost(page.request);
  await createKernelVmViaApi(page.request, baseURL!, host.id, VM);
  const lab = readLab();

  await page.goto(`/vms/${host.id}/${VM}?tab=devices`);
  await page.getByRole('button', { name: 'Attach disk' }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByRole('combobox', { name: 'Storage pool' }).selectOption('default');
  await dialog.getByLabel('Volume name').fill(VOLUME);
  await dialog.getByLabel('Size (MiB)').fill('16');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByText(`vol-create-as default ${VOLUME} 16777216 --format qcow2`)).toBeVisible({ timeout: 15_000 });
  await expect(dialog.getByText(`attach-device ${VM} /dev/stdin --config < vda.xml`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Attach' }).click();
  await expect(page.locator('[data-disk="vda"]')).toContainText(VOLUME, { timeout: 15_000 });
  await expect(page.locator('[data-disk="vda"]')).toContainText('16');
  expect(virsh('domblklist', VM, '--inactive')).toContain(VOLUME);

  const network = (lab as { libvirtNetwork?: string | null }).libvirtNetwork;
  if (network) {
    await page.getByRole('button', { name: 'Attach NIC' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'libvirt network' }).selectOption(network);
    await dialog.getByLabel('MAC address').fill('52:54:00:e2:e2:01');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await expect(dialog.getByText('<mac address="52:54:00:e2:e2:01"/>')).toBeVisible({ timeout: 15_000 });
    await dialog.getByRole('button', { name: 'Attach' }).click();
    const row = page.locator('[data-nic="52:54:00:e2:e2:01"]');
    await expect(row).toContainText('up', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Set the link of 52:54:00:e2:e2:01 down' }).click();
    await expect(row).toContainText('down', { timeout: 15_000 });
    expect(virsh('domif-getlink', VM, '52:54:00:e2:e2:01', '--config')).toMatch(/down/);
    await page.getByRole('button', { name: 'Detach 52:54:00:e2:e2:01' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Detach 52:54:00:e2:e2:01' }).click();
    await expect(row).toHaveCount(0, { timeout: 15_000 });
  }

  await page.getByRole('button', { name: 'Detach vda' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Detach vda' }).click();
  await expect(page.locator('[data-disk="vda"]')).toHaveCount(0, { timeout: 15_000 });
  // Detached, not deleted.
  expect(virsh('vol-info', VOLUME, '--pool', 'default')).toContain(VOLUME);
});
