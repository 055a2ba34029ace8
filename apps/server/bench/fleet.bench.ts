/**
 * Fleet benchmark (issue 12: "a simulated fleet — 20 hosts × 500 domains").
 *   bash scripts/bench.sh fleet          (build first: pnpm run build)
 * Runs the BUILT server (apps/server/dist/server.js, serving apps/web/build) as its own process with
 * MIRADOR_LIBVIRT_TEST_DIR=.lab/fleet (scripts/lab/fleet.sh writes the 20 test-driver files there),
 * adds 20 hosts over the lab's sshd, each reading one file, and checks the workload is there (10,000
 * VMs listed) before it measures anything. Prints, each next to its floor from the same run:
 *  - GET /api/vms p50/p95 (goal p50 ≤ 50 ms)  vs  `virsh -c test:///… list --all` over the same SSH;
 *  - the VM page's first rows in Chromium (goal ≤ 500 ms)  vs  the page fetching /api/vms alone;
 *  - the same for 2,000 containers (created, never started, on the lab's dockerd; labelled and removed
 *    at the end)  vs  `docker ps -a` over the same SSH.
 * BENCH_CONTAINERS=0 skips the containers part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import { SshHostConnection } from '@mirador/ssh';
import { labPrivateKey, readLab } from '../test/helpers/lab.js';

const REPO = resolve(import.meta.dirname, '../../..');
const DIST = join(REPO, 'apps/server/dist/server.js');
const WEB = join(REPO, 'apps/web/build');
const FLEET_DIR = process.env.FLEET_DIR ?? join(REPO, '.lab/fleet');
const HOSTS = Number(process.env.FLEET_HOSTS ?? 20);
const DOMAINS = Number(process.env.FLEET_DOMAINS ?? 500);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 2000);
const LABEL = 'mirador.test';
const LABEL_VALUE = 'fleet-bench';
const lab = readLab() as ReturnType<typeof readLab> & { chromiumPath?: string };
const fileOf = (h: number) => `fleet-${String(h).padStart(2, '0')}.xml`;

interface Locator {
  first(): Locator;
  waitFor(opts: { state: 'visible'; timeout: number }): Promise<void>;
  count(): Promise<number>;
}
interface Page {
  goto(url: string, opts: { waitUntil: 'load' | 'commit' }): Promise<unknown>;
  locator(selector: string): Locator;
  evaluate<A>(fn: (arg: A) => Promise<number>, arg: A): Promise<number>;
}
interface Chromium {
  launch(opts: { executablePath: string; args: string[] }): Promise<{
    newContext(opts: { locale: string; viewport: { width: number; height: number } }): Promise<{
      addCookies(cookies: { name: string; value: string; url: string }[]): Promise<void>;
      newPage(): Promise<Page>;
      close(): Promise<void>;
    }>;
    close(): Promise<void>;
  }>;
}

function pct(samples: number[], p: number) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
function report(label: string, samples: number[], extra = '') {
  console.log(
    `${label.padEnd(62)} n=${String(samples.length).padStart(3)}  p50 ${fmt(pct(samples, 50)).padStart(10)}  p95 ${fmt(pct(samples, 95)).padStart(10)}${extra}`,
  );
}
async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
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

/** The built server as scripts/start.sh runs it, on a free loopback port with its own data dir. */
async function startServer(dataDir: string): Promise<{ base: string; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  let out = '';
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, DIST], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MIRADOR_HOST: '127.0.0.1',
      MIRADOR_PORT: String(port),
      MIRADOR_DATA_DIR: dataDir,
      MIRADOR_WEB_DIR: WEB,
      MIRADOR_LIBVIRT_TEST_DIR: FLEET_DIR,
      MIRADOR_DOCKER_SOCKET: lab.dockerSocket,
      MIRADOR_HOST_CHECK_SECONDS: '0',
      MIRADOR_LOG_LEVEL: 'warn',
    },
  });
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${out}`);
    const ok = await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { base, child, output: () => out };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer /api/health:\n${out}`);
}

async function main() {
  if (!existsSync(DIST) || !existsSync(join(WEB, 'index.html'))) throw new Error(`build first (pnpm run build): ${DIST} or ${WEB} missing`);
  for (let h = 1; h <= HOSTS; h++) {
    if (!existsSync(join(FLEET_DIR, fileOf(h)))) throw new Error(`${join(FLEET_DIR, fileOf(h))} missing: bash scripts/lab/fleet.sh up`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mirador-fleet-bench-'));
  const docker = new Docker({ socketPath: lab.dockerSocket });
  const server = await startServer(dataDir);
  const { base } = server;
  const ssh = new SshHostConnection({ host: lab.ssh.host, port: lab.ssh.port, username: lab.ssh.user, privateKey: labPrivateKey(lab) });
  try {
    const req = (method: string, path: string, opts: { cookie?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          origin: base,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
          ...opts.headers,
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      });
    const setup = await req('POST', '/api/setup', { body: { username: 'admin', password: 'fleet-bench-pass-1' } });
    const session = /mirador_session=([^;]+)/.exec(setup.headers.get('set-cookie') ?? '')?.[1];
    if (!session) throw new Error(`setup failed: ${setup.status} ${await setup.text()}`);
    const cookie = `mirador_session=${session}`;

    console.log(`\n== Fleet: ${HOSTS} hosts × ${DOMAINS} test-driver domains over the lab's SSH (${lab.ssh.host}:${lab.ssh.port}) ==`);
    const [addMs] = await time(async () => {
      for (let h = 1; h <= HOSTS; h++) {
        const made = await req('POST', '/api/hosts', {
          cookie,
          body: {
            name: `fleet-${String(h).padStart(2, '0')}`,
            address: lab.ssh.host,
            port: lab.ssh.port,
            authMethod: 'key',
            privateKey: labPrivateKey(lab),
            libvirt: { driver: 'test', mode: 'file', file: fileOf(h) },
          },
        });
        if (made.status !== 201) throw new Error(`could not add host ${h}: ${made.status} ${await made.text()}`);
        const id = ((await made.json()) as { id: string }).id;
        const tested = (await (await req('POST', `/api/hosts/${id}/test`, { cookie })).json()) as { ok: boolean };
        if (!tested.ok) throw new Error(`host ${h} does not answer: ${JSON.stringify(tested)}`);
      }
    });
    console.log(`${'add + test 20 hosts'.padEnd(62)} ${fmt(addMs)}`);

    // The workload must be there before anything is measured.
    const want = HOSTS * DOMAINS;
    type VmList = { items: { name: string }[]; hosts: { hostName: string; ok: boolean; error: string | null }[] };
    let list: VmList = { items: [], hosts: [] };
    const [loadMs] = await time(async () => {
      for (let i = 0; i < 240; i++) {
        list = (await (await req('GET', '/api/vms', { cookie })).json()) as VmList;
        const fleet = list.items.filter((v) => v.name.startsWith('fleet-')).length;
        if (fleet === want && list.hosts.every((h) => h.ok)) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    });
    const fleetVms = list.items.filter((v) => v.name.startsWith('fleet-')).length;
    if (fleetVms !== want) {
      throw new Error(
        `only ${fleetVms} of ${want} fleet VMs listed after ${fmt(loadMs)}: ${JSON.stringify(list.hosts.filter((h) => !h.ok)).slice(0, 2000)}`,
      );
    }
    console.log(`${'all inventories loaded (first GET → 10,000 VMs listed)'.padEnd(62)} ${fmt(loadMs)} — ${list.items.length} VMs`);

    const sample = async (path: string, n: number, headers: Record<string, string> = {}) => {
      const samples: number[] = [];
      let bytes = 0;
      let encoding = 'identity';
      for (let i = 0; i < n; i++) {
        const [ms, body] = await time(async () => {
          const res = await req('GET', path, { cookie, headers });
          encoding = res.headers.get('content-encoding') ?? 'identity';
          return res.arrayBuffer();
        });
        bytes = body.byteLength;
        samples.push(ms);
      }
      return { samples, bytes, encoding };
    };
    const fmtBytes = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB decoded`;
    /**
     * The server's own CPU per request, from /proc (user + system ticks), minus what it spends in the
     * same wall time when nobody asks (live stats sampling of thousands of running VMs, GC): on a busy
     * machine wall-clock latencies mostly measure the queue for a core, this does not.
     */
    const cpuMsOf = (pid: number) => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    };
    const cpuPerRequest = async (path: string, n: number, headers: Record<string, string>) => {
      const pid = server.child.pid!;
      let c0 = cpuMsOf(pid);
      const t0 = performance.now();
      await sample(path, n, headers);
      const wall = performance.now() - t0;
      const busy = cpuMsOf(pid) - c0;
      c0 = cpuMsOf(pid);
      await new Promise((r) => setTimeout(r, wall));
      const idle = cpuMsOf(pid) - c0;
      return Math.max(0, busy - idle) / n;
    };
    for (const [label, headers] of [
      ['GET /api/vms (10,000 VMs)', { 'accept-encoding': 'identity' }],
      ['GET /api/vms (10,000 VMs), as a browser asks (br, gzip)', { 'accept-encoding': 'gzip, deflate, br' }],
    ] as const) {
      await sample('/api/vms', 5, headers); // warm-up
      const r = await sample('/api/vms', 60, headers);
      report(label, r.samples, `  ${fmtBytes(r.bytes)} (${r.encoding})`);
      console.log(
        `${'  server CPU per request (idle baseline subtracted)'.padEnd(62)} ${fmt(await cpuPerRequest('/api/vms', 30, headers))}`,
      );
    }
    const oneHost = list.hosts[0]!.hostName;
    const floorOne: number[] = [];
    const floorAll: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [ms, res] = await time(() =>
        ssh.exec(['virsh', '-c', `test://${FLEET_DIR}/${fileOf(1)}`, 'list', '--all'], { timeoutMs: 30_000 }),
      );
      if (res.code !== 0 || (res.stdout.match(/fleet-/g) ?? []).length !== DOMAINS) throw new Error(`floor: virsh failed: ${res.stderr}`);
      floorOne.push(ms);
    }
    // Five channels at a time: sshd allows ten sessions per connection (MaxSessions).
    for (let i = 0; i < 5; i++) {
      const [ms] = await time(async () => {
        let next = 1;
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            while (next <= HOSTS) {
              const res = await ssh.exec(['virsh', '-c', `test://${FLEET_DIR}/${fileOf(next++)}`, 'list', '--all'], { timeoutMs: 60_000 });
              if (res.code !== 0) throw new Error(`floor: virsh failed: ${res.stderr}`);
            }
          }),
        );
      });
      floorAll.push(ms);
    }
    report(`floor: virsh list --all, one host (${oneHost}, 500), same SSH`, floorOne);
    report(`floor: virsh list --all, all ${HOSTS} hosts (5 at a time), same SSH`, floorAll);

    // ---------------------------------------------------------------- browser --
    // The e2e package's Playwright (this package does not depend on it); only what is used here is typed.
    const playwright = createRequire(join(REPO, 'e2e/package.json'))('@playwright/test') as { chromium: Chromium };
    const browser = await playwright.chromium.launch({
      executablePath: process.env.MIRADOR_E2E_CHROMIUM ?? lab.chromiumPath ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
      await context.addCookies([{ name: 'mirador_session', value: session, url: base }]);
      const page = await context.newPage();
      /** Navigation start → the first data row of the list is visible; also counts the rows in the DOM. */
      const firstRows = async (path: string, rowSel: string, runs: number) => {
        const samples: number[] = [];
        let inDom = 0;
        for (let i = 0; i < runs; i++) {
          await page.goto(`${base}/`, { waitUntil: 'load' });
          const t0 = performance.now();
          await page.goto(`${base}${path}`, { waitUntil: 'commit' });
          await page.locator(rowSel).first().waitFor({ state: 'visible', timeout: 60_000 });
          samples.push(performance.now() - t0);
          inDom = await page.locator('tbody tr[data-row]').count();
        }
        return { samples, inDom };
      };
      /** The floor: the same page's own fetch of the list (download + JSON parse), without rendering anything. */
      const fetchOnly = async (path: string, runs: number) => {
        const samples: number[] = [];
        for (let i = 0; i < runs; i++) {
          samples.push(
            await page.evaluate(async (p: string) => {
              const t0 = performance.now();
              await (await fetch(p, { credentials: 'same-origin' })).json();
              return performance.now() - t0;
            }, path),
          );
        }
        return samples;
      };
      const vmPage = await firstRows('/vms', 'tbody tr[data-row] a[href^="/vms/"]', 8);
      report(`VM page: first rows visible (${want} VMs)`, vmPage.samples, `  (${vmPage.inDom} rows in the DOM)`);
      report('floor: the page fetching /api/vms + JSON.parse only', await fetchOnly('/api/vms', 8));

      if (CONTAINERS > 0) {
        console.log(`\n== ${CONTAINERS} containers (created, not started) on the lab's dockerd ==`);
        await removeBenchContainers(docker);
        const image = lab.dockerImage;
        const [createMs] = await time(async () => {
          let next = 0;
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              while (next < CONTAINERS) {
                const i = next++;
                await docker.createContainer({
                  name: `mirtest-fleet-ct-${String(i).padStart(4, '0')}`,
                  Image: image,
                  Cmd: ['true'],
                  Labels: { [LABEL]: LABEL_VALUE },
                });
              }
            }),
          );
        });
        console.log(`${`created ${CONTAINERS} containers (8 at a time)`.padEnd(62)} ${fmt(createMs)}`);
        type CtList = { items: { name: string }[] };
        let cts = 0;
        for (let i = 0; i < 120; i++) {
          const l = (await (await req('GET', '/api/docker/containers', { cookie })).json()) as CtList;
          cts = l.items.filter((c) => c.name.startsWith('mirtest-fleet-ct-')).length;
          if (cts === CONTAINERS) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        if (cts !== CONTAINERS) throw new Error(`only ${cts} of ${CONTAINERS} bench containers listed`);
        for (const [label, headers] of [
          [`GET /api/docker/containers (${CONTAINERS}+ containers)`, { 'accept-encoding': 'identity' }],
          ['GET /api/docker/containers, as a browser asks (br, gzip)', { 'accept-encoding': 'gzip, deflate, br' }],
        ] as const) {
          await sample('/api/docker/containers', 3, headers);
          const r = await sample('/api/docker/containers', 40, headers);
          report(label, r.samples, `  ${fmtBytes(r.bytes)} (${r.encoding})`);
        }
        const floorPs: number[] = [];
        for (let i = 0; i < 10; i++) {
          const [ms, res] = await time(() => ssh.exec(['docker', 'ps', '-a', '--no-trunc'], { timeoutMs: 60_000 }));
          if (res.code !== 0) throw new Error(`floor: docker ps failed: ${res.stderr}`);
          floorPs.push(ms);
        }
        report('floor: docker ps -a over the same SSH', floorPs);
        const ctPage = await firstRows('/containers', 'tbody tr[data-row] a[href^="/containers/"]', 8);
        report(`containers page: first rows visible (${CONTAINERS}+ containers)`, ctPage.samples, `  (${ctPage.inDom} rows in the DOM)`);
        report('floor: the page fetching /api/docker/containers + JSON.parse only', await fetchOnly('/api/docker/containers', 8));
      }
      await context.close();
    } finally {
      await browser.close();
    }
  } finally {
    await ssh.close();
    if (CONTAINERS > 0) await removeBenchContainers(docker);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function removeBenchContainers(docker: Docker) {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${LABEL_VALUE}`] } });
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < left.length) {
        const c = left[next++]!;
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {});
      }
    }),
  );
  if (left.length) console.log(`removed ${left.length} bench containers`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
