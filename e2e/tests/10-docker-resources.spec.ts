import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { localDocker, localEngineHostId, removeDockerObjectsNamed } from '../support/docker';

/** Names this spec creates start with this, so cleanup finds leftovers of failed runs. */
const PREFIX = 'mirador-test-e2e-res-';
const SUFFIX = Math.random().toString(36).slice(2, 8);
const NETWORK = `${PREFIX}net-${SUFFIX}`;
const VOLUME = `${PREFIX}vol-${SUFFIX}`;

test.afterAll(() => removeDockerObjectsNamed(PREFIX, ['network', 'volume']));

test('create an isolated network and a volume from the UI, see images, then remove them', async ({ page }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const hostId = await localEngineHostId(page);

  // Networks: create a bridge with its own subnet and inter-container traffic off.
  await page.goto(`/networks?host=${hostId}`);
  await page.getByRole('button', { name: 'Create network' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: false }).first().fill(NETWORK);
  await dialog.getByLabel('Subnet (optional)').fill('172.31.77.0/24');
  await dialog.getByLabel('Containers on this network can talk to each other', { exact: false }).uncheck();
  // The teaching aid shows the command while the form is filled in.
  await expect(dialog.getByText('com.docker.network.bridge.enable_icc=false')).toBeVisible();
  await dialog.getByRole('button', { name: 'Create network' }).click();
  const row = page.getByRole('row', { name: new RegExp(NETWORK) });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByText('ICC off')).toBeVisible();
  expect(
    localDocker(
      'network',
      'inspect',
      '-f',
      '{{index .Options "com.docker.network.bridge.enable_icc"}} {{(index .IPAM.Config 0).Subnet}}',
      NETWORK,
    ),
  ).toBe('false 172.31.77.0/24');

  // A network made behind Mirador's back shows up by itself (engine events, no reload).
  const outside = `${PREFIX}outside-${SUFFIX}`;
  localDocker('network', 'create', outside);
  await expect(page.getByRole('row', { name: new RegExp(outside) })).toBeVisible({ timeout: 10_000 });
  localDocker('network', 'rm', outside);
  await expect(page.getByRole('row', { name: new RegExp(outside) })).toHaveCount(0, { timeout: 10_000 });

  await row.getByRole('button', { name: `Actions for ${NETWORK}` }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page.getByRole('row', { name: new RegExp(NETWORK) })).toHaveCount(0, { timeout: 15_000 });
  expect(localDocker('network', 'ls', '-q', '--filter', `name=${NETWORK}`)).toBe('');

  // Volumes.
  await page.goto(`/volumes?host=${hostId}`);
  await page.getByRole('button', { name: 'Create volume' }).first().click();
  await page.getByRole('dialog').getByLabel('Name', { exact: false }).first().fill(VOLUME);
  await page.getByRole('dialog').getByRole('button', { name: 'Create volume' }).click();
  const vrow = page.getByRole('row', { name: new RegExp(VOLUME) });
  await expect(vrow).toBeVisible({ timeout: 15_000 });
  expect(localDocker('volume', 'inspect', '-f', '{{.Name}}', VOLUME)).toBe(VOLUME);
  await vrow.getByRole('button', { name: `Actions for ${VOLUME}` }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page.getByRole('row', { name: new RegExp(VOLUME) })).toHaveCount(0, { timeout: 15_000 });

  // Images: the lab's busybox image is listed; its detail page shows its history.
  await page.goto(`/images?host=${hostId}`);
  const irow = page.getByRole('row', { name: /labbox:latest/ });
  await expect(irow).toBeVisible({ timeout: 15_000 });
  await irow
    .getByRole('link', { name: /labbox:latest/ })
    .first()
    .click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('labbox');
  await expect(page.getByText(/history/i).first()).toBeVisible();
});
