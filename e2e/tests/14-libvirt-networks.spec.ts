import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { LAB_HOST_NAME } from '../support/env';

/** Networks this spec creates start with this, so cleanup finds leftovers of failed runs. */
const PREFIX = 'mirador-e2e-net-';
const NETWORK = `${PREFIX}${Math.random().toString(36).slice(2, 8)}`;
// Free on the lab host (its LAN is 192.0.2.0/24, libvirt's default 192.168.122.0/24, Docker 172.17.0.0/16)
// and away from 10.231.x, which the integration tests use.
const SUBNET = '10.232.14';

test.afterAll(() => {
  for (const name of virsh('net-list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())) {
    if (!name.startsWith(PREFIX)) continue;
    virsh('net-destroy', name);
    virsh('net-undefine', name);
  }
});

test('create an isolated libvirt network with its XML preview, stop and start it, then delete it', async ({ page }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const host = hosts.find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();

  await page.goto(`/libvirt-networks?host=${host!.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'libvirt networks' })).toBeVisible();
  await expect(page.getByLabel('Host', { exact: true })).toHaveValue(host!.id);
  const rows = page.getByRole('row');
  await expect(rows.filter({ hasText: 'default' }).first()).toBeVisible({ timeout: 30_000 });

  // The form: first a preview (XML + the virsh lines), then the create.
  await page.getByRole('button', { name: 'Create network' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a libvirt network' });
  await dialog.getByLabel('Name', { exact: true }).fill(NETWORK);
  await dialog.getByLabel('Kind').selectOption('isolated');
  await dialog.getByLabel('Subnet').fill(`${SUBNET}.0`);
  await dialog.getByLabel('Gateway (the host)').fill(`${SUBNET}.1`);
  await dialog.getByLabel('DHCP range start').fill(`${SUBNET}.100`);
  await dialog.getByLabel('DHCP range end').fill(`${SUBNET}.150`);
  await dialog.getByLabel('Start it with the host').uncheck();
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByText('Network XML')).toBeVisible();
  await expect(dialog.locator('pre', { hasText: `<name>${NETWORK}</name>` })).toBeVisible();
  await expect(dialog.locator('pre', { hasText: /virsh .*net-define/ })).toBeVisible();
  // Changing the form drops the preview: what was shown is what is sent.
  await dialog.getByLabel('DHCP range end').fill(`${SUBNET}.160`);
  await expect(dialog.getByText('Network XML')).toBeHidden();
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.locator('pre', { hasText: `end="${SUBNET}.160"` })).toBeVisible();
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // Listed, active, isolated, with the virsh lines that ran.
  const row = rows.filter({ hasText: NETWORK });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByText('active', { exact: true })).toBeVisible();
  await expect(row.getByText(`${SUBNET}.1/24`)).toBeVisible();
  await expect(row.getByText(`${SUBNET}.100 – ${SUBNET}.160`)).toBeVisible();
  await expect(page.locator('pre', { hasText: new RegExp(`virsh .*net-start ${NETWORK}`) })).toBeVisible();
  expect(virsh('net-info', NETWORK)).toMatch(/Active:\s+yes/);

  // Stop through the confirmation that shows the virsh line, then start again.
  await row.getByRole('button', { name: `Actions for ${NETWORK}` }).click();
  await page.getByRole('menuitem', { name: 'Stop' }).click();
  const stop = page.getByRole('alertdialog', { name: `Stop network ${NETWORK}?` });
  await expect(stop.getByText(new RegExp(`virsh .*net-destroy ${NETWORK}`))).toBeVisible();
  await stop.getByRole('button', { name: 'Confirm' }).click();
  await expect(row.getByText('inactive', { exact: true })).toBeVisible({ timeout: 15_000 });
  expect(virsh('net-info', NETWORK)).toMatch(/Active:\s+no/);
  await row.getByRole('button', { name: `Actions for ${NETWORK}` }).click();
  await page.getByRole('menuitem', { name: 'Start' }).click();
  await expect(row.getByText('active', { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('pre', { hasText: new RegExp(`virsh .*net-start ${NETWORK}`) })).toBeVisible();

  // Delete, confirmed.
  await row.getByRole('button', { name: `Actions for ${NETWORK}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const del = page.getByRole('alertdialog', { name: `Delete network ${NETWORK}?` });
  await expect(del.getByText(new RegExp(`virsh .*net-undefine ${NETWORK}`))).toBeVisible();
  await del.getByRole('button', { name: 'Confirm' }).click();
  await expect(row).toHaveCount(0, { timeout: 15_000 });
  expect(virsh('net-info', NETWORK)).toBe('');
});
