// One lint configuration for the whole workspace. Type-aware (projectService) so that the rules that
// catch real bugs in async server code — floating promises, non-exhaustive switches — can see types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './apps/web/svelte.config.js';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/build/**',
      '**/dist/**',
      '**/.svelte-kit/**',
      '**/generated/**',
      'apps/web/src/lib/api/schema.d.ts',
      '.lab/**',
      '.tools/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        // Root config files are in no tsconfig; the default project covers them.
        projectService: { allowDefaultProject: ['prisma.config.ts', 'vitest.config.ts', 'apps/web/vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Empty catch blocks are how "best effort" cleanup is written here; each one carries a comment.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Refusing control characters in paths and names is deliberate here, and written as a regex range.
      'no-control-regex': 'off',
      // Mirador is served from the root of its own server (no `paths.base`), so links need no resolve().
      'svelte/no-navigation-without-resolve': 'off',
      // Reactive state here is replaced, never mutated in place; the Maps/Dates this rule flags are
      // non-reactive bookkeeping or immutable timestamps, and SvelteMap would make them reactive for nothing.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, svelteConfig },
    },
  },
  {
    // Tests read engines' and the API's JSON loosely (fixtures, inspect answers, websocket frames);
    // the assertions, not types, judge those values.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain JS scripts (build helpers, lab tooling) are not in any tsconfig: lint them without types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
