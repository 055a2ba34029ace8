import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { ADMIN } from '../support/env';

test('logout, a failed login shows an error, and login works', async ({ page }) => {
  await loginViaApi(page);
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();

  // Sign out from the account menu.
  await page.getByRole('button', { name: `Account menu (${ADMIN.username})` }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await page.request.get('/api/auth/me')).status()).toBe(401);

  // Protected pages bounce to the login form and remember where we were going.
  await page.goto('/tasks');
  await expect(page).toHaveURL(/\/login\?next=%2Ftasks$/);

  // Wrong password: an error is shown, we stay on the login page.
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill('definitely-not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).not.toBeEmpty();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByLabel('Password')).toHaveValue('');

  // Right password: back to where we were heading.
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
  expect((await page.request.get('/api/auth/me')).status()).toBe(200);
});
