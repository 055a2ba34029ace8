import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { LAB_HOST_NAME, readLab } from '../support/env';

test('a changed SSH host key is refused with a clear warning until an admin forgets the pinned key', async ({ page }) => {
  test.setTimeout(180_000);
  const lab = readLab();
  const impostor = lab.sshImpostor;
  if (!impostor?.port || !impostor.hostKeyFingerprint) {
    throw new Error('E2E LAB INVALID: .lab/lab.json lacks sshImpostor.{port,hostKeyFingerprint}');
  }

  await loginViaApi(page);
  await page.goto('/hosts');
  await page.getByRole('link', { name: LAB_HOST_NAME, exact: true }).click();
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(lab.ssh.hostKeyFingerprint);

  // Point the host at a machine that presents another key (same address, other port).
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Edit ${LAB_HOST_NAME}` });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('SSH port').fill(String(impostor.port));
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  // Exact: the host status line quotes the address too, in the host-key error it reports.
  await expect(page.getByText(`${lab.ssh.user}@${lab.ssh.host}:${impostor.port}`, { exact: true })).toBeVisible();

  // The test is refused: red warning with expected vs presented fingerprints; the pin is unchanged.
  await page.getByRole('button', { name: 'Test connection' }).click();
  const warning = page.getByRole('alert').filter({ hasText: 'Host key mismatch — connection refused' });
  await expect(warning).toBeVisible({ timeout: 60_000 });
  await expect(warning.getByText(lab.ssh.hostKeyFingerprint)).toBeVisible();
  await expect(warning.getByText(impostor.hostKeyFingerprint)).toBeVisible();
  await expect(page.getByTestId('host-status').getByText('Error')).toBeVisible();
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(lab.ssh.hostKeyFingerprint);

  // An admin forgets the key (after a confirmation explaining the risk); the next test pins the new one.
  await page.getByRole('button', { name: 'Forget host key' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Forget the pinned host key?' });
  await expect(confirm).toContainText('intercepting');
  await confirm.getByRole('button', { name: 'Forget host key' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByText('No host key pinned yet.', { exact: false })).toBeVisible();

  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByRole('region', { name: 'Connection test' });
  await expect(result.getByText('New key pinned by this test')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(impostor.hostKeyFingerprint);
});
