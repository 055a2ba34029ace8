import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';

/** Build contexts and image archives left by a server that died mid-upload are removed at its next start, and nothing else. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('upload staging at startup', () => {
  it('removes stale staged uploads, logs them, and leaves every other file, symlink and directory alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mirador-staging-'));
    const outside = mkdtempSync(join(tmpdir(), 'mirador-outside-'));
    dirs.push(dataDir, outside);
    const uploads = join(dataDir, 'uploads');
    mkdirSync(uploads, { mode: 0o700 });
    const uuid = '0b5e4a4e-3c1f-4f7e-9a51-6d2b8f0e9c11';
    const stale = [`docker-context-${uuid}.tar`, `docker-archive-${uuid}.tar`, `${uuid}.tar`];
    for (const name of stale) writeFileSync(join(uploads, name), 'partial upload');
    // Not ours: another name, a directory and a symlink that look like ours, and what the symlink points at.
    writeFileSync(join(uploads, 'notes.tar'), 'keep');
    writeFileSync(join(dataDir, `docker-context-${uuid}.tar`), 'keep: outside the staging directory');
    mkdirSync(join(uploads, `docker-context-${uuid.replace('0b5e', '1b5e')}.tar`));
    writeFileSync(join(outside, 'precious.tar'), 'precious');
    symlinkSync(join(outside, 'precious.tar'), join(uploads, `docker-archive-${uuid.replace('0b5e', '2b5e')}.tar`));

    const lines: string[] = [];
    const t = await startTestApp({}, { dataDir, keepDataDir: true, logStream: { write: (l) => void lines.push(l) } });
    await t.close();

    for (const name of stale) expect(existsSync(join(uploads, name)), name).toBe(false);
    expect(readFileSync(join(uploads, 'notes.tar'), 'utf8')).toBe('keep');
    expect(existsSync(join(dataDir, `docker-context-${uuid}.tar`))).toBe(true);
    expect(existsSync(join(uploads, `docker-context-${uuid.replace('0b5e', '1b5e')}.tar`))).toBe(true);
    expect(readFileSync(join(uploads, `docker-archive-${uuid.replace('0b5e', '2b5e')}.tar`), 'utf8')).toBe('precious');
    expect(readFileSync(join(outside, 'precious.tar'), 'utf8')).toBe('precious');
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; removed?: string[] }).find((l) => l.removed);
    expect(logged?.removed?.sort()).toEqual([...stale].sort());
  });

  it('does not read a staging directory that is a symlink', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mirador-staging-'));
    const outside = mkdtempSync(join(tmpdir(), 'mirador-outside-'));
    dirs.push(dataDir, outside);
    const victim = join(outside, 'docker-context-0b5e4a4e-3c1f-4f7e-9a51-6d2b8f0e9c11.tar');
    writeFileSync(victim, 'not Mirador’s');
    symlinkSync(outside, join(dataDir, 'uploads'));
    const t = await startTestApp({}, { dataDir, keepDataDir: true });
    await t.close();
    expect(existsSync(victim)).toBe(true);
  });
});
