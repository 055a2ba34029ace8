import type { Environment } from 'vitest/environments';

/**
 * Node globals, but modules transformed for the client: Svelte compiles `.svelte.ts` runes for the browser
 * (the server output never runs `$effect`), which is what LiveResource and the stores are.
 */
export default {
  name: 'svelte-client',
  viteEnvironment: 'client',
  setup: () => ({ teardown: () => {} }),
} satisfies Environment;
