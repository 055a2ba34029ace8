import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { ADMIN, LAB_HOST_NAME } from '../support/env';

/**
 * Connection settings are the admin's (issue #8): an operator sees why the connection fields are
 * locked, can still rename, tag and annotate a host, and a session ended elsewhere sends the page
 * back to the login screen instead of retrying forever.
 */
const OPERATOR = { username: 'e2e-operator', password: 'e2e-Operator-passw0rd' };

test('an operator edits notes but not how the host is reached; logging out elsewhere returns to login', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const baseURL = test.info().project.use.baseURL!;
  // Cookie-authenticated mutations must carry this server's Origin (CSRF rule), as a browser would.
  const admin = await browser.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL).origin } });
  await loginViaApi(await admin.newPage(), ADMIN);
  const created = await admin.request.post('/api/users', { data: { ...OPERATOR, role: 'operator' } });
  expect([201, 409]).toContain(created.status());
  const host = ((await (await admin.request.get('/api/hosts')).json()) as Array<{ id: string; name: string; address: string }>).find(
    (h) => h.name === LAB_HOST_NAME,
  );
  expect(host, 'the lab host from 03-host.spec').toBeTruthy();

  await loginViaApi(page, OPERATOR);
  await page.goto('/hosts');
  await expect(page.getByRole('heading', { level: 1, name: 'Hosts' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Add host' })).toHaveCount(0);

  await page.goto(`/hosts/${host!.id}?edit=1`);
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText('Only an administrator can change how Mirador reaches this host', { exact: false })).toBeVisible();
  await expect(dialog.getByLabel('Address')).toBeDisabled();
  const note = `checked by e2e ${Date.now()}`;
  await dialog.getByLabel('Notes').fill(note);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  const after = (await (await admin.request.get(`/api/hosts/${host!.id}`)).json()) as { notes: string; address: string };
  expect(after).toMatchObject({ notes: note, address: host!.address });

  // The operator's session ends elsewhere (an admin disables the account): the open page notices.
  const users = (await (await admin.request.get('/api/users')).json()) as Array<{ id: string; username: string }>;
  const op = users.find((u) => u.username === OPERATOR.username)!;
  expect((await admin.request.patch(`/api/users/${op.id}`, { data: { disabled: true } })).status()).toBe(200);
  await expect(page).toHaveURL(/\/login/, { timeout: 20_000 });
  await admin.request.patch(`/api/users/${op.id}`, { data: { disabled: false } });
  await admin.close();
});
