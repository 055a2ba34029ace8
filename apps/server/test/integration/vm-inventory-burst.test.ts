import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandRunner } from '@mirador/ssh';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';

const SYSTEM = 'qemu:///system';
const virsh = (script: string) =>
  execFileSync('virsh', ['-q', '-c', SYSTEM, script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tag = randomBytes(2).toString('hex');
const burstName = (i: number) => `mirtest-burst-${tag}-${String(i).padStart(2, '0')}`;
/** libvirt takes any name; a virsh command script cannot carry this one (space, non-ASCII). */
const oddName = `mirtest-odd ${tag} é`;

function defineAll(names: string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'mirtest-burst-'));
  try {
    const files = names.map((name, i) => {
      const file = join(dir, `${i}.xml`);
      const xmlName = name.replace(/&/g, '&amp;').replace(/</g, '&lt;');
      writeFileSync(
        file,
        `<domain type='qemu'><name>${xmlName}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
      );
      return file;
    });
    // One virsh session: the definitions (and their events) come as fast as libvirt makes them.
    virsh(files.map((f) => `define ${f}`).join('; '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts the virsh sessions that read the given domains (each exec is one `virsh` process on the host). */
function countReads(runner: CommandRunner, mentions: (argv: readonly string[]) => boolean) {
  const counter = { reads: 0 };
  const exec = runner.exec.bind(runner);
  runner.exec = (argv, opts) => {
    if (argv[0] === 'virsh' && mentions(argv)) counter.reads++;
    return exec(argv, opts);
  };
  return counter;
}

describe('the VM inventory under a burst of definitions and with an odd domain (lab libvirt over SSH)', { timeout: 90_000 }, () => {
  let lab: Lab;
  let t: TestApp;
  let admin: string;
  let hostId: string;
  const burst = Array.from({ length: 40 }, (_, i) => burstName(i));

  const list = async () =>
    (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin })).json<{
      items: Array<{ name: string; problem?: string; state: string }>;
      hosts: Array<{ ok: boolean; error: string | null }>;
    }>();

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp();
    admin = await t.setupAdmin();
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'lab',
        address: lab.ssh.host,
        port: lab.ssh.port,
        authMethod: 'key',
        privateKey: labPrivateKey(lab),
        libvirt: { driver: 'qemu', mode: 'system' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    hostId = res.json<{ id: string }>().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json().ok).toBe(true);
    expect((await list()).hosts[0]).toMatchObject({ ok: true, error: null });
  });
  afterAll(async () => {
    await t?.close();
    for (const name of [...burst, oddName]) {
      try {
        execFileSync('virsh', ['-q', '-c', SYSTEM, 'undefine', '--domain', name], { stdio: 'ignore' });
      } catch {
        /* not defined */
      }
    }
  });

  it('40 definitions in one go cost a handful of batched reads, not one per domain', async () => {
    const ours = new Set(burst);
    const counter = countReads(await t.app.connections.runner(hostId), (argv) => argv.some((a) => [...ours].some((n) => a.includes(n))));
    defineAll(burst);
    await expect
      .poll(async () => (await list()).items.filter((v) => ours.has(v.name)).length, { timeout: 30_000, interval: 100 })
      .toBe(burst.length);
    // Late events of the burst would cause more reads: give them their window before counting.
    await new Promise((r) => setTimeout(r, 1_000));
    console.log(`virsh sessions that read the ${burst.length} burst domains: ${counter.reads}`);
    expect(counter.reads).toBeGreaterThan(0);
    expect(counter.reads).toBeLessThanOrEqual(5);
    const listed = (await list()).items.filter((v) => ours.has(v.name));
    expect(listed.every((v) => v.state === 'shut off' && !v.problem)).toBe(true);
  });

  it('a domain whose name cannot go into a virsh script does not blank the host: it is read on its own', async () => {
    defineAll([oddName]);
    // Its event re-reads it alone…
    await expect
      .poll(async () => (await list()).items.find((v) => v.name === oddName), { timeout: 15_000, interval: 200 })
      .toMatchObject({ name: oddName, state: 'shut off' });
    expect((await list()).items.find((v) => v.name === oddName)?.problem).toBeUndefined();
    // …and a full read of the host (a new host entry for the same libvirt) takes it along with every other domain.
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'lab-again',
        address: lab.ssh.host,
        port: lab.ssh.port,
        authMethod: 'key',
        privateKey: labPrivateKey(lab),
        libvirt: { driver: 'qemu', mode: 'system' },
      },
    });
    const again = res.json<{ id: string }>().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${again}/test`, cookie: admin })).json().ok).toBe(true);
    const full = (await t.call({ method: 'GET', url: `/api/hosts/${again}/vms`, cookie: admin })).json<{
      items: Array<{ name: string; problem?: string }>;
      hosts: Array<{ ok: boolean; error: string | null }>;
    }>();
    expect(full.hosts[0]).toMatchObject({ ok: true, error: null });
    expect(full.items.find((v) => v.name === oddName)).toMatchObject({ name: oddName });
    expect(full.items.filter((v) => burst.includes(v.name)).length).toBe(burst.length);
  });
});
