import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX } from '../support/env';
import { createKernelVmViaApi, labHost } from '../support/vms';

/** A running TCG guest with two vCPUs; named so the lab cleans leftovers. */
const VM = `${E2E_VM_PREFIX}cfg-${Math.random().toString(36).slice(2, 8)}`;

test.afterAll(() => {
  virsh('destroy', VM);
  virsh('undefine', VM);
});

/** `virsh vcpupin` rows as { vcpu: cpuset } (live, or the definition's with --config). */
function pins(...flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of virsh('vcpupin', VM, ...flags).matchAll(/^\s*(\d+)\s+(\S+)\s*$/gm)) out[m[1]!] = m[2]!;
  return out;
}

test('pins a vCPU from the topology grid of the Settings tab', async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  await loginViaApi(page);
  const host = await labHost(page.request);
  await createKernelVmViaApi(page.request, baseURL!, host.id, VM, { vcpus: 2, start: true });

  await page.goto(`/vms/${host.id}/${VM}?tab=settings`);
  await expect(page.getByRole('heading', { name: 'vCPU pinning' })).toBeVisible({ timeout: 30_000 });
  // Both vCPUs may run anywhere to begin with.
  const cpu0 = page.getByRole('button', { name: 'vCPU 0 on CPU 0' });
  await expect(cpu0).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('button', { name: 'vCPU 0 on CPU 1' })).toHaveAttribute('aria-pressed', 'true');

  // Take CPU 0 away from vCPU 0: it is pinned to CPU 1 alone.
  await cpu0.click();
  await expect(cpu0).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('[data-pin-row="v0"]')).toContainText('edited');
  await page.getByRole('button', { name: 'Apply pinning' }).click();

  const outcome = page.getByTestId('config-result');
  await expect(outcome).toContainText('vcpus[0].cpuset: applied now', { timeout: 30_000 });
  await expect(page.getByText(`vcpupin ${VM} 0 1 --live --config`)).toBeVisible();
  await expect(page.locator('#vm-cputune')).toContainText('<vcpupin vcpu="0" cpuset="1"/>');
  expect(pins()['0']).toBe('1');
  expect(pins('--config')['0']).toBe('1');
  expect(pins()['1']).toBe('0-1');

  // The grid redraws from what libvirt now reports.
  await expect(page.getByRole('button', { name: 'vCPU 0 on CPU 0' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('button', { name: 'vCPU 0 on CPU 1' })).toHaveAttribute('aria-pressed', 'true');
});
