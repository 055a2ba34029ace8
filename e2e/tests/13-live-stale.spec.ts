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
