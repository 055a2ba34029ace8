import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';
import { virsh } from '../support/virsh';
import { E2E_VM_PREFIX } from '../support/env';
import { createKernelVmViaApi, labHost } from '../support/vms';

const VM = `${E2E_VM_PREFIX}xml-${Math.random().toString(36).slice(2, 8)}`;

test.afterAll(() => {
  virsh('destroy', VM);
  virsh('undefine', VM);
});

test('edit a VM definition: highlighted editor, review the diff, save; a refusal points at the line and changes nothing', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await loginViaApi(page);
  await page.goto('/vms');
  const host = await labHost(page.request);
  await createKernelVmViaApi(page.request, page.url(), host.id, VM, { graphics: 'vnc' });

  await page.goto(`/vms/${host.id}/${VM}?tab=xml`);
  await page.getByRole('button', { name: 'Edit XML' }).click();
  const content = page.locator('[data-testid="vm-xml-editor"] .cm-content');
  await expect(content).toBeVisible();
  // Syntax highlighting: tag names are styled spans, not plain text.
  await expect(content.locator('span').first()).toBeVisible();

  const original = virsh('dumpxml', '--inactive', VM);
  const edited = original.replace('</uuid>', '</uuid>\n  <description>edited in the browser</description>');
  await content.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(edited);
  await page.getByRole('button', { name: 'Review changes' }).click();
  const diff = page.getByTestId('vm-xml-diff');
  await expect(diff).toContainText('edited in the browser');
  await expect(page.getByText(`define ${VM}.xml --validate`)).toBeVisible();
  await page.getByRole('button', { name: 'Save (define)' }).click();
  await expect(page.getByText(`Definition of ${VM} saved`)).toBeVisible({ timeout: 30_000 });
  expect(virsh('dumpxml', '--inactive', VM)).toContain('<description>edited in the browser</description>');

  // An edit libvirt refuses: the message, the line marked in the editor, nothing changed.
  const before = virsh('dumpxml', '--inactive', VM);
  await page.getByRole('button', { name: 'Edit XML' }).click();
  await expect(content).toBeVisible();
  await content.click();
  // A live update of the VM arriving while someone types (here: autostart turned on elsewhere, which
  // the inactive XML does not carry) must not rebuild the editor and take the focus away.
  const autostart = await page.request.post(`/api/hosts/${host.id}/vms/${VM}/autostart`, {
    headers: { origin: new URL(page.url()).origin },
    data: { enabled: true },
  });
  expect(autostart.status()).toBe(200);
  await expect(page.getByRole('switch', { name: 'Autostart' })).toHaveAttribute('aria-checked', 'true');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(before.replace(/<vcpu[^>]*>1<\/vcpu>/, '<vcpu>abc</vcpu>'));
  await expect(content).toContainText('<vcpu>abc</vcpu>');
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('button', { name: 'Save (define)' }).click();
  const error = page.getByTestId('vm-xml-error');
  await expect(error).toContainText('libvirt refused the definition');
  await expect(error).toContainText(/Line \d+/);
  await expect(page.locator('[data-testid="vm-xml-editor"] .cm-error-line')).toContainText('<vcpu>abc</vcpu>');
  expect(virsh('dumpxml', '--inactive', VM)).toBe(before);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Edit XML' })).toBeVisible();
});
