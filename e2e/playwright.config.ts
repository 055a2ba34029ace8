import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const PORT = Number(process.env.MIRADOR_E2E_PORT ?? 18080);
const BASE_URL = `http://127.0.0.1:${PORT}`;

// One fresh, empty data dir per run (the web server starts before globalSetup, so it's made here).
// Worker processes inherit the variable and so don't create their own.
process.env.MIRADOR_E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-e2e-'));

// Debian's Chromium: Playwright never downloads browsers here.
const launchOptions = {
  executablePath: process.env.MIRADOR_E2E_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};

export default defineConfig({
  testDir: './tests',
  // The specs are one story (setup → login → host → audit → i18n) sharing one server: run in file order.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Generous: CI machines are small (2 cores) and may be busy with VMs from other suites.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  use: {
    baseURL: BASE_URL,
    locale: 'en-US',
    timezoneId: 'UTC',
    colorScheme: 'light',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    navigationTimeout: 30_000,
    actionTimeout: 20_000,
    launchOptions,
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], launchOptions } }],
  webServer: {
    command: 'node apps/server/dist/server.js',
    cwd: REPO_ROOT,
    url: `${BASE_URL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      MIRADOR_PORT: String(PORT),
      MIRADOR_HOST: '127.0.0.1',
      MIRADOR_DATA_DIR: process.env.MIRADOR_E2E_DATA_DIR,
      MIRADOR_WEB_DIR: 'apps/web/build',
      MIRADOR_SECRET: 'e2e-secret-0123456789abcdef0123456789abcdef',
      MIRADOR_LOG_LEVEL: process.env.MIRADOR_E2E_LOG_LEVEL ?? 'warn',
      MIRADOR_HOST_CHECK_SECONDS: '0',
    },
  },
});
