import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { ADMIN } from '../support/env';

// Raw action names as the server records them (the UI prints them next to the translated label).
const EXPECTED = [
  { what: 'setup', action: /setup/ },
  { what: 'failed login', action: /auth\.login/, result: 'Error' },
  { what: 'login', action: /auth\.login/, result: 'Succeeded' },
  { what: 'host create', action: /host\.create/ },
  { what: 'host test', action: /host\.test/ },
];

test('the audit log shows setup, the failed and good logins, host creation and test', async ({ page }) => {
  await loginViaApi(page);
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();

  const table = page.getByRole('table', { name: 'Audit log' });
  await expect(table.getByRole('row').nth(1)).toBeVisible();

  for (const e of EXPECTED) {
    let rows = table.getByRole('row').filter({ hasText: e.action });
    if (e.result) rows = rows.filter({ hasText: e.result });
    await expect(rows.first(), `audit entry for ${e.what}`).toBeVisible();
  }
  await expect(table.getByRole('row').filter({ hasText: ADMIN.username }).first()).toBeVisible();

  // Filter: only failures.
  await page.getByLabel('Result').selectOption('error');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/result=error/);
  await expect(
    table
      .getByRole('row')
      .filter({ hasText: /auth\.login/ })
      .first(),
  ).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: /host\.create/ })).toHaveCount(0);

  // Export links carry the filters.
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute(
    'href',
    /\/api\/audit\/export\?.*result=error.*format=csv|format=csv.*result=error/,
  );
  const csv = await page.request.get((await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!);
  expect(csv.ok()).toBe(true);

  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/audit$/);

  // Hash chain verification.
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(page.getByText(/Chain intact ✓ \(\d+ records\)/)).toBeVisible();
});
