import { expect, type Page } from '@playwright/test';
import { ADMIN } from './env';

/** Sign in through the API (the cookie lands in the page's browser context). */
export async function loginViaApi(page: Page, creds: { username: string; password: string } = ADMIN) {
  const res = await page.request.post('/api/auth/login', { data: creds });
  expect(res.status(), `login as ${creds.username}: ${await res.text()}`).toBe(200);
}

/** Sign in through the login form. */
export async function loginViaUi(page: Page, creds: { username: string; password: string } = ADMIN) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(creds.username);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
