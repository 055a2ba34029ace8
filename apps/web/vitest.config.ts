import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineProject } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The web app's unit tests (run from the root config's `projects`). The Svelte plugin compiles runes in
 * `.svelte.ts` modules; the `browser` condition loads Svelte's client runtime (the server one never runs
 * `$effect`). SvelteKit's own plugin is left out: it reads svelte.config.js from the working directory,
 * which is the workspace root here, so `$lib` and `$app/environment` are mapped by hand.
 */
export default defineProject({
  plugins: [svelte({ configFile: false })],
  resolve: {
    conditions: ['browser'],
    alias: {
      $lib: here('./src/lib'),
      '$app/environment': here('./test/app-environment.ts'),
    },
  },
  test: {
    name: 'web',
    root: here('.'),
    include: ['src/**/*.test.ts'],
    environment: './test/client-environment.ts',
  },
});
