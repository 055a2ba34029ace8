import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX } from '../support/env';
import { createKernelVmViaApi, labHost } from '../support/vms';

/** A shut-off VM with a qcow2 disk, cloned from its page; named so the lab cleans leftovers. */
const suffix = Math.random().toString(36).slice(2, 8);
const VM = `${E2E_VM_PREFIX}clsrc-${suffix}`;
const CLONE = `${VM}-clone`;

test.afterAll(() => {
  for (const name of [CLONE, VM]) {
    virsh('destroy', name);
    virsh('undefine', name, '--remove-all-storage');
  }
});

test('clones a VM from its page: the virt-clone line, the task, the clone with its own disk', async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  await loginViaApi(page);
  const host = await labHost(page.request);
  await createKernelVmViaApi(page.request, baseURL!, host.id, VM, { disk: 'qcow2' });

  await page.goto(`/vms/${host.id}/${VM}`);
  await page.getByRole('button', { name: 'Clone', exact: true }).click();
  const dialog = page.getByRole('dialog');
  // The suggested name, and the virt-clone line with the virsh steps, before anything runs.
  await expect(dialog.getByLabel('Name of the clone')).toHaveValue(CLONE);
  await expect(dialog.getByText(`--original ${VM} --name ${CLONE} --auto-clone`).first()).toBeVisible({ timeout: 15_000 });
  await expect(dialog.getByText(`vol-clone --pool default ${VM}.qcow2 ${CLONE}.qcow2`).first()).toBeVisible();
  await dialog.getByRole('radio', { name: /Linked clone/ }).check();
  await expect(dialog.getByText(/vol-create default \/dev\/stdin < .*backing file/).first()).toBeVisible({ timeout: 15_000 });
  await dialog.getByRole('radio', { name: /Full copy/ }).check();
  await expect(dialog.getByText(`vol-clone --pool default ${VM}.qcow2 ${CLONE}.qcow2`).first()).toBeVisible({ timeout: 15_000 });

  await dialog.getByRole('button', { name: 'Clone', exact: true }).click();
  await expect(dialog.getByRole('button', { name: 'Done' })).toBeVisible({ timeout: 120_000 });
  await expect(dialog.getByText('Succeeded', { exact: true }).first()).toBeVisible();
  await dialog.getByRole('button', { name: 'Done' }).click();

  expect(virsh('dumpxml', '--inactive', CLONE)).toContain(`volume='${CLONE}.qcow2'`);
  expect(virsh('domuuid', CLONE).trim()).not.toBe(virsh('domuuid', VM).trim());
});
