import { expect, test, type Page } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX, LAB_HOST_NAME, readLab, readVmKit } from '../support/env';

const lab = readLab(); // throws when the lab is missing: never skip
const kit = readVmKit(lab);
const VM = `${E2E_VM_PREFIX}${Math.random().toString(36).slice(2, 8)}`;

// Whatever happened in the test, leave no e2e guest behind (this run's or a crashed earlier run's).
test.afterAll(() => {
  const leftovers = virsh('list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())
    .filter((n) => n.startsWith(E2E_VM_PREFIX));
  for (const name of leftovers) {
    virsh('destroy', name);
    if (!virsh('undefine', name, '--nvram')) virsh('undefine', name);
  }
});

/** The text xterm.js renders (its DOM renderer keeps one element per row). */
async function terminalText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
}

test('create a VM by kernel boot, use its serial console, then force it off and delete it', async ({ page }) => {
  test.setTimeout(600_000);
  await loginViaApi(page);

  // The lab host added by 03-host.spec.ts (libvirt qemu:///system over SSH).
  const hostsRes = await page.request.get('/api/hosts');
  expect(hostsRes.status()).toBe(200);
  const host = ((await hostsRes.json()) as { id: string; name: string; libvirtUri: string | null }[]).find((h) => h.name === LAB_HOST_NAME);
  expect(host, `host ${LAB_HOST_NAME} exists`).toBeTruthy();
  expect(host!.libvirtUri).not.toBeNull();

  // List → create form.
  await page.goto('/vms');
  await expect(page.getByRole('heading', { level: 1, name: 'Virtual machines' })).toBeVisible();
  await expect(page.getByText('Live updates on')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Create VM' }).first().click();
  await expect(page).toHaveURL(/\/vms\/new/);
  await expect(page.getByRole('heading', { level: 1, name: 'Create a virtual machine' })).toBeVisible();

  await page.getByLabel('Host', { exact: true }).selectOption(host!.id);
  await page.getByLabel('Name', { exact: true }).fill(VM);
  await page.getByLabel('Memory (MiB)').fill('128');
  await page.getByLabel('vCPUs').fill('1');
  await page.getByLabel('Domain type').selectOption('qemu');
  await page.getByRole('radio', { name: /Kernel boot/ }).check();
  await page.getByLabel('Kernel', { exact: true }).fill(kit.kernel);
  await page.getByLabel('Initrd', { exact: true }).fill(kit.initrd);
  await expect(page.getByLabel('Kernel command line', { exact: true })).toHaveValue('console=ttyS0'); // prefilled
  await page.getByLabel('Kernel command line', { exact: true }).fill(kit.cmdline || 'console=ttyS0');
  await page.getByRole('radio', { name: /No disk/ }).check();
  await page.getByRole('radio', { name: /No network/ }).check();
  await expect(page.getByLabel('Start the VM after creating it')).toBeChecked();

  // Review: the virt-install line and the XML, before anything runs.
  await page.getByRole('button', { name: 'Review' }).click();
  const command = page.locator('#vm-preview-command');
  await expect(command).toContainText('virt-install', { timeout: 30_000 });
  await expect(command).toContainText(`--name ${VM}`);
  await expect(command).toContainText('--memory 128');
  await expect(command).toContainText(`kernel=${kit.kernel}`);
  await expect(command).toContainText('--virt-type qemu');
  await page.getByText('Domain XML').click();
  await expect(page.getByText(`<name>${VM}</name>`)).toBeVisible();

  // Create: the task's live progress, then a link to the VM.
  await page.getByRole('button', { name: 'Create VM' }).click();
  await expect(page.getByRole('heading', { name: `Creating ${VM}` })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('link', { name: `Open ${VM}` })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByText('Succeeded', { exact: true })).toBeVisible();

  // It shows up running in the list (pushed over the websocket).
  await page.getByRole('link', { name: 'All VMs' }).click();
  await expect(page).toHaveURL(/\/vms$/);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: VM, exact: true }) });
  await expect(row.getByText('Running', { exact: true })).toBeVisible({ timeout: 60_000 });

  // Its page → Console: wait for the guest's shell prompt (TCG boots slowly on a busy machine).
  await row.getByRole('link', { name: VM, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: VM })).toBeVisible();
  await page.getByRole('tab', { name: 'Console' }).click();
  await expect(page).toHaveURL(/tab=console/);
  const status = page.getByTestId('console-status');
  await expect(status.getByText('Attached', { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(status.getByText(/\d+ viewers?/)).toBeVisible();

  const terminal = page.getByTestId('terminal');
  await terminal.click();
  const deadline = Date.now() + 240_000;
  let booted = false;
  while (Date.now() < deadline) {
    if ((await terminalText(page)).includes(kit.prompt)) {
      booted = true;
      break;
    }
    await terminal.click();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(3000);
  }
  expect(booted, `the guest prompt "${kit.prompt}" appeared on the console; got:\n${await terminalText(page)}`).toBe(true);

  await terminal.click();
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expect.poll(async () => /(^|\n)42\s*(\n|$)/.test(await terminalText(page)), { timeout: 30_000 }).toBe(true);

  // Screen: the VNC display, tunnelled through the host's SSH connection; noVNC's canvas gets frames,
  // and keys typed into it (the guest has a shell on tty1) change what it shows.
  await page.getByRole('tab', { name: 'Screen' }).click();
  await expect(page).toHaveURL(/tab=screen/);
  await expect(page.getByTestId('screen-status').getByRole('status')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  const canvas = page.getByRole('application', { name: `Screen of ${VM}` }).locator('canvas');
  await expect(canvas).toBeVisible();
  const pixels = () =>
    canvas.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      let hash = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i]! + data[i + 1]! + data[i + 2]! > 200) lit++;
        hash = (hash * 31 + data[i]! + data[i + 1]! * 7 + data[i + 2]! * 13 + i) | 0;
      }
      return { lit, hash, width: c.width };
    });
  await expect
    .poll(async () => (await pixels()).lit, { timeout: 60_000, message: 'the guest drew text on its screen' })
    .toBeGreaterThan(100);
  const before = await pixels();
  await page.getByRole('button', { name: 'Paste' }).click();
  await page.getByLabel('Text to type into the VM').fill('echo screen-typed-$((6*7))\n');
  await page.getByRole('button', { name: 'Type it' }).click();
  await expect(page.getByText(/Typed \d+ characters/)).toBeVisible();
  await expect
    .poll(async () => (await pixels()).hash, { timeout: 30_000, message: 'the typed line changed the screen' })
    .not.toBe(before.hash);
  await page.getByText('Open the same screen from a workstation').click();
  await expect(page.getByText(new RegExp(`virt-viewer --connect .*qemu\\+ssh://.* ${VM}`))).toBeVisible();

  // Force off, through the confirm dialog that teaches the virsh command.
  await page.getByRole('button', { name: 'Force off', exact: true }).click();
  const off = page.getByRole('alertdialog', { name: `Force off ${VM}?` });
  await expect(off).toBeVisible();
  await expect(off.getByText('Equivalent command')).toBeVisible();
  await expect(off.locator('pre')).toContainText(`destroy ${VM}`);
  await off.getByRole('button', { name: 'Force off', exact: true }).click();
  await expect(off).toBeHidden({ timeout: 60_000 });
  await expect(page.getByTestId('vm-state').getByText('Shut off')).toBeVisible({ timeout: 60_000 });

  // Delete it.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const del = page.getByRole('alertdialog', { name: `Delete ${VM}?` });
  await expect(del).toBeVisible();
  await expect(del.locator('pre')).toContainText(`undefine`);
  await del.getByRole('button', { name: 'Delete VM' }).click();
  await expect(page).toHaveURL(/\/vms$/, { timeout: 60_000 });
  await expect(page.getByText(`VM ${VM} deleted.`)).toBeVisible();
  await expect(page.getByRole('link', { name: VM, exact: true })).toHaveCount(0);
  expect(virsh('dominfo', VM), 'libvirt no longer knows the VM').toBe('');
});
