import { expect, test, type Page } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { removeContainersNamed } from '../support/docker';

/** Containers the e2e suite creates start with this, so cleanup can find leftovers of failed runs. */
const E2E_CONTAINER_PREFIX = 'mirador-test-e2e-ct-';
const NAME = `${E2E_CONTAINER_PREFIX}${Math.random().toString(36).slice(2, 8)}`;
/** The busybox image the lab imports into the local engine (scripts/lab.sh). */
const IMAGE = 'labbox:latest';
const COMMAND = 'sh -c "while true; do echo hello-from-mirador; sleep 1; done"';

// Whatever happened in the test, leave no e2e container behind (this run's or a crashed earlier run's).
test.afterAll(() => removeContainersNamed(E2E_CONTAINER_PREFIX));

/** The text xterm.js renders (its DOM renderer keeps one element per row). */
async function terminalText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
}

interface Engine {
  hostId: string;
  hostName: string;
  transport: 'socket' | 'ssh';
  state: 'ok' | 'loading' | 'error';
  message: string | null;
}

test('run a container on the local engine, read its logs, use a shell in it, then remove it', async ({ page }) => {
  test.setTimeout(300_000);
  await loginViaApi(page);

  // The server adds the local engine (host "local") by itself when /var/run/docker.sock exists.
  let local: Engine | undefined;
  await expect
    .poll(
      async () => {
        const res = await page.request.get('/api/docker/engines');
        if (res.status() !== 200) return `HTTP ${res.status()}`;
        local = ((await res.json()) as { items: Engine[] }).items.find((e) => e.transport === 'socket');
        return local ? local.state : 'no local engine';
      },
      { timeout: 60_000, message: 'the local Docker engine (/var/run/docker.sock) is listed and answers' },
    )
    .toBe('ok');
  const hostId = local!.hostId;

  // List → run form.
  await page.goto('/containers');
  await expect(page.getByRole('heading', { level: 1, name: 'Containers' })).toBeVisible();
  await expect(page.getByText('Live updates on')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Run a container' }).first().click();
  await expect(page).toHaveURL(/\/containers\/new/);
  await expect(page.getByRole('heading', { level: 1, name: 'Run a container' })).toBeVisible();

  await page.getByLabel('Engine', { exact: true }).selectOption(hostId);
  await page.getByLabel('Image', { exact: true }).fill(IMAGE);
  await page.getByLabel('Name', { exact: true }).fill(NAME);
  await page.getByLabel('Command', { exact: true }).fill(COMMAND);
  await expect(page.getByLabel('Start the container after creating it')).toBeChecked();

  // The live preview (from the server) is the docker run line for exactly this.
  const preview = page.locator('#container-preview-command');
  await expect(preview).toContainText('docker run', { timeout: 30_000 });
  await expect(preview).toContainText(`--name ${NAME}`);
  await expect(preview).toContainText(IMAGE);
  await expect(preview).toContainText('hello-from-mirador');

  // Run → its page.
  await page.getByRole('button', { name: 'Run container' }).click();
  await expect(page).toHaveURL(new RegExp(`/containers/${hostId}/${NAME}$`), { timeout: 120_000 });
  await expect(page.getByRole('heading', { level: 1, name: NAME })).toBeVisible();
  await expect(page.getByTestId('container-state')).toContainText('Running', { timeout: 60_000 });

  // Logs: streamed over the websocket.
  await page.getByRole('tab', { name: 'Logs' }).click();
  await expect(page).toHaveURL(/tab=logs/);
  await expect(page.getByTestId('container-logs')).toContainText('hello-from-mirador', { timeout: 30_000 });

  // Terminal: docker exec -it … /bin/sh, typed into xterm.js.
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await expect(page).toHaveURL(/tab=terminal/);
  await expect(page.getByTestId('terminal-status').getByText('Connected', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('pre').filter({ hasText: `docker exec -it ${NAME} /bin/sh` })).toBeVisible();
  const terminal = page.getByTestId('terminal');
  await terminal.click();
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expect
    .poll(async () => /(^|\n)42\s*(\n|$)/.test(await terminalText(page)), {
      timeout: 30_000,
      message: 'the shell printed 42',
    })
    .toBe(true);

  // Remove it, through the confirm dialog that teaches the docker command.
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: `Remove ${NAME}?` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Equivalent command')).toBeVisible();
  const confirm = dialog.getByRole('button', { name: 'Remove container' });
  await expect(confirm).toBeDisabled(); // running: needs "force"
  await dialog.getByLabel(/Force: stop it first/).check();
  await expect(dialog.locator('pre')).toContainText(`docker rm -f ${NAME}`);
  await confirm.click();
  await expect(page).toHaveURL(/\/containers$/, { timeout: 60_000 });
  await expect(page.getByText(`Container ${NAME} removed.`)).toBeVisible();
  await expect(page.getByRole('link', { name: NAME, exact: true })).toHaveCount(0);

  const gone = await page.request.get(`/api/hosts/${encodeURIComponent(hostId)}/containers/${encodeURIComponent(NAME)}`);
  expect(gone.status(), 'the engine no longer knows the container').toBe(404);
});
