import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { localDocker, removeContainersNamed } from '../support/docker';

/**
 * Issue #13: the run form's "Security & limits" — an invalid name is explained in the preview, the
 * hardening options show up in the docker run line, the container is created with them, and its
 * page shows the healthcheck's status and last probes, live.
 */
const E2E_CONTAINER_PREFIX = 'mirador-test-e2e-ct-';
const NAME = `${E2E_CONTAINER_PREFIX}hard-${Math.random().toString(36).slice(2, 8)}`;
const IMAGE = 'labbox:latest';

test.afterAll(() => removeContainersNamed(NAME));

test('hardening options: preview explains errors, shows the options, creates them, and the page shows health', async ({ page }) => {
  test.setTimeout(240_000);
  await loginViaApi(page);
  const engines = (await (await page.request.get('/api/docker/engines')).json()) as { items: Array<{ hostId: string; transport: string }> };
  const hostId = engines.items.find((e) => e.transport === 'socket')!.hostId;

  await page.goto(`/containers/new?host=${encodeURIComponent(hostId)}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Run a container' })).toBeVisible();
  await page.getByLabel('Image', { exact: true }).fill(IMAGE);

  // An invalid name: the preview says why instead of "choose an engine and an image".
  await page.getByLabel('Name', { exact: true }).fill('my web');
  const blockers = page.getByTestId('preview-blockers');
  await expect(blockers).toContainText('name:');
  await expect(page.getByText('Choose an engine and an image')).toHaveCount(0);
  await page.getByLabel('Name', { exact: true }).fill(NAME);
  await expect(blockers).toHaveCount(0);
  await page.getByLabel('Command', { exact: true }).fill('sh -c "trap \'exit 0\' TERM; touch /tmp/ready; sleep 600 & wait"');

  // Read-only root file system, with the suggested tmpfs for /tmp.
  await page.getByLabel(/Read-only root filesystem/).check();
  await page.getByTestId('tmpfs-suggestions').getByRole('button', { name: 'tmpfs /tmp' }).click();

  // Security & limits: one group at a time, defaults shown until changed.
  const section = page.getByTestId('hardening-section');
  await expect(section.getByText('defaults').first()).toBeVisible();
  await section.getByText('Limits (processes, ulimits, CPUs, disk I/O)').click();
  await section.getByLabel('Process limit').fill('64');
  await section.getByLabel('Ulimits').fill('nofile=512:1024');
  await section.getByLabel('CPUs it may use').fill('0');
  await section.getByText('Healthcheck', { exact: true }).first().click();
  await section.getByTestId('health-mode').selectOption('custom');
  await section.getByLabel('Health command').fill('test -e /tmp/ready');
  await section.getByLabel('Interval').fill('1s');
  await section.getByLabel('Retries').fill('2');

  const preview = page.locator('#container-preview-command');
  await expect(preview).toContainText('--tmpfs /tmp:noexec,nosuid', { timeout: 30_000 });
  await expect(preview).toContainText('--read-only');
  await expect(preview).toContainText('--pids-limit 64');
  await expect(preview).toContainText('--ulimit nofile=512:1024');
  await expect(preview).toContainText('--cpuset-cpus 0');
  await expect(preview).toContainText("--health-cmd 'test -e /tmp/ready' --health-interval 1s --health-retries 2");

  // A CPU the engine does not have is explained next to the field and in the preview.
  await section.getByLabel('CPUs it may use').fill('0-511');
  await expect(blockers).toContainText('cpusetCpus:', { timeout: 30_000 });
  await section.getByLabel('CPUs it may use').fill('0');
  await expect(preview).toContainText('--cpuset-cpus 0', { timeout: 30_000 });

  await page.getByRole('button', { name: 'Run container' }).click();
  await expect(page).toHaveURL(new RegExp(`/containers/${hostId}/${NAME}$`), { timeout: 120_000 });

  // The engine has the options; the page shows the health and its probes, updating by itself.
  const inspect = JSON.parse(localDocker('inspect', NAME))[0] as {
    HostConfig: { PidsLimit: number; ReadonlyRootfs: boolean; Tmpfs: object };
  };
  expect(inspect.HostConfig.PidsLimit).toBe(64);
  expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
  expect(inspect.HostConfig.Tmpfs).toEqual({ '/tmp': 'noexec,nosuid' });
  const health = page.getByTestId('container-health');
  await expect(health).toBeVisible({ timeout: 30_000 });
  await expect(health.getByTestId('health-status')).toContainText('healthy', { timeout: 60_000 });
  await expect(health.getByTestId('health-probe').first()).toBeVisible();
  await expect.poll(async () => health.getByTestId('health-probe').count(), { timeout: 30_000 }).toBeGreaterThan(2);
  await expect(page.getByText('--pids-limit 64').first()).toBeVisible();
});
