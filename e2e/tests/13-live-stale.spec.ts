import { expect, test, type WebSocketRoute } from '@playwright/test';
import { loginViaApi } from '../support/auth';

/**
 * Pages built on LiveResource say when what they show may be out of date: while the realtime
 * connection is down, changes on the server may be missed until it is back (issue #9).
 */
test('a docker list and the engine page say so while live updates are down', async ({ page }) => {
  await loginViaApi(page);
  const engines = (await (await page.request.get('/api/docker/engines')).json()) as { items: Array<{ hostId: string; transport: string }> };
  const hostId = engines.items.find((e) => e.transport === 'socket')!.hostId;

  // The realtime socket goes through this route, so the test can cut it (and refuse reconnects).
  let socket: WebSocketRoute | null = null;
  let allow = true;
  await page.routeWebSocket('**/api/ws', (ws) => {
    if (!allow) {
      void ws.close({ code: 1011 });
      return;
    }
    ws.connectToServer();
    socket = ws;
  });

  for (const path of [`/volumes?host=${hostId}`, `/docker/${hostId}`]) {
    allow = true;
    await page.goto(path);
    await expect(page.getByText('Live updates on')).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId('stale-notice')).toHaveCount(0);
    allow = false;
    await socket!.close({ code: 1011 });
    await expect(page.getByTestId('stale-notice')).toContainText('may be out of date', { timeout: 10_000 });
  }

  // Back online: the page reads again and the notice goes.
  allow = true;
  await expect(page.getByText('Live updates on')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('stale-notice')).toHaveCount(0);
});

/**
 * A host whose name does not resolve: each page says so once, in one notice with a link to the host, and
 * never "no accepted SSH host key" (issue #13). Sections of that host only point at the notice.
 */
test('an unresolvable host name is said once per page, as such', async ({ page }) => {
  test.setTimeout(120_000);
  await loginViaApi(page);
  // Cookie-authenticated mutations must carry this server's Origin (CSRF rule), as a browser would.
  const headers = { origin: new URL(test.info().project.use.baseURL!).origin };
  const created = await page.request.post('/api/hosts', {
    headers,
    data: {
      name: 'mirtest-nohost',
      address: 'mirtest-nohost.invalid',
      username: 'root',
      authMethod: 'password',
      password: 'not-used',
      dockerMode: 'ssh',
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const host = (await created.json()) as { id: string };
  try {
    // The connection test is what a person does first: it records why the host cannot be reached.
    const tested = await page.request.post(`/api/hosts/${host.id}/test`, { headers });
    expect(await tested.text()).toContain('Cannot resolve mirtest-nohost.invalid');

    const said = page.getByText(/Cannot resolve mirtest-nohost\.invalid/);
    for (const path of [
      '/vms',
      `/storage?host=${host.id}`,
      `/libvirt-networks?host=${host.id}`,
      `/networks?host=${host.id}`,
      `/docker/${host.id}`,
    ]) {
      await page.goto(path);
      await expect(said.first(), path).toBeVisible({ timeout: 30_000 });
      await expect(said, path).toHaveCount(1);
      await expect(page.getByText(/no accepted SSH host key/i), path).toHaveCount(0);
      // The notice links to the host, where the name can be fixed.
      const notice = page.locator('[role="status"]').filter({ has: said });
      await expect(notice.getByRole('link', { name: 'Open host' }), path).toHaveAttribute('href', `/hosts/${host.id}`);
    }
    // The containers list, and the advisor's host scores (its Docker and host rules both stopped on it): once too.
    for (const path of ['/containers', '/security']) {
      await page.goto(path);
      await expect(said.first(), path).toBeVisible({ timeout: 30_000 });
      await expect(said, path).toHaveCount(1);
      await expect(page.getByText(/no accepted SSH host key/i), path).toHaveCount(0);
    }
  } finally {
    await page.request.delete(`/api/hosts/${host.id}`, { headers });
  }
});
