import type { Page } from '@playwright/test';

/**
 * Opens a page and makes sure it really loaded. Creating containers or networks on the shared lab adds
 * host interfaces, and Chromium then aborts in-flight loads for a moment (net::ERR_NETWORK_CHANGED): a
 * lost script chunk shows SvelteKit's "Something went wrong", a lost stylesheet an unstyled page. Loads
 * the page again (bounded) until its heading is there, it is not the error page, and its styles applied.
 */
export async function openPage(page: Page, url: string): Promise<void> {
  const heading = page.getByRole('heading', { level: 1 }).first();
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.goto(url, { waitUntil: 'domcontentloaded' }).catch(() => undefined);
    const ok = await heading.waitFor({ timeout: 15_000 }).then(
      () => true,
      () => false,
    );
    const styled = await page.evaluate(() => Array.from(document.styleSheets).some((s) => s.cssRules.length > 0)).catch(() => false);
    if (ok && styled && !(await page.getByRole('heading', { level: 1, name: 'Something went wrong' }).isVisible())) return;
  }
  throw new Error(`${url} did not load`);
}
