import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['**/*.scratch.ts'], testTimeout: 60_000, pool: 'forks' } });
