import fs from 'node:fs';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { removeContainersNamed } from '../support/docker';

/**
 * The security advisor in the browser: a privileged container the spec runs through the API is flagged
 * on the Security page (and by a badge on the containers list), is acknowledged with a reason and taken
 * back, the findings export as CSV, and the fix button recreates the container without the finding.
 */

/** Containers this spec creates start with this, so cleanup finds leftovers of failed runs. */
const PREFIX = 'mirador-test-e2e-sec-';
const NAME = `${PREFIX}${Math.random().toString(36).slice(2, 8)}`;
/** The busybox image the lab imports into the local engine (scripts/lab.sh). */
const IMAGE = 'labbox:latest';

test.afterAll(() => removeContainersNamed(PREFIX));

interface Finding {
  id: string;
  ruleId: string;
  severity: string;
  title: string;
  target: { kind: string; id: string; name: string };
  fixAction: { kind: string; label: string; command: string } | null;
  acknowledged: { reason: string } | null;
}

/** The local engine's host id (the lab's SSH host reaches the same dockerd, so the name alone is not unique). */
let hostId = '';

/** The "privileged" finding of our container on the local engine, or null. */
async function privilegedFinding(request: APIRequestContext): Promise<Finding | null> {
  const res = await request.get(
    `/api/security/findings?hostId=${encodeURIComponent(hostId)}&targetKind=container&targetId=${encodeURIComponent(NAME)}`,
  );
  if (res.status() !== 200) return null;
  const body = (await res.json()) as { items: Finding[] };
  return body.items.find((f) => f.target.id === NAME && f.ruleId.includes('privileged')) ?? null;
}

async function localEngine(page: Page): Promise<string> {
  let id = '';
  await expect
    .poll(
      async () => {
        const res = await page.request.get('/api/docker/engines');
        if (res.status() !== 200) return `HTTP ${res.status()}`;
        const local = ((await res.json()) as { items: { hostId: string; transport: string; state: string }[] }).items.find(
          (e) => e.transport === 'socket',
        );
        id = local?.hostId ?? '';
        return local ? local.state : 'no local engine';
      },
      { timeout: 60_000, message: 'the local Docker engine is listed and answers' },
    )
    .toBe('ok');
  return id;
}

test.describe.configure({ mode: 'serial' });

let finding: Finding;

test('a privileged container is flagged on the Security page and by a badge on its row', async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  hostId = await localEngine(page);

  const created = await page.request.post(`/api/hosts/${encodeURIComponent(hostId)}/containers`, {
    // Created, not started: the lab's nested runtime cannot start privileged containers; the rules read settings, not state.
    data: { image: IMAGE, name: NAME, command: ['sleep', '3600'], privileged: true, start: false },
    // Cookie-authenticated mutations must carry this server's Origin (CSRF rule), as a browser would.
    headers: { origin: new URL(baseURL!).origin },
  });
  expect(created.status(), await created.text()).toBe(201);

  // The advisor recomputes when the inventory changes (the new container), not on a timer per view.
  await expect
    .poll(async () => (await privilegedFinding(page.request))?.severity ?? 'not flagged yet', {
      timeout: 60_000,
      message: 'the advisor flags the privileged container',
    })
    .not.toBe('not flagged yet');
  finding = (await privilegedFinding(page.request))!;

  // The badge on the containers list links to the Security page filtered to this container.
  await page.goto(`/containers?host=${encodeURIComponent(hostId)}&q=${NAME}`);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: NAME, exact: true }) });
  const badge = row.getByTestId('security-badge');
  await expect(badge).toBeVisible();
  // The list's CLI equivalent follows the search box.
  await expect(page.getByTestId('list-command')).toContainText(`docker ps -a --filter name=${NAME}`);
  await badge.click();
  await expect(page).toHaveURL(/\/security\?.*kind=container.*target=/);

  await expect(page.getByRole('heading', { level: 1, name: 'Security' })).toBeVisible();
  const card = page
    .getByTestId('finding')
    .filter({ has: page.getByRole('link', { name: NAME, exact: true }) })
    .first();
  await expect(card).toBeVisible();
  await expect(card).toHaveAttribute('data-rule', finding.ruleId);
  // The exact evidence, in monospace; the target links to the container's page.
  await expect(card.getByTestId('finding-evidence')).not.toBeEmpty();
  await expect(card.getByRole('link', { name: NAME, exact: true })).toHaveAttribute('href', new RegExp(`/containers/.+/${NAME}$`));
  await expect(page.getByTestId('fleet-score')).toBeVisible();
});

test('acknowledge with a reason, then take it back', async ({ page }) => {
  await loginViaApi(page);
  await page.goto(`/security?host=${encodeURIComponent(hostId)}&kind=container&target=${NAME}`);
  const card = page.locator(`[data-testid="finding"][data-rule="${finding.ruleId}"][data-target="${NAME}"]`);
  await card.getByRole('button', { name: 'Acknowledge' }).click();

  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  const confirm = dialog.getByRole('button', { name: 'Acknowledge' });
  await dialog.getByLabel('Reason').fill('ab');
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Reason').fill('lab container, isolated network');
  await confirm.click();
  await expect(dialog).toBeHidden();

  // Open findings are the default view: it leaves it; the "acknowledged" view shows it with the reason.
  await expect(card).toHaveCount(0);
  await page.getByLabel('Acknowledged').selectOption('acknowledged');
  await expect(card.getByTestId('finding-ack')).toContainText('lab container, isolated network');
  expect((await privilegedFinding(page.request))?.acknowledged?.reason).toBe('lab container, isolated network');

  await card.getByRole('button', { name: 'Un-acknowledge' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Un-acknowledge' }).click();
  await expect(card).toHaveCount(0);
  await expect.poll(async () => (await privilegedFinding(page.request))?.acknowledged ?? null).toBe(null);
});

test('export the findings as CSV', async ({ page }) => {
  await loginViaApi(page);
  await page.goto('/security');
  await expect(page.getByTestId('fleet-score')).toBeVisible();
  // The export reads every host's findings: give a busy server time.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const file = await download.path();
  const csv = fs.readFileSync(file, 'utf8');
  expect(csv.split('\n')[0]).toMatch(/ruleId|rule/i);
  expect(csv).toContain(NAME);
});

test('the fix button recreates the container without the finding', async ({ page }) => {
  test.setTimeout(180_000);
  await loginViaApi(page);
  const current = await privilegedFinding(page.request);
  test.fixme(!current?.fixAction, 'the advisor offers no fix action for the privileged-container rule yet (server side)');

  await page.goto(`/security?host=${encodeURIComponent(hostId)}&kind=container&target=${NAME}`);
  const card = page.locator(`[data-testid="finding"][data-rule="${finding.ruleId}"][data-target="${NAME}"]`);
  await card.getByRole('button', { name: 'Fix', exact: true }).click();
  const dialog = page.getByRole('dialog');
  // The confirm shows the command the fix amounts to.
  await expect(dialog.locator('pre')).toContainText(current!.fixAction!.command.split('\n')[0]!.slice(0, 20));
  await dialog.getByRole('button', { name: 'Fix', exact: true }).click();
  await expect(dialog.getByTestId('docker-task-progress')).toBeVisible();

  // The recreated container is checked again: the finding goes away, on the server and on the page.
  await expect.poll(async () => (await privilegedFinding(page.request)) === null, { timeout: 120_000 }).toBe(true);
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(card).toHaveCount(0);
});
