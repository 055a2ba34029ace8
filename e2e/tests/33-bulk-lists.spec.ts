import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { openPage } from '../support/open-page';
import { docker as labDocker, localDocker, localEngineHostId, removeContainersNamed } from '../support/docker';
import { E2E_VM_PREFIX, LAB_HOST_NAME, readLab } from '../support/env';
import { virsh } from '../support/virsh';

/**
 * Bulk removal on the images, volumes and networks lists (Docker) and on a pool's volumes and the
 * libvirt networks (issue 13): one confirmation lists the targets with their exact commands; one
 * target the engine or libvirt refuses (in use) fails alone, says why, and stays; the others go.
 * Throwaway objects only, all named with PREFIX (containers labelled like the other specs).
 */
const lab = readLab();
const BASE_IMAGE = String(lab.dockerImage ?? 'labbox:latest');
const POOL = String(lab.storagePool ?? 'default');
const SUFFIX = Math.random().toString(36).slice(2, 8);
const PREFIX = 'mirador-test-e2e-bulk-';
const P = `${PREFIX}${SUFFIX}`;
const IMG = { free: `${P}-img-a:1`, used: `${P}-img-b:1` };
const VOL = { free: `${P}-vol-a`, used: `${P}-vol-b` };
const NET = { free: `${P}-net-a`, used: `${P}-net-b` };
const CTR = `${P}-ctr`;
const LNET = [`${P}-lnet-a`, `${P}-lnet-b`];
const SVOL = { free: `${P}-a.qcow2`, used: `${P}-b.qcow2` };
const VM = `${E2E_VM_PREFIX}bulk-${SUFFIX}`;

/** docker that must work (setup); cleanup uses `localDocker`, which never throws. */
const docker = (...args: string[]) => labDocker(args);
/** `docker <kind> inspect <name>` answers (prints JSON) only while the object exists. */
const exists = (...args: string[]) => localDocker(...args).trim() !== '';

function virshFile(cmd: string, xml: string): void {
  const file = path.join(os.tmpdir(), `${P}-${cmd}.xml`);
  fs.writeFileSync(file, xml);
  try {
    execFileSync('virsh', ['-q', '-c', lab.libvirtUri ?? 'qemu:///system', cmd, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function cleanup(): void {
  removeContainersNamed(PREFIX);
  for (const ref of localDocker('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n'))
    if (ref.startsWith(PREFIX)) localDocker('rmi', '-f', ref.trim());
  for (const v of localDocker('volume', 'ls', '--format', '{{.Name}}').split('\n'))
    if (v.startsWith(PREFIX)) localDocker('volume', 'rm', '-f', v);
  for (const n of localDocker('network', 'ls', '--format', '{{.Name}}').split('\n'))
    if (n.startsWith(PREFIX)) localDocker('network', 'rm', n);
  for (const d of virsh('list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim()))
    if (d.startsWith(`${E2E_VM_PREFIX}bulk-`)) virsh('undefine', d);
  for (const n of virsh('net-list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())) {
    if (!n.startsWith(PREFIX)) continue;
    virsh('net-destroy', n);
    virsh('net-undefine', n);
  }
  for (const line of virsh('vol-list', POOL).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name?.startsWith(PREFIX)) virsh('vol-delete', name, '--pool', POOL);
  }
}

test.beforeAll(() => {
  cleanup();
  // Two images of one layer each (a commit of the lab image with a label): one free, one a container runs.
  docker('create', '--name', `${P}-seed`, '--label', 'mirador.test=e2e', BASE_IMAGE, 'true');
  docker('commit', '--change', 'LABEL bulk=a', `${P}-seed`, IMG.free);
  docker('commit', '--change', 'LABEL bulk=b', `${P}-seed`, IMG.used);
  docker('rm', `${P}-seed`);
  for (const v of Object.values(VOL)) docker('volume', 'create', '--label', 'mirador.test=e2e', v);
  for (const n of Object.values(NET)) docker('network', 'create', '--label', 'mirador.test=e2e', n);
  // The container that keeps the "used" image, volume and network in use.
  docker(
    'run',
    '-d',
    '--name',
    CTR,
    '--label',
    'mirador.test=e2e',
    '-v',
    `${VOL.used}:/data`,
    '--network',
    NET.used,
    IMG.used,
    'sleep',
    '300',
  );

  // libvirt: two isolated networks (defined, not started), two small volumes, a defined-not-started VM using one.
  for (const n of LNET) virshFile('net-define', `<network><name>${n}</name></network>`);
  for (const v of Object.values(SVOL)) virsh('vol-create-as', POOL, v, '1M', '--format', 'qcow2');
  const usedPath = virsh('vol-path', '--pool', POOL, SVOL.used).trim();
  expect(usedPath, `volume ${SVOL.used} created`).not.toBe('');
  virshFile(
    'define',
    `<domain type='qemu'><name>${VM}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os>` +
      `<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${usedPath}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
  );
});
test.afterAll(cleanup);

async function hostIds(page: Page): Promise<{ engine: string; libvirt: string }> {
  const engine = await localEngineHostId(page, 30_000);
  const hosts = (await (await page.request.get('/api/hosts')).json()) as { id: string; name: string }[];
  const libvirt = hosts.find((h) => h.name === LAB_HOST_NAME)?.id ?? '';
  expect(libvirt, `host ${LAB_HOST_NAME}`).not.toBe('');
  return { engine, libvirt };
}

/** Opens the bulk action, checks each target's command, confirms, and returns the dialog once every target answered. */
async function runBulk(page: Page, op: string, confirm: string, expected: Array<{ label: string; command: RegExp }>): Promise<Locator> {
  await page.getByTestId('bulk-bar').locator(`[data-bulk="${op}"]`).click();
  const dialog = page.getByRole('alertdialog');
  const targets = dialog.getByTestId('bulk-targets');
  for (const e of expected) await expect(targets.locator(`li[data-target="${e.label}"] code`)).toHaveText(e.command);
  await expect(targets.locator('li')).toHaveCount(expected.length);
  await dialog.getByRole('button', { name: `${confirm} (${expected.length})` }).click();
  await expect(dialog.getByTestId('bulk-summary')).toBeVisible({ timeout: 30_000 });
  return dialog;
}

/** The summary says one failed; the failing target says why (`reason`), the other does not. */
async function oneFailed(dialog: Locator, failed: string, done: string, reason: RegExp): Promise<void> {
  await expect(dialog.getByTestId('bulk-summary')).toContainText('1 done, 1 failed');
  await expect(dialog.locator(`li[data-target="${failed}"]`).getByRole('alert')).toHaveText(reason);
  await expect(dialog.locator(`li[data-target="${done}"]`).getByRole('alert')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  await expect(dialog).toBeHidden();
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('bulk remove on the Docker lists: the free one goes, the one in use is refused and says why', async ({ page }) => {
  test.setTimeout(90_000);
  await loginViaApi(page);
  const { engine } = await hostIds(page);

  // Images (one row per tag; the search leaves our two).
  await openPage(page, `/images?host=${engine}&q=${P}`);
  await expect(page.getByRole('row')).toHaveCount(3, { timeout: 20_000 });
  await page.getByRole('checkbox', { name: /Select all 2 shown/ }).check();
  let dialog = await runBulk(page, 'remove', 'Remove', [
    { label: IMG.free, command: new RegExp(`^docker rmi ${esc(IMG.free)}$`) },
    { label: IMG.used, command: new RegExp(`^docker rmi ${esc(IMG.used)}$`) },
  ]);
  await oneFailed(dialog, IMG.used, IMG.free, /container .* is using its referenced image/i);
  expect(exists('image', 'inspect', IMG.free)).toBe(false);
  expect(exists('image', 'inspect', IMG.used)).toBe(true);
  // The failed row stays, still selected; the removed one left the list and the selection.
  await expect(page.getByTestId('bulk-bar')).toContainText('1 selected');
  await page.getByRole('button', { name: 'Clear selection' }).click();

  // Volumes.
  await openPage(page, `/volumes?host=${engine}&q=${P}`);
  await expect(page.getByRole('row')).toHaveCount(3, { timeout: 20_000 });
  await page.getByRole('checkbox', { name: /Select all 2 shown/ }).check();
  dialog = await runBulk(page, 'remove', 'Remove', [
    { label: VOL.free, command: new RegExp(`^docker volume rm ${VOL.free}$`) },
    { label: VOL.used, command: new RegExp(`^docker volume rm ${VOL.used}$`) },
  ]);
  await oneFailed(dialog, VOL.used, VOL.free, /in use/i);
  expect(exists('volume', 'inspect', VOL.free)).toBe(false);
  expect(exists('volume', 'inspect', VOL.used)).toBe(true);

  // Networks; the row menu offers the single remove too.
  await openPage(page, `/networks?host=${engine}&q=${P}`);
  await expect(page.getByRole('row')).toHaveCount(3, { timeout: 20_000 });
  await page.getByRole('button', { name: `Actions for ${NET.free}` }).click();
  await expect(page.getByRole('menuitem', { name: 'Remove' })).toBeVisible();
  await page.keyboard.press('Escape');
  await page.getByRole('checkbox', { name: /Select all 2 shown/ }).check();
  dialog = await runBulk(page, 'remove', 'Remove', [
    { label: NET.free, command: new RegExp(`^docker network rm ${NET.free}$`) },
    { label: NET.used, command: new RegExp(`^docker network rm ${NET.used}$`) },
  ]);
  await oneFailed(dialog, NET.used, NET.free, /active endpoints|in use/i);
  expect(exists('network', 'inspect', NET.free)).toBe(false);
  expect(exists('network', 'inspect', NET.used)).toBe(true);
});

test('bulk delete a pool’s volumes and bulk start / delete libvirt networks, with the virsh lines', async ({ page }) => {
  test.setTimeout(90_000);
  await loginViaApi(page);
  const { libvirt } = await hostIds(page);

  // Storage volumes: the one the (defined, stopped) VM uses is refused by name.
  await openPage(page, `/storage?host=${libvirt}&pool=${POOL}`);
  const volumes = page.getByRole('region', { name: `Volumes of "${POOL}"` });
  await expect(volumes.getByRole('row').filter({ hasText: SVOL.used })).toContainText(VM, { timeout: 30_000 });
  for (const v of Object.values(SVOL)) await volumes.getByRole('checkbox', { name: `Select ${v}` }).check();
  let dialog = await runBulk(
    page,
    'delete',
    'Delete',
    Object.values(SVOL).map((v) => ({ label: v, command: new RegExp(`^virsh -c \\S+ vol-delete ${esc(v)} --pool ${POOL}$`) })),
  );
  await oneFailed(dialog, SVOL.used, SVOL.free, new RegExp(esc(VM)));
  expect(virsh('vol-info', SVOL.free, '--pool', POOL)).toBe('');
  expect(virsh('vol-info', SVOL.used, '--pool', POOL)).not.toBe('');

  // libvirt networks: start both, then delete both (net-destroy + net-undefine each).
  await openPage(page, `/libvirt-networks?host=${libvirt}`);
  const select = async () => {
    for (const n of LNET) await page.getByRole('checkbox', { name: `Select ${n}` }).check({ timeout: 30_000 });
  };
  await select();
  dialog = await runBulk(
    page,
    'start',
    'Start',
    LNET.map((n) => ({ label: n, command: new RegExp(`virsh .*net-start ${n}$`) })),
  );
  await expect(dialog.getByTestId('bulk-summary')).toContainText('Done on all 2');
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  for (const n of LNET) expect(virsh('net-info', n)).toMatch(/Active:\s+yes/);

  // Starting again: both are left out, with why.
  await select();
  await page.getByTestId('bulk-bar').locator('[data-bulk="start"]').click();
  dialog = page.getByRole('alertdialog');
  await expect(dialog.getByText('None of the selected rows can take this action.')).toBeVisible();
  await expect(dialog.getByText('it is active')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  dialog = await runBulk(
    page,
    'delete',
    'Delete',
    LNET.map((n) => ({ label: n, command: new RegExp(`virsh .*net-destroy ${n}\\s+virsh .*net-undefine ${n}$`) })),
  );
  await expect(dialog.getByTestId('bulk-summary')).toContainText('Done on all 2');
  for (const n of LNET) expect(virsh('net-info', n)).toBe('');
});
