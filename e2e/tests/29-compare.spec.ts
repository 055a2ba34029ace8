import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { LAB_HOST_NAME } from '../support/env';

/**
 * VMs vs containers (issue 13): the page shows the inventory's figures per host, runs the measurement
 * from its button (a throwaway VM and container, live progress), shows the numbers, and leaves
 * nothing named mirador-compare-* behind.
 */
const PREFIX = 'mirador-compare-';

function leftovers(): string[] {
  const domains = virsh('list', '--all', '--name')
    .split('\n')
    .filter((n) => n.startsWith(PREFIX));
  const containers = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${PREFIX}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return [...domains, ...containers];
}

test('runs the measurement from the Compare page and shows its numbers', async ({ page }) => {
  test.setTimeout(240_000);
  await loginViaApi(page);
  await page.goto('/compare');
  await expect(page.getByRole('heading', { name: 'VMs vs containers', level: 1 })).toBeVisible();
  // The inventory's figures: the lab host's card, with the three comparisons.
  const card = page.getByTestId('compare-host').filter({ has: page.getByRole('heading', { name: LAB_HOST_NAME }) });
  await expect(card).toBeVisible({ timeout: 30_000 });
  await expect(card.getByRole('rowheader', { name: /Density/ })).toBeVisible();
  await expect(card.getByText(/more fit/).first()).toBeVisible();

  await page.getByLabel('Host for the VM').selectOption({ label: LAB_HOST_NAME });
  await page.getByRole('button', { name: 'Run the measurement' }).click();
  // Live progress while it runs, then the numbers.
  await expect(page.getByRole('progressbar', { name: 'Measurement progress' })).toBeVisible({ timeout: 15_000 });
  const last = page.getByTestId('compare-last');
  await expect(last).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('compare-boot-ms')).toHaveText(/\d/);
  await expect(page.getByTestId('compare-start-ms')).toHaveText(/\d/);
  await expect(page.getByText(/^Measured .* by admin/)).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Measurement progress' })).toBeHidden({ timeout: 30_000 });
  // Each step with the command that does the same.
  await page.getByText('What ran, with the command that does the same').click();
  await expect(page.getByText(/virsh -c qemu:\/\/\/system start mirador-compare-/).first()).toBeVisible();
  expect(leftovers()).toEqual([]);

  // In Spanish, the same page explains itself in the lecture's words.
  await page.evaluate(() => localStorage.setItem('mirador.locale', 'es'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Máquinas virtuales frente a contenedores', level: 1 })).toBeVisible();
  await expect(page.getByText('Núcleo compartido').first()).toBeVisible();
  await page.evaluate(() => localStorage.setItem('mirador.locale', 'en'));
});
