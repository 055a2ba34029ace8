import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The web UI imports this package: src/ must stay free of Node-only APIs.
const srcDir = resolve(import.meta.dirname, '../src');
const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));

describe('src/ is browser-safe', () => {
  it.each(files)('%s uses no Node-only API', (file) => {
    const text = readFileSync(resolve(srcDir, file), 'utf8');
    expect(text).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\.|from ['"](fs|path|os|child_process|net|crypto)['"]/);
    expect(text).not.toMatch(/from ['"]@mirador\/ssh['"]/);
    for (const m of text.matchAll(/from ['"]@mirador\/contract['"]/g)) expect(text.slice(0, m.index)).toMatch(/import type [^;]*$/);
  });
});
