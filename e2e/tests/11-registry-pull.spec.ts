import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { docker, localDocker, pushToRegistryOnly } from '../support/docker';
import { readLab } from '../support/env';

/**
 * An image that only exists in the lab's password-protected registry: the admin stores the
 * credentials in Mirador (never in the engine), runs a container from the UI, and watches the pull.
 */
const SUFFIX = Math.random().toString(36).slice(2, 8);
const NAME = `mirador-test-e2e-ct-reg-${SUFFIX}`;

test('run a container from a private registry image: credentials from Mirador, pull progress on screen', async ({ page }) => {
  test.setTimeout(240_000);
  const lab = readLab() as ReturnType<typeof readLab> & {
    registry: { address: string; username: string; password: string };
    dockerImage: string;
  };
  const image = `${lab.registry.address}/e2e/box-${SUFFIX}:1`;
  // Put the image in the registry, then make sure the engine lacks it.
  docker(['tag', lab.dockerImage, image]);
  pushToRegistryOnly(image, lab.registry);

  try {
    await loginViaApi(page);
    await page.goto('/');
    // Cookie-authenticated mutations must carry this server's Origin (CSRF rule), like the UI's own.
    const reg = await page.request.post('/api/registries', {
      headers: { origin: new URL(page.url()).origin },
      data: {
        name: `lab-${SUFFIX}`,
        serverAddress: lab.registry.address,
        username: lab.registry.username,
        password: lab.registry.password,
      },
    });
    expect(reg.status(), await reg.text()).toBe(201);
    const engines = (await (await page.request.get('/api/docker/engines')).json()) as {
      items: Array<{ hostId: string; transport: string }>;
    };
    const hostId = engines.items.find((e) => e.transport === 'socket')!.hostId;

    await page.goto(`/containers/new?host=${hostId}`);
    await page.getByLabel('Image', { exact: true }).fill(image);
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Command', { exact: true }).fill('sleep 600');
    await expect(page.locator('#container-preview-command')).toContainText(image, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Run container' }).click();
    await expect(page).toHaveURL(new RegExp(`/containers/${hostId}/${NAME}$`), { timeout: 120_000 });
    await expect(page.getByTestId('container-state')).toContainText('Running', { timeout: 60_000 });
    expect(docker(['inspect', '-f', '{{.Config.Image}}', NAME])).toBe(image);
    // The missing image was fetched by a pull task (with layer progress on screen while it ran),
    // authenticated with the credentials stored in Mirador.
    const tasks = (await (await page.request.get('/api/tasks?type=image.pull')).json()) as Array<{
      status: string;
      target: { name: string | null };
    }>;
    expect(tasks.find((t) => t.target.name === image)?.status).toBe('ok');
  } finally {
    localDocker('rm', '-f', NAME);
    localDocker('rmi', image);
  }
});
