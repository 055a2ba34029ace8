import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { readLab, readLabPrivateKey } from '../support/env';

/**
 * Host onboarding as in Cockpit (issue 13): in the add form, "Test connection" shows the SSH host key
 * fingerprint and what the host offers BEFORE anything is saved; the person confirms the key and
 * saving pins exactly that one (the host page shows it pinned without another test).
 */
const NAME = `e2e32-${process.pid}`;

test('test connection shows the fingerprint before saving, and saving pins it', async ({ page }) => {
  test.setTimeout(120_000);
  const lab = readLab();
  await loginViaApi(page);
  await page.goto('/hosts/new');
  await page.getByLabel('Name', { exact: true }).fill(NAME);
  await page.getByLabel('Address').fill(lab.ssh.host);
  await page.getByLabel('SSH port').fill(String(lab.ssh.port));
  await page.getByLabel('SSH user').fill(lab.ssh.user);
  await page.getByRole('radio', { name: /Private key/ }).check();
  await page.getByLabel('Private key (OpenSSH or PEM)').fill(readLabPrivateKey(lab));

  await page.getByTestId('host-test-unsaved').click();
  const result = page.getByTestId('host-test-result');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await expect(result.getByTestId('test-fingerprint')).toHaveText(lab.ssh.hostKeyFingerprint);
  await expect(page.getByTestId('host-test-offers')).toContainText('libvirt');
  // Nothing saved yet.
  const before = (await (await page.request.get('/api/hosts')).json()) as Array<{ name: string }>;
  expect(before.some((h) => h.name === NAME)).toBe(false);

  // A changed setting voids the test (the key belongs to the settings it was read with).
  await page.getByLabel('SSH port').fill('2223');
  await expect(page.getByText('The settings changed since the test')).toBeVisible();
  await expect(page.getByTestId('host-key-confirm')).toHaveCount(0);
  await page.getByLabel('SSH port').fill(String(lab.ssh.port));

  await page.getByTestId('host-key-confirm').check();
  await page.getByRole('button', { name: 'Add host' }).click();
  await expect(page).toHaveURL(/\/hosts\/[^/?]+\?created=1$/);
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(lab.ssh.hostKeyFingerprint);

  const hostId = new URL(page.url()).pathname.split('/').pop()!;
  const del = await page.request.delete(`/api/hosts/${hostId}`, { headers: { origin: new URL(page.url()).origin } });
  expect(del.status()).toBe(204);
});
