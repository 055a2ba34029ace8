/**
 * Event-burst benchmark (issue 12: "a burst must cost a handful of batched reads, not one per event").
 *   bash scripts/bench.sh burst          (BENCH_BURST=N, default 500)
 * Needs the lab. Against a Mirador server (run in this process, like `bench.sh vms`) following the
 * lab's qemu:///system over SSH, defines N tiny persistent domains `mirbench-burst-NNN` (no disk,
 * never started) as fast as one virsh session can, then prints:
 *  - the time from the last definition to the API listing all N, next to the floor of one
 *    `virsh list --all --name` over the same SSH connection;
 *  - how many virsh sessions the server ran for the burst (counted by wrapping its runner).
 * The domains are removed at the end, also on Ctrl-C or failure.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { CommandRunner } from '@mirador/ssh';
import { startTestApp, type TestApp } from '../test/helpers/app.js';
import { labPrivateKey, readLab } from '../test/helpers/lab.js';

const SYSTEM = 'qemu:///system';
const N = Number(process.env.BENCH_BURST ?? 500);
const PREFIX = 'mirbench-burst-';
const nameOf = (i: number) => `${PREFIX}${String(i).padStart(3, '0')}`;
const lab = readLab();
const fmt = (ms: number) => `${ms.toFixed(0)} ms`.padStart(9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function leftovers(): string[] {
  const out = execFileSync('virsh', ['-c', SYSTEM, 'list', '--all', '--name'], { encoding: 'utf8' });
  return out.split('\n').filter((n) => n.startsWith(PREFIX));
}

/** Removes every burst domain, whoever left it (an earlier run stopped hard included). */
function cleanUp() {
  const names = leftovers();
  if (names.length === 0) return;
  try {
    execFileSync('virsh', ['-q', '-c', SYSTEM, names.map((n) => `undefine ${n}`).join('; ')], { stdio: 'ignore' });
  } catch {
    /* some went meanwhile */
  }
}

/** Counts the virsh sessions a runner starts (each exec is one `virsh` process on the host). */
function countSessions(runner: CommandRunner) {
  const counts = { all: 0, burst: 0 };
  const exec = runner.exec.bind(runner);
  runner.exec = (argv, opts) => {
    if (argv[0] !== 'virsh') return exec(argv, opts);
    counts.all++;
    if (argv.some((a) => a.includes(PREFIX))) counts.burst++;
    const t0 = performance.now();
    const run = exec(argv, opts);
    // BENCH_VERBOSE=1: one line per session (when, how long, how many commands).
    if (process.env.BENCH_VERBOSE)
      void run.finally(() =>
        console.log(`  session at ${fmt(t0)} took ${fmt(performance.now() - t0)}: ${argv.at(-1)!.split('; echo').length} command(s)`),
      );
    return run;
  };
  return counts;
}

async function main() {
  cleanUp();
  let t: TestApp | null = null;
  const stop = () => {
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    t = await startTestApp();
    const admin = await t.setupAdmin();
    const created = await t.call({
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
    const hostId = created.json<{ id: string }>().id;
    const tested = (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json<{ ok: boolean }>();
    if (!tested.ok) throw new Error(`the lab host does not answer over SSH: ${JSON.stringify(tested)}`);
    const list = async () =>
      (await t!.call({ method: 'GET', url: `/api/hosts/${hostId}/vms?q=${PREFIX}`, cookie: admin })).json<{
        items: Array<{ name: string }>;
        hosts: Array<{ ok: boolean; error: string | null }>;
      }>();
    const before = await list();
    if (!before.hosts[0]?.ok) throw new Error(`the lab host's inventory did not load: ${JSON.stringify(before.hosts)}`);

    const runner = await t.app.connections.runner(hostId);
    const floor: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await runner.exec(['virsh', '-c', SYSTEM, 'list', '--all', '--name']);
      floor.push(performance.now() - t0);
    }
    const sessions = countSessions(runner);

    const dir = mkdtempSync(join(tmpdir(), 'mirbench-burst-'));
    const script = Array.from({ length: N }, (_, i) => {
      const file = join(dir, `${i}.xml`);
      writeFileSync(
        file,
        `<domain type='qemu'><name>${nameOf(i)}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
      );
      return `define ${file}`;
    }).join('; ');
    console.log(`\n== Burst: ${N} domain definitions on ${SYSTEM}, followed over SSH ==`);
    // A witness on the host: when libvirt delivered the burst's last event to a follower of its own.
    const witness = spawn('virsh', ['-c', SYSTEM, 'event', '--all', '--loop'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let lastEvent = 0;
    let eventsSeen = 0;
    let pending = '';
    witness.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines)
        if (line.includes(PREFIX) && /Defined/.test(line)) {
          eventsSeen++;
          lastEvent = performance.now();
        }
    });
    await new Promise((r) => setTimeout(r, 500));
    const started = performance.now();
    await promisify(execFile)('virsh', ['-q', '-c', SYSTEM, script], { maxBuffer: 64 * 1024 * 1024 });
    const lastDefined = performance.now();
    rmSync(dir, { recursive: true, force: true });
    // The workload must really be there before anything is timed against it.
    const defined = leftovers().length;
    if (defined !== N) throw new Error(`only ${defined} of ${N} burst domains were defined`);

    let seen = 0;
    for (;;) {
      seen = (await list()).items.length;
      if (seen >= N) break;
      if (performance.now() - lastDefined > 120_000) throw new Error(`the inventory listed ${seen} of ${N} after 120 s`);
      // Not faster: the server runs in this process, and each answer lists hundreds of VMs.
      await new Promise((r) => setTimeout(r, 100));
    }
    const converged = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    witness.kill('SIGTERM');
    console.log(`${'definitions (one virsh session, first → last)'.padEnd(62)}${fmt(lastDefined - started)}`);
    console.log(`${'last definition → GET /api/vms lists all of them'.padEnd(62)}${fmt(converged - lastDefined)}   (goal ≤ 3000 ms)`);
    console.log(
      `${'last event seen by a virsh event on the host → listed'.padEnd(62)}${fmt(converged - lastEvent)}   (${eventsSeen} of ${N} events seen)`,
    );
    console.log(`${'floor: virsh list --all --name over the same SSH connection'.padEnd(62)}${fmt(median(floor))}   (median of 10)`);
    console.log(`${'virsh sessions the server ran during the burst'.padEnd(62)}${String(sessions.all).padStart(9)}`);
    console.log(`${'  of which read burst domains'.padEnd(62)}${String(sessions.burst).padStart(9)}   (one per domain would be ${N})`);
  } finally {
    await t?.close();
    cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
