import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { LAB_HOST_NAME, readLab, readLabPrivateKey } from '../support/env';

test('add the lab host with a pasted SSH key, test it, and see the pinned fingerprint', async ({ page }) => {
  test.setTimeout(180_000);
  const lab = readLab(); // throws when the lab is missing: never skip
  const privateKey = readLabPrivateKey(lab);

  await loginViaApi(page);
  await page.goto('/hosts');
  await expect(page.getByRole('heading', { level: 1, name: 'Hosts' })).toBeVisible();
  await page.getByRole('link', { name: 'Add host' }).first().click();
  await expect(page).toHaveURL(/\/hosts\/new$/);

  await page.getByLabel('Name', { exact: true }).fill(LAB_HOST_NAME);
  await page.getByLabel('Address').fill(lab.ssh.host);
  await page.getByLabel('SSH port').fill(String(lab.ssh.port));
  await page.getByLabel('SSH user').fill(lab.ssh.user);
  await page.getByRole('radio', { name: /Private key/ }).check();
  await page.getByLabel('Private key (OpenSSH or PEM)').fill(privateKey);
  await page.getByLabel('Tags').fill('lab, e2e');
  await page.getByRole('button', { name: 'Add host' }).click();

  // Lands on the new host's page; no host key pinned yet.
  await expect(page).toHaveURL(/\/hosts\/[^/?]+\?created=1$/);
  await expect(page.getByRole('heading', { level: 1, name: LAB_HOST_NAME })).toBeVisible();
  await expect(page.getByText('No host key pinned yet.', { exact: false })).toBeVisible();

  // Test the connection: spinner while it runs, then a success and the pinned key.
  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByRole('region', { name: 'Connection test' });
  await expect(result).toBeVisible({ timeout: 60_000 });
  await expect(result.getByText('Connected', { exact: true })).toBeVisible();
  await expect(result.getByText(lab.ssh.hostKeyFingerprint)).toBeVisible();
  await expect(result.getByText('New key pinned by this test')).toBeVisible();

  await expect(page.getByTestId('host-status').getByText('Online')).toBeVisible();
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(lab.ssh.hostKeyFingerprint);

  // The list shows it online too.
  await page.getByRole('link', { name: 'Hosts' }).first().click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: LAB_HOST_NAME }) });
  await expect(row.getByText('Online')).toBeVisible();
  await expect(row.getByText(`${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}`)).toBeVisible();
});
