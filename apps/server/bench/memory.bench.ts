/**
 * Memory benchmark (issue 12: "idle server RSS ≤ 120 MB with 5 hosts; heap flat over a soak").
 *   bash scripts/bench.sh memory [--soak MIN]
 * Needs the lab and the built server (pnpm --filter @mirador/server build). Starts the real server
 * (apps/server/dist/server.js, with the Node flags of the package's `start` script) on a free loopback
 * port with a fresh data directory, adds 5 hosts from the lab, waits until each one's VM inventory is
 * loaded (and checks the counts against virsh), lets it settle, and prints its resident memory and heap
 * next to the floor: a bare `node` with the same flags, and the goal.
 * --soak MIN: 10 websocket viewers subscribed to the live topics for MIN minutes, heap printed every minute.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labPrivateKey, readLab } from '../test/helpers/lab.js';
import { wsConnect } from '../test/helpers/ws-client.js';

const REPO = resolve(import.meta.dirname, '../../..');
// MIRADOR_BENCH_DIST: another build to measure (e.g. a copy built from an older commit, for a before/after).
const DIST = resolve(process.env.MIRADOR_BENCH_DIST ?? join(REPO, 'apps/server/dist/server.js'));
const GOAL_MIB = 120;
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 30_000);
const soakArg = process.argv.indexOf('--soak');
const SOAK_MIN = soakArg > 0 ? Number(process.argv[soakArg + 1]) : 0;
if (soakArg > 0 && !(SOAK_MIN > 0)) throw new Error('--soak needs a number of minutes');

const lab = readLab() as ReturnType<typeof readLab> & { secondLibvirt: { ssh: { knownHostsPath: string } } };
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The flags `pnpm start` runs the server with (apps/server/package.json): the figure is of the server as shipped. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO, 'apps/server/package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

interface Report {
  rssBeforeGcKiB: number;
  rssAfterGcKiB: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
}

/** Asks the server (its preload, bench/memory-report.mjs) for its figures after a full GC. */
async function askMemory(child: ChildProcess, file: string): Promise<Report> {
  rmSync(file, { force: true });
  child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Report;
      } catch {
        /* half written */
      }
    }
  }
  throw new Error('the server did not report its memory');
}

/** RSS of a bare node with the same flags: the part no change to Mirador can remove. */
async function floorKiB(flags: string[]): Promise<number> {
  const bare = spawn(process.execPath, [...flags, '-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  await sleep(3000);
  const kib = rssKiB(bare.pid!);
  bare.kill();
  return kib;
}

/** How many domains a libvirt lists, asked directly (not through Mirador): the workload to find in Mirador. */
function countDomains(uri: string, ssh?: { user: string; port: number; knownHostsPath: string }): number {
  const virsh = ['virsh', '-q', '-c', uri, 'list', '--all', '--name'];
  const out = ssh
    ? execFileSync('ssh', [
        ...['-i', lab.ssh.privateKeyPath, '-p', String(ssh.port), '-o', `UserKnownHostsFile=${ssh.knownHostsPath}`, '-o', 'BatchMode=yes'],
        `${ssh.user}@127.0.0.1`,
        virsh.join(' '),
      ])
    : execFileSync(virsh[0]!, virsh.slice(1));
  return out
    .toString()
    .split('\n')
    .filter((l) => l.trim()).length;
}

async function main() {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the server first (pnpm --filter @mirador/server build)`);
  const flags = startFlags();
  const dataDir = mkdtempSync(join(tmpdir(), 'mirador-bench-memory-'));
  const reportFile = join(dataDir, 'memory.json');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const preload = join(REPO, 'apps/server/bench/memory-report.mjs');
  let log = '';
  const child = spawn(process.execPath, [...flags, '--import', preload, DIST], {
    cwd: REPO,
    env: {
      ...process.env,
      MIRADOR_HOST: '127.0.0.1',
      MIRADOR_PORT: String(port),
      MIRADOR_DATA_DIR: dataDir,
      MIRADOR_LOG_LEVEL: 'warn',
      MIRADOR_BENCH_MEMORY_FILE: reportFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const viewers: Array<{ close(): void }> = [];
  try {
    console.log(
      `\nMirador memory benchmark — node ${process.version} ${flags.join(' ') || '(no flags)'}, server pid ${child.pid}, ${base}`,
    );
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${log.slice(-3000)}`);
      if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) break;
      if (i > 600) throw new Error('the server did not answer /api/health within 60 s');
      await sleep(100);
    }
    const empty = rssKiB(child.pid!);

    const request = (method: string, path: string, cookie?: string, body?: unknown) =>
      fetch(base + path, {
        method,
        headers: { origin: base, ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const setup = await request('POST', '/api/setup', undefined, { username: 'admin', password: 'bench-admin-password' });
    const cookie = setup.headers
      .getSetCookie()
      .find((c) => c.startsWith('mirador_session='))
      ?.split(';')[0];
    if (!cookie) throw new Error(`setup: HTTP ${setup.status} ${await setup.text()}`);

    // ── the workload: 5 hosts (the lab's sshd under several names, each with its own connection) ──
    const key = labPrivateKey(lab);
    const second = lab.secondLibvirt.ssh;
    const hosts = [
      { name: 'lab-system', address: lab.ssh.host, port: lab.ssh.port, libvirt: { driver: 'qemu', mode: 'system' }, uri: 'qemu:///system' },
      {
        name: 'lab-system-b',
        address: lab.ssh.host,
        port: lab.ssh.port,
        libvirt: { driver: 'qemu', mode: 'system' },
        uri: 'qemu:///system',
      },
      { name: 'lab-test', address: lab.ssh.host, port: lab.ssh.port, libvirt: { driver: 'test', mode: 'system' }, uri: 'test:///default' },
      {
        name: 'lab-test-b',
        address: lab.ssh.host,
        port: lab.ssh.port,
        libvirt: { driver: 'test', mode: 'system' },
        uri: 'test:///default',
      },
      {
        name: 'lab-second',
        address: second.host,
        port: second.port,
        username: second.user,
        libvirt: { driver: 'qemu', mode: 'session' },
        uri: 'qemu:///session',
        ssh: second,
      },
    ];
    const expected = new Map<string, number>();
    for (const h of hosts) {
      const made = await request('POST', '/api/hosts', cookie, {
        name: h.name,
        address: h.address,
        port: h.port,
        ...('username' in h ? { username: h.username } : {}),
        authMethod: 'key',
        privateKey: key,
        libvirt: h.libvirt,
      });
      if (made.status !== 201) throw new Error(`adding host ${h.name}: HTTP ${made.status} ${await made.text()}`);
      const { id } = (await made.json()) as { id: string };
      const tested = (await (await request('POST', `/api/hosts/${id}/test`, cookie)).json()) as { ok: boolean };
      if (!tested.ok) throw new Error(`host ${h.name} does not answer: ${JSON.stringify(tested)}`);
      expected.set(id, countDomains(h.uri, 'ssh' in h ? h.ssh : undefined));
    }
    const online = ((await (await request('GET', '/api/hosts', cookie)).json()) as Array<{ id: string; status: string }>).filter(
      (h) => expected.has(h.id) && h.status === 'online',
    );
    if (online.length !== hosts.length) throw new Error(`only ${online.length} of ${hosts.length} hosts are online`);

    type VmList = {
      items: Array<{ hostId: string }>;
      hosts: Array<{ hostId: string; hostName: string; ok: boolean; loading: boolean; error: string | null }>;
    };
    let list: VmList | undefined;
    const until = Date.now() + 120_000;
    for (;;) {
      list = (await (await request('GET', '/api/vms', cookie)).json()) as VmList;
      const ready = [...expected].every(([id, n]) => {
        const st = list!.hosts.find((s) => s.hostId === id);
        return st?.ok && !st.loading && list!.items.filter((v) => v.hostId === id).length === n;
      });
      if (ready) break;
      if (Date.now() > until) {
        const seen = [...expected].map(([id, n]) => {
          const st = list!.hosts.find((s) => s.hostId === id);
          return `${st?.hostName ?? id}: ${list!.items.filter((v) => v.hostId === id).length}/${n} VMs${st?.error ? ` (${st.error})` : ''}`;
        });
        throw new Error(`the inventories did not load within 120 s: ${seen.join('; ')}`);
      }
      await sleep(500);
    }
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    console.log(
      `workload: ${hosts.length} SSH hosts online (+ the local Docker endpoint), ${list.items.length} VMs listed = ${total} expected (${[...expected.values()].join(' + ')})`,
    );

    await sleep(SETTLE_MS);
    const idle = await askMemory(child, reportFile);
    const floor = await floorKiB(flags);
    const row = (label: string, value: string, next = '') => console.log(`${label.padEnd(58)} ${value.padStart(12)}  ${next}`);
    console.log(`\n== Idle, ${SETTLE_MS / 1000} s after the inventories loaded ==`);
    row('server RSS, no hosts (just started)', mib(empty * 1024));
    row('server RSS with the 5 hosts, idle', mib(idle.rssBeforeGcKiB * 1024), `goal ≤ ${GOAL_MIB} MiB`);
    row('server RSS after a full GC', mib(idle.rssAfterGcKiB * 1024));
    row('floor: bare node with the same flags', mib(floor * 1024));
    row('server heap used / heap total (after GC)', `${mib(idle.heapUsed)} / ${mib(idle.heapTotal)}`);
    row('  of which new space (young generation)', mib(idle.spaces.new_space ?? 0));
    row('server external / array buffers', `${mib(idle.external)} / ${mib(idle.arrayBuffers)}`);

    if (SOAK_MIN > 0) {
      console.log(`\n== Soak: 10 websocket viewers for ${SOAK_MIN} min (heap after GC, every minute) ==`);
      for (let i = 0; i < 10; i++) {
        const ws = await wsConnect(`${base.replace('http', 'ws')}/api/ws`, cookie);
        for (const topic of ['vms', 'hosts', 'tasks']) ws.send({ type: 'subscribe', topic });
        viewers.push(ws);
      }
      const heaps: number[] = [];
      for (let m = 1; m <= SOAK_MIN; m++) {
        await sleep(60_000);
        await request('GET', '/api/vms', cookie); // a page reload now and then
        const r = await askMemory(child, reportFile);
        heaps.push(r.heapUsed);
        row(`minute ${m}: heap used / RSS`, `${mib(r.heapUsed)} / ${mib(r.rssAfterGcKiB * 1024)}`);
      }
      const growth = heaps.length > 1 ? heaps[heaps.length - 1]! - heaps[0]! : 0;
      row('heap growth first → last minute', mib(growth), Math.abs(growth) < 2 * 1048576 ? '(flat)' : '(NOT flat)');
    }
  } finally {
    for (const v of viewers) v.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`memory benchmark: ${(err as Error).message}`);
    process.exit(1);
  },
);
