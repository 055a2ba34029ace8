import { expect, test } from '@playwright/test';
import { loginViaApi } from '../support/auth';

test('switching to Spanish translates the navigation and persists after reload', async ({ page }) => {
  await loginViaApi(page);
  await page.goto('/');
  await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit log' })).toBeVisible();

  await page.getByLabel('Language').selectOption('es');

  const nav = page.getByRole('navigation', { name: 'Navegación principal' });
  await expect(nav.getByRole('link', { name: 'Registro de auditoría' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Anfitriones' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Máquinas virtuales' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Panel' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');

  await page.reload();
  await expect(nav.getByRole('link', { name: 'Registro de auditoría' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Tareas' })).toBeVisible();
  await expect(page.getByLabel('Idioma')).toHaveValue('es');

  // Other pages follow too.
  await nav.getByRole('link', { name: 'Anfitriones' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Anfitriones' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Añadir anfitrión' })).toBeVisible();

  // And back to English.
  await page.getByLabel('Idioma').selectOption('en');
  await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Hosts' })).toBeVisible();
});
