import { expect, test } from '@playwright/test';
import { ADMIN } from '../support/env';

test('first-run setup creates the admin and lands logged in', async ({ page }) => {
  const status = await page.request.get('/api/setup');
  expect(status.ok()).toBe(true);
  expect((await status.json()).needsSetup, 'the e2e server must start with an empty data dir').toBe(true);

  // Every route leads to /setup while the instance has no user.
  await page.goto('/hosts');
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole('heading', { name: 'Welcome to Mirador' })).toBeVisible();

  // Client-side validation: mismatching passwords are caught before anything is sent.
  await page.getByLabel('Administrator username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Repeat password').fill('something-else');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByText('The passwords do not match.')).toBeVisible();

  await page.getByLabel('Repeat password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();

  // Logged in, on the dashboard.
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('button', { name: `Account menu (${ADMIN.username})` })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Users' })).toBeVisible();

  const me = await page.request.get('/api/auth/me');
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ username: ADMIN.username, role: 'admin' });

  // Setup is closed for good.
  expect((await (await page.request.get('/api/setup')).json()).needsSetup).toBe(false);
  await page.goto('/setup');
  await expect(page).toHaveURL(/\/$/);
});
