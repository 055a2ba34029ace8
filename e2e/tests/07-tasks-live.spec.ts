import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';

test('a self-test task shows live progress and log lines over the websocket', async ({ page }) => {
  await loginViaApi(page);
  await page.goto('/tasks');
  await expect(page.getByText('Live updates on')).toBeVisible({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Run self-test task' }).click();
  await expect(page.getByText('Self-test task started.')).toBeVisible();

  // The new row appears and finishes without reloading the page (pushed over /api/ws).
  const table = page.getByRole('table', { name: 'Tasks' });
  const row = table.getByRole('row').filter({ hasText: 'Self-test' }).first();
  await expect(row.getByText('Succeeded')).toBeVisible({ timeout: 30_000 });
  await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');

  // Detail page: full log and final state.
  await row.getByRole('link', { name: 'Self-test' }).click();
  await expect(page).toHaveURL(/\/tasks\/[^/]+$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Self-test' })).toBeVisible();
  const log = page.getByRole('list', { name: 'Log' });
  await expect(log.getByRole('listitem').first()).toBeVisible();
  await expect(page.getByRole('progressbar').first()).toHaveAttribute('aria-valuenow', '100');

  // A longer one: watch it progress live on the detail page, then cancel it.
  const res = await page.request.post('/api/tasks/selftest', {
    data: { steps: 100, intervalMs: 500 }, // 50 s: plenty of time to watch it and cancel it
    headers: { origin: new URL(page.url()).origin },
  });
  expect(res.status()).toBe(202);
  const task = await res.json();
  await page.goto(`/tasks/${task.id}`);
  await expect(page.getByText('Running', { exact: true }).first()).toBeVisible();
  await expect
    .poll(async () => Number(await page.getByRole('progressbar').first().getAttribute('aria-valuenow')), { timeout: 30_000 })
    .toBeGreaterThan(1);
  await expect(page.getByRole('link', { name: /Running tasks: [1-9]/ })).toBeVisible();

  await page.getByRole('button', { name: 'Cancel task' }).click();
  await page.getByRole('alertdialog', { name: 'Cancel this task?' }).getByRole('button', { name: 'Cancel task' }).click();
  await expect(page.getByText('Cancelled', { exact: true }).first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('link', { name: 'Running tasks: 0' })).toBeVisible();
});
