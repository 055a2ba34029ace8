import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { LAB_HOST_NAME } from '../support/env';

/** Volumes this spec creates in the lab's default pool start with this, so cleanup finds leftovers of failed runs. */
const PREFIX = 'e2e-wizard-';
const SUFFIX = Math.random().toString(36).slice(2, 8);
const ISO = `${PREFIX}${SUFFIX}.iso`;
const DISK = `${PREFIX}${SUFFIX}.qcow2`;
const TREE = 'http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/';

test.afterAll(() => {
  for (const line of virsh('vol-list', 'default').split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name?.startsWith(PREFIX)) virsh('vol-delete', name, '--pool', 'default');
  }
});

test('the create wizard offers pool ISOs, free volumes and a network install tree, and previews them', async ({ page }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const host = hosts.find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();

  await page.goto(`/vms/new?hostId=${host!.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Create a virtual machine' })).toBeVisible();
  await page.getByLabel('Host', { exact: true }).selectOption(host!.id);
  await page.getByLabel('Name', { exact: true }).fill(`${PREFIX}${SUFFIX}`);
  await page.getByLabel('Domain type').selectOption('qemu');

  // Volumes made behind Mirador's back (an upload elsewhere, say) show up after "Refresh".
  virsh('vol-create-as', 'default', ISO, '1M', '--format', 'raw');
  virsh('vol-create-as', 'default', DISK, '1M', '--format', 'qcow2');
  const isoPath = virsh('vol-path', '--pool', 'default', ISO).trim();
  expect(isoPath, 'the ISO volume exists').toMatch(/^\/.+\.iso$/);
  expect(virsh('vol-path', '--pool', 'default', DISK).trim(), 'the disk volume exists').not.toBe('');

  // CD-ROM: the ISO is offered; picking it fills the path (which stays editable).
  await expect(page.getByRole('radio', { name: /ISO image/ })).toBeChecked();
  const install = page.locator('section', { has: page.getByRole('heading', { name: 'Install source' }) });
  await install.getByRole('button', { name: 'Refresh' }).click();
  const isoPick = page.getByLabel('ISO from a storage pool');
  await expect(isoPick.locator('option', { hasText: `default / ${ISO}` })).toHaveCount(1);
  await expect(isoPick.locator('option', { hasText: DISK })).toHaveCount(0);
  await isoPick.selectOption({ label: (await isoPick.locator('option', { hasText: ISO }).innerText()).trim() });
  await expect(page.getByLabel('ISO path', { exact: true })).toHaveValue(isoPath);

  // Disk: the free qcow2 volume is offered, the ISO is not.
  await page.getByRole('radio', { name: /Existing volume/ }).check();
  const volPick = page.getByLabel('Volume', { exact: true });
  await expect(volPick.locator('option', { hasText: `default / ${DISK}` })).toHaveCount(1);
  await expect(volPick.locator('option', { hasText: ISO })).toHaveCount(0);
  await volPick.selectOption(`default/${DISK}`);
  await page.getByRole('radio', { name: /No network/ }).check();

  await page.getByRole('button', { name: 'Review' }).click();
  const command = page.locator('#vm-preview-command');
  await expect(command).toContainText(`--cdrom ${isoPath}`, { timeout: 30_000 });
  await expect(command).toContainText(`--disk vol=default/${DISK},bus=virtio`);

  // Network install tree: console=ttyS0 prefilled; the line shows --location and --extra-args.
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('radio', { name: /Network install tree/ }).check();
  await expect(page.getByLabel('Extra kernel arguments')).toHaveValue('console=ttyS0');
  await page.getByLabel('Install tree URL').fill('file:///etc/passwd');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByText('An http(s), ftp or nfs URL without spaces, quotes or commas.')).toBeVisible();
  await page.getByLabel('Install tree URL').fill(TREE);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(command).toContainText(`--location ${TREE} --extra-args console=ttyS0`, { timeout: 30_000 });
  await expect(command).not.toContainText('--cdrom');
});
