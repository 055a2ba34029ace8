import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngineFs, resolveHostPath } from '../../src/docker/engine-fs.js';
import type { Engine } from '../../src/docker/engine-pool.js';

const temps: string[] = [];
const tempRoot = () => {
  const d = mkdtempSync(join(tmpdir(), 'mirador-engine-fs-'));
  temps.push(d);
  return d;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('resolveHostPath under a root', () => {
  // A fake "/" of the engine's machine: /srv/labs with traps in it, and a /etc of its own.
  const root = tempRoot();
  mkdirSync(join(root, 'srv/labs/real'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  symlinkSync('/', join(root, 'srv/labs/escape'));
  symlinkSync('/etc', join(root, 'srv/labs/etc-abs'));
  symlinkSync('../../etc', join(root, 'srv/labs/etc-rel'));
  symlinkSync('../../../../../../../..', join(root, 'srv/labs/climb'));
  symlinkSync('real', join(root, 'srv/labs/sibling'));
  symlinkSync('loop-b', join(root, 'srv/labs/loop-a'));
  symlinkSync('loop-a', join(root, 'srv/labs/loop-b'));
  symlinkSync('/srv/labs/real', join(root, 'srv/labs/inside-abs'));

  it.each([
    ['a real directory stays', '/srv/labs/real', '/srv/labs/real'],
    ['an absolute link to "/" is "/" of the engine, not of Mirador', '/srv/labs/escape', '/'],
    ['a missing path under a link to "/" keeps its tail', '/srv/labs/escape/nope/deeper', '/nope/deeper'],
    ['an absolute link is re-rooted', '/srv/labs/etc-abs', '/etc'],
    ['a relative link', '/srv/labs/etc-rel', '/etc'],
    ['".." in a link never climbs above the root', '/srv/labs/climb', '/'],
    ['".." in the path never climbs above the root', '/../../srv/labs/real', '/srv/labs/real'],
    ['".." after a link is taken after following it', '/srv/labs/escape/../srv/labs/real', '/srv/labs/real'],
    ['a link to a sibling', '/srv/labs/sibling', '/srv/labs/real'],
    ['an absolute link that stays inside', '/srv/labs/inside-abs', '/srv/labs/real'],
    ['a path that does not exist at all', '/srv/other/x', '/srv/other/x'],
    ['dots and double slashes', '/srv//labs/./real/', '/srv/labs/real'],
  ])('%s', async (_what, path, expected) => {
    expect(await resolveHostPath(path, root)).toBe(expected);
    // The root given with a trailing slash means the same.
    expect(await resolveHostPath(path, `${root}/`)).toBe(expected);
  });

  it('refuses a loop rather than judging it', async () => {
    await expect(resolveHostPath('/srv/labs/loop-a', root)).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('resolves against "/" by default (Mirador on the engine\'s machine)', async () => {
    expect(await resolveHostPath(join(root, 'srv/labs/escape'))).toBe('/');
  });
});

describe("createEngineFs: does Mirador see the engine's machine?", () => {
  const engine = (info: Record<string, unknown>, id = 'h1'): Engine =>
    ({
      host: { id, name: 'local', transport: 'socket', socketPath: '/var/run/docker.sock' },
      docker: { info: async () => info },
    }) as unknown as Engine;
  const ID = 'FUYA:FD2L:D24X:GE3Q:V5NF:QRM7:6ZUB:M7GU:H4QR:GQIW:Q7FO:JVEC';

  function machine(files: Record<string, string>, dirs: string[] = []): string {
    const root = tempRoot();
    for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), text);
    }
    return root;
  }

  it('recognises the engine by <DockerRootDir>/engine-id (Docker 23+)', async () => {
    const root = machine({ 'var/lib/docker/engine-id': 'c0ffee-uuid\n' });
    const fs = createEngineFs({ root, inContainer: () => true });
    expect(await fs.blindness(engine({ ID: 'c0ffee-uuid', DockerRootDir: '/var/lib/docker' }))).toBeNull();
  });

  it('recognises the engine by the key ID of /etc/docker/key.json (before 23), following a linked data directory', async () => {
    const root = machine({ 'etc/docker/key.json': JSON.stringify({ kid: ID, kty: 'EC' }) }, ['data/docker']);
    symlinkSync('/data/docker', join(root, 'docker-root'));
    const fs = createEngineFs({ root, inContainer: () => true });
    expect(await fs.blindness(engine({ ID, DockerRootDir: '/docker-root' }))).toBeNull();
  });

  it("is blind when the ID kept under the root is another engine's", async () => {
    const root = machine({ 'etc/docker/key.json': JSON.stringify({ kid: 'AAAA:BBBB' }) }, ['var/lib/docker']);
    const reason = await createEngineFs({ root, inContainer: () => false }).blindness(engine({ ID, DockerRootDir: '/var/lib/docker' }));
    expect(reason).toMatch(
      /cannot see the file system of local's machine \(the engine's ID .* is not the one kept under MIRADOR_ENGINE_ROOT/,
    );
    expect(reason).toMatch(/MIRADOR_ENGINE_ROOT=\/hostfs/);
  });

  it('is blind in a container whose own "/" is the root, unless the engine\'s ID is found there', async () => {
    const fs = createEngineFs({ root: '/', inContainer: () => true });
    const reason = await fs.blindness(engine({ ID: 'not-kept-anywhere-here', DockerRootDir: '/nonexistent-docker-root-sec' }));
    expect(reason).toMatch(/Mirador runs in a container and MIRADOR_ENGINE_ROOT is "\/"/);
  });

  it("is blind when the engine's data directory is not under the root", async () => {
    const root = machine({}, ['srv']);
    const reason = await createEngineFs({ root, inContainer: () => false }).blindness(engine({ ID, DockerRootDir: '/var/lib/docker' }));
    expect(reason).toMatch(/data directory \/var\/lib\/docker is not under MIRADOR_ENGINE_ROOT/);
  });

  it('trusts a mounted root where the data directory is, when no ID is readable (Mirador without root)', async () => {
    const root = machine({}, ['var/lib/docker']);
    expect(await createEngineFs({ root, inContainer: () => true }).blindness(engine({ ID, DockerRootDir: '/var/lib/docker' }))).toBeNull();
  });

  it('says so when the engine does not answer, and asks again next time', async () => {
    let calls = 0;
    const failing = {
      host: { id: 'h2', name: 'local', transport: 'socket', socketPath: '/x' },
      docker: {
        info: async () => {
          calls++;
          throw new Error('connect ENOENT');
        },
      },
    } as unknown as Engine;
    const fs = createEngineFs({ root: '/', inContainer: () => false });
    expect(await fs.blindness(failing)).toMatch(/could not ask local's engine where its files are \(connect ENOENT\)/);
    await fs.blindness(failing);
    expect(calls).toBe(2);
  });
});
