/**
 * Docker benchmark (a script, not a test: it prints figures; it exits non-zero only when the setup fails).
 *   bash scripts/bench.sh docker
 * Needs the lab (bash scripts/lab.sh up). Creates BENCH_CONTAINERS (200) labbox containers labelled
 * `mirador.bench=<run id>`, BENCH_RUNNING (50) of them running `sleep 3600`, and prints:
 *  1. GET /api/hosts/:hostId/containers p50/p99 (first cold call, then warm) against `docker ps -a`
 *     and the raw engine call `GET /containers/json?all=1` on the socket;
 *  2. stats of the running containers streamed to 10 websocket clients (one `container-stats:` topic
 *     per container, then the `docker-fleet` topic): server CPU% above an idle baseline, RSS/heap,
 *     messages per second per client, engine stats streams open. The clients run in a child process
 *     so the CPU measured here (process.cpuUsage) is the server's;
 *  3. `docker stop -t 0` on the host → `container.updated` (state exited) at a websocket client.
 * Everything it created is removed at the end, on failure and on Ctrl-C.
 */
import { execFile, execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { readLab } from '../test/helpers/lab.js';

// Server and worker-process messages are read loosely here: the benchmark's own checks (workload present,
// counts reached) judge them, and typing every worker message would only restate them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = { type: string; [k: string]: any };

const LABEL = 'mirador.bench';
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 200);
const RUNNING = Number(process.env.BENCH_RUNNING ?? 50);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const PHASE_MS = Number(process.env.BENCH_PHASE_S ?? 30) * 1000;
const STOP_SAMPLES = Math.min(RUNNING, Number(process.env.BENCH_STOP_SAMPLES ?? 20));

// ───────────────────────────── websocket clients (child process) ─────────────────────────────
// Forked from this same file: keeps the clients' JSON parsing out of the server's CPU figure.

async function clientsMain() {
  const { default: WebSocket } = await import('ws');
  const url = process.env.BENCH_URL!;
  const cookie = process.env.BENCH_COOKIE!;
  const topics = JSON.parse(process.env.BENCH_TOPICS!) as string[];
  const n = Number(process.env.BENCH_N);
  const expectIds = Number(process.env.BENCH_EXPECT_IDS);
  const send = (m: unknown) => process.send!(m);
  type Client = {
    ws: InstanceType<typeof WebSocket>;
    msgs: number;
    bytes: number;
    byType: Record<string, number>;
    fleetItems: number;
    ids: Set<string>;
    acks: number;
  };
  let readySent = false;
  let flowingSent = false;
  const clients: Client[] = [];
  const check = () => {
    if (!readySent && clients.length === n && clients.every((c) => c.acks >= topics.length)) {
      readySent = true;
      send({ type: 'ready' });
    }
    if (readySent && !flowingSent && clients.every((c) => c.ids.size >= expectIds)) {
      flowingSent = true;
      send({ type: 'flowing' });
    }
  };
  const origin = new URL(url.replace(/^ws/, 'http')).origin;
  await Promise.all(
    Array.from({ length: n }, async () => {
      const ws = new WebSocket(url, { headers: { origin, cookie } });
      const c: Client = { ws, msgs: 0, bytes: 0, byType: {}, fleetItems: 0, ids: new Set(), acks: 0 };
      ws.on('message', (raw: Buffer) => {
        const m = JSON.parse(raw.toString()) as Msg;
        c.msgs++;
        c.bytes += raw.length;
        c.byType[m.type] = (c.byType[m.type] ?? 0) + 1;
        if (m.type === 'subscribed') c.acks++;
        else if (m.type === 'error') send({ type: 'error', message: `server said: ${m.message} (${m.topic ?? ''})` });
        else if (m.type === 'container.stats') c.ids.add(m.id);
        else if (m.type === 'fleet.stats') {
          c.fleetItems += m.items.length;
          for (const i of m.items) c.ids.add(i.id);
        }
        check();
      });
      ws.on('close', (code: number, reason: Buffer) => send({ type: 'closed', code, reason: reason.toString() }));
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      clients.push(c);
    }),
  );
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m: Msg) => {
    if (m.type === 'mark') {
      for (const c of clients) Object.assign(c, { msgs: 0, bytes: 0, byType: {}, fleetItems: 0 });
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      send({ type: 'marked' });
    } else if (m.type === 'report') {
      const cpu = process.cpuUsage(cpu0);
      send({
        type: 'report',
        wallMs: performance.now() - t0,
        cpuMs: (cpu.user + cpu.system) / 1000,
        clients: clients.map(({ msgs, bytes, byType, fleetItems }) => ({ msgs, bytes, byType, fleetItems })),
      });
    } else if (m.type === 'exit') {
      for (const c of clients) c.ws.close();
      setTimeout(() => process.exit(0), 200);
    }
  });
  for (const c of clients) for (const topic of topics) c.ws.send(JSON.stringify({ type: 'subscribe', topic }));
  check();
}

// ───────────────────────────────────────── helpers ─────────────────────────────────────────

function pct(samples: number[], p: number) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function report(label: string, samples: number[], extra = '') {
  console.log(
    `${label.padEnd(62)} n=${String(samples.length).padStart(3)}  p50 ${fmt(pct(samples, 50)).padStart(9)}  p99 ${fmt(pct(samples, 99)).padStart(9)}${extra}`,
  );
}

async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
    }),
  );
  return out;
}

const lab = readLab();
const RUN = `b${process.pid.toString(36)}${Date.now().toString(36)}`;
const dockerAsync = (...args: string[]) =>
  promisify(execFile)('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${lab.dockerSocket}` }, maxBuffer: 64 << 20 });

/** Raw engine API on the lab socket (keep-alive, as a long-running client would use it). */
const engineAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function engine(method: string, path: string, body?: unknown): Promise<{ status: number; body: Buffer }> {
  return new Promise((res, rej) => {
    const req = http.request(
      { socketPath: lab.dockerSocket, path, method, agent: engineAgent, headers: body ? { 'content-type': 'application/json' } : {} },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) }));
        r.on('error', rej);
      },
    );
    req.on('error', rej);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
async function engineOk(method: string, path: string, body?: unknown) {
  const r = await engine(method, path, body);
  if (r.status >= 300) throw new Error(`engine ${method} ${path}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
  return r.body.length ? JSON.parse(r.body.toString()) : null;
}
const labelFilter = (value?: string) => encodeURIComponent(JSON.stringify({ label: [value ? `${LABEL}=${value}` : LABEL] }));

async function removeLabelled(value?: string): Promise<number> {
  const list = (await engineOk('GET', `/containers/json?all=1&filters=${labelFilter(value)}`)) as Array<{ Id: string }>;
  await pool(list, 8, (c) => engine('DELETE', `/containers/${c.Id}?force=1&v=1`));
  return list.length;
}
/** Last resort (Ctrl-C, crash): synchronous, through the CLI. */
function removeLabelledSync() {
  try {
    execFileSync('sh', ['-c', `docker ps -aq --filter label=${LABEL}=${RUN} | xargs -r docker rm -f -v >/dev/null`], {
      stdio: 'ignore',
      env: { ...process.env, DOCKER_HOST: `unix://${lab.dockerSocket}` },
    });
  } catch {
    /* best effort */
  }
}

/** CPU ticks (user+system) of the engine's processes: dockerd, containerd and the per-container shims. */
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function engineTicks(): { dockerd: number; all: number } {
  let dockerd = 0;
  let all = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (comm !== 'dockerd' && comm !== 'containerd' && !comm.startsWith('containerd-shim')) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    all += ticks;
    if (comm === 'dockerd') dockerd += ticks;
  }
  return { dockerd: dockerd * TICK_MS, all: all * TICK_MS };
}

// ─────────────────────────────────────────── main ───────────────────────────────────────────

interface Phase {
  label: string;
  wallMs: number;
  cpuPct: number;
  dockerdPct: number;
  enginePct: number;
  rssEnd: number;
  rssMax: number;
  heapEnd: number;
  heapMax: number;
  sourcesMin: number;
  sourcesMax: number;
  clientCpuPct?: number;
  msgsPerSec?: number[];
  bytesPerSec?: number[];
  itemsPerFleetMsg?: number;
  msToFlowing?: number;
  msToRelease?: number;
}

async function main() {
  const load0 = loadavg();
  console.log(
    `\nMirador docker benchmark — run ${RUN}; ${CONTAINERS} containers (${RUNNING} running), ${CLIENTS} ws clients, ${PHASE_MS / 1000} s phases; load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const leftovers = await removeLabelled();
  if (leftovers) console.log(`(removed ${leftovers} containers left labelled ${LABEL} by an earlier, interrupted run)`);

  // ── setup: containers first, so the server's first load is a full 200-container load ──
  let t0 = performance.now();
  const ids = await pool(
    Array.from({ length: CONTAINERS }, (_, i) => i),
    8,
    async (i) => {
      const made = await engineOk('POST', `/containers/create?name=${RUN}-${String(i).padStart(3, '0')}`, {
        Image: lab.dockerImage,
        Cmd: ['sleep', '3600'],
        Labels: { [LABEL]: RUN },
        HostConfig: {},
      });
      return made.Id as string;
    },
  );
  const createdMs = performance.now() - t0;
  t0 = performance.now();
  const running = ids.slice(0, RUNNING);
  await pool(running, 6, (id) => engineOk('POST', `/containers/${id}/start`));
  console.log(
    `setup: created ${CONTAINERS} containers in ${(createdMs / 1000).toFixed(1)} s (engine API, 8 at a time), started ${RUNNING} in ${((performance.now() - t0) / 1000).toFixed(1)} s (6 at a time)`,
  );

  const { startTestApp } = await import('../test/helpers/app.js');
  const { wsConnect } = await import('../test/helpers/ws-client.js');
  const t = await startTestApp({ dockerSocket: lab.dockerSocket });
  const phases: Phase[] = [];
  const summary: Array<[string, string]> = [];
  try {
    const admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
    const hostId = hosts.find((h) => h.kind === 'local')?.id;
    if (!hostId) throw new Error(`no local docker host in GET /api/hosts: ${JSON.stringify(hosts)}`);

    // ── 1. container list ──
    console.log(`\n== 1. Container list: ${CONTAINERS} bench containers on the lab engine ==`);
    const listUrl = `http://${base}/api/hosts/${hostId}/containers`;
    // Watch the bus to know when the background start-time inspects (after the first load) are done.
    let lastDockerMsg = performance.now();
    const offDocker = t.app.bus.subscribe('docker', () => (lastDockerMsg = performance.now()));
    t0 = performance.now();
    const cold = await fetch(listUrl, { headers: { cookie: admin } });
    const coldBody = (await cold.json()) as { items: Array<{ id: string; state: string }> };
    const coldMs = performance.now() - t0;
    const mine = coldBody.items.filter((c) => ids.includes(c.id));
    if (cold.status !== 200 || mine.length !== CONTAINERS)
      throw new Error(`cold list: HTTP ${cold.status}, ${mine.length}/${CONTAINERS} bench containers`);
    console.log(
      `${'first call (cold: engine load of the inventory)'.padEnd(62)} ${fmt(coldMs).padStart(28)}   — ${coldBody.items.length} containers`,
    );
    const settleStart = performance.now();
    while (performance.now() - lastDockerMsg < 500 && performance.now() - settleStart < 15_000) await sleep(100);
    offDocker();
    const warm: number[] = [];
    let listBytes = 0;
    for (let i = 0; i < 20; i++) await (await fetch(listUrl, { headers: { cookie: admin } })).arrayBuffer(); // JIT warm-up
    for (let i = 0; i < 200; i++) {
      t0 = performance.now();
      const res = await fetch(listUrl, { headers: { cookie: admin } });
      listBytes = (await res.arrayBuffer()).byteLength;
      warm.push(performance.now() - t0);
    }
    report('GET /api/hosts/:id/containers over HTTP (warm inventory)', warm, `  ${(listBytes / 1024).toFixed(0)} KiB`);
    const ps: number[] = [];
    for (let i = 0; i < 30; i++) {
      t0 = performance.now();
      await dockerAsync('ps', '-a');
      ps.push(performance.now() - t0);
    }
    report('docker ps -a (CLI, same machine)', ps);
    const raw: number[] = [];
    let rawBytes = 0;
    for (let i = 0; i < 200; i++) {
      t0 = performance.now();
      const r = await engine('GET', '/containers/json?all=1');
      rawBytes = r.body.length;
      raw.push(performance.now() - t0);
    }
    report('engine GET /containers/json?all=1 (socket, keep-alive)', raw, `  ${(rawBytes / 1024).toFixed(0)} KiB`);
    summary.push(
      ['list: Mirador cold first call', fmt(coldMs)],
      ['list: Mirador warm p50 / p99', `${fmt(pct(warm, 50))} / ${fmt(pct(warm, 99))}`],
      ['list: docker ps -a p50 / p99', `${fmt(pct(ps, 50))} / ${fmt(pct(ps, 99))}`],
      ['list: engine /containers/json p50 / p99', `${fmt(pct(raw, 50))} / ${fmt(pct(raw, 99))}`],
    );

    // ── 2. stats fan-out ──
    console.log(`\n== 2. Stats of ${RUNNING} running containers → ${CLIENTS} websocket clients (${PHASE_MS / 1000} s each) ==`);
    const wsSrc = readFileSync(resolve(import.meta.dirname, '../src/realtime/ws.routes.ts'), 'utf8');
    const maxSubs = Number(/MAX_SUBSCRIPTIONS\s*=\s*(\d+)/.exec(wsSrc)?.[1] ?? NaN);
    const perContainerFits = !(maxSubs < RUNNING);
    console.log(
      `MAX_SUBSCRIPTIONS per connection = ${maxSubs}: ${RUNNING} container-stats topics per client ${perContainerFits ? 'fit' : 'do NOT fit — per-container phase skipped'}`,
    );
    const stats = t.app.docker.stats;

    async function phase(label: string, topics: string[] | null): Promise<Phase> {
      let child: ChildProcess | null = null;
      const inbox: Msg[] = [];
      const waitChild = (type: string, ms: number) =>
        new Promise<Msg>((res, rej) => {
          const started = performance.now();
          const tick = () => {
            const err = inbox.find((m) => m.type === 'error');
            if (err) return rej(new Error(err.message));
            const i = inbox.findIndex((m) => m.type === type);
            if (i >= 0) return res(inbox.splice(i, 1)[0]!);
            if (child?.exitCode != null) return rej(new Error(`client process exited (${child.exitCode}) while waiting for ${type}`));
            if (performance.now() - started > ms) return rej(new Error(`timed out after ${ms} ms waiting for the clients (${type})`));
            setTimeout(tick, 20);
          };
          tick();
        });
      let msToFlowing: number | undefined;
      if (topics) {
        const subscribedAt = performance.now();
        child = fork(process.argv[1]!, [], {
          env: {
            ...process.env,
            BENCH_ROLE: 'clients',
            BENCH_URL: `ws://${base}/api/ws`,
            BENCH_COOKIE: admin,
            BENCH_TOPICS: JSON.stringify(topics),
            BENCH_N: String(CLIENTS),
            BENCH_EXPECT_IDS: String(RUNNING),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        child.on('message', (m: Msg) => inbox.push(m));
        await waitChild('ready', 30_000);
        await waitChild('flowing', 60_000);
        msToFlowing = performance.now() - subscribedAt;
        await sleep(2_000); // streams settled
        child.send({ type: 'mark' });
        await waitChild('marked', 5_000);
      }
      const cpu0 = process.cpuUsage();
      const eng0 = engineTicks();
      const w0 = performance.now();
      let rssMax = 0;
      let heapMax = 0;
      let sourcesMin = Infinity;
      let sourcesMax = 0;
      while (performance.now() - w0 < PHASE_MS) {
        await sleep(1_000);
        const m = process.memoryUsage();
        rssMax = Math.max(rssMax, m.rss);
        heapMax = Math.max(heapMax, m.heapUsed);
        sourcesMin = Math.min(sourcesMin, stats.openSources());
        sourcesMax = Math.max(sourcesMax, stats.openSources());
      }
      const cpu = process.cpuUsage(cpu0);
      const eng1 = engineTicks();
      const wallMs = performance.now() - w0;
      const mem = process.memoryUsage();
      const p: Phase = {
        label,
        wallMs,
        cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        dockerdPct: ((eng1.dockerd - eng0.dockerd) / wallMs) * 100,
        enginePct: ((eng1.all - eng0.all) / wallMs) * 100,
        rssEnd: mem.rss,
        rssMax,
        heapEnd: mem.heapUsed,
        heapMax,
        sourcesMin,
        sourcesMax,
        msToFlowing,
      };
      if (child) {
        child.send({ type: 'report' });
        const r = await waitChild('report', 5_000);
        const secs = r.wallMs / 1000;
        p.clientCpuPct = (r.cpuMs / r.wallMs) * 100;
        const counted = (c: Msg) => (topics![0] === 'docker-fleet' ? (c.byType['fleet.stats'] ?? 0) : (c.byType['container.stats'] ?? 0));
        p.msgsPerSec = r.clients.map((c: Msg) => counted(c) / secs);
        p.bytesPerSec = r.clients.map((c: Msg) => c.bytes / secs);
        const fleetMsgs = r.clients.reduce((n: number, c: Msg) => n + (c.byType['fleet.stats'] ?? 0), 0);
        if (fleetMsgs) p.itemsPerFleetMsg = r.clients.reduce((n: number, c: Msg) => n + c.fleetItems, 0) / fleetMsgs;
        const closedEarly = inbox.filter((m) => m.type === 'closed');
        if (closedEarly.length)
          console.log(`  !! ${closedEarly.length} client(s) were closed by the server during the phase: ${JSON.stringify(closedEarly[0])}`);
        const gone = performance.now();
        const exited = new Promise((r2) => (child!.exitCode != null ? r2(null) : child!.once('exit', r2)));
        child.send({ type: 'exit' }); // the clients close their sockets now
        while (stats.openSources() > 0 && performance.now() - gone < 10_000) await sleep(5);
        p.msToRelease = performance.now() - gone;
        await exited;
        if (stats.openSources() > 0) console.log(`  !! ${stats.openSources()} stats streams still open 10 s after the clients left`);
      }
      return p;
    }

    const mmm = (xs: number[], f: (x: number) => string) =>
      `${f(Math.min(...xs))} / ${f(xs.reduce((a, b) => a + b, 0) / xs.length)} / ${f(Math.max(...xs))}`;
    function printPhase(p: Phase, baseline: Phase | null) {
      const net = baseline ? ` (net of idle baseline: ${(p.cpuPct - baseline.cpuPct).toFixed(1)}%)` : '';
      console.log(`-- ${p.label}`);
      console.log(
        `   server process CPU ${p.cpuPct.toFixed(1)}% of one core${net}; dockerd ${p.dockerdPct.toFixed(1)}%${baseline ? ` (net ${(p.dockerdPct - baseline.dockerdPct).toFixed(1)}%)` : ''}; dockerd+containerd+shims ${p.enginePct.toFixed(1)}%${baseline ? ` (net ${(p.enginePct - baseline.enginePct).toFixed(1)}%)` : ''}`,
      );
      console.log(
        `   RSS ${mib(p.rssEnd)} (max ${mib(p.rssMax)})${baseline ? ` Δ ${mib(p.rssEnd - baseline.rssEnd)}` : ''}; heap used ${mib(p.heapEnd)} (max ${mib(p.heapMax)})${baseline ? ` Δ ${mib(p.heapEnd - baseline.heapEnd)}` : ''}; engine stats streams open ${p.sourcesMin === p.sourcesMax ? p.sourcesMin : `${p.sourcesMin}–${p.sourcesMax}`}`,
      );
      if (p.msgsPerSec) {
        console.log(
          `   per client: ${mmm(p.msgsPerSec, (x) => x.toFixed(2))} msg/s (min/avg/max), ${mmm(p.bytesPerSec!, (x) => `${(x / 1024).toFixed(1)}`)} KiB/s${p.itemsPerFleetMsg !== undefined ? `, ${p.itemsPerFleetMsg.toFixed(1)} containers per fleet message` : ''}`,
        );
        console.log(
          `   subscribe → every client has samples of all ${RUNNING}: ${fmt(p.msToFlowing!)}; clients told to close → all streams closed: ${fmt(p.msToRelease!)}; client process CPU ${p.clientCpuPct!.toFixed(1)}% (not in the server figure)`,
        );
      }
    }

    const baseline = await phase('idle baseline (server up, no websocket clients)', null);
    printPhase(baseline, null);
    phases.push(baseline);
    if (perContainerFits) {
      const p = await phase(
        `${CLIENTS} clients × ${RUNNING} container-stats:<hostId>:<id> topics`,
        running.map((id) => `container-stats:${hostId}:${id}`),
      );
      printPhase(p, baseline);
      phases.push(p);
    }
    const fleet = await phase(`${CLIENTS} clients × docker-fleet topic`, ['docker-fleet']);
    printPhase(fleet, baseline);
    phases.push(fleet);

    // ── 3. docker stop → websocket ──
    console.log(`\n== 3. docker stop -t 0 on the host → container.updated (exited) at a websocket client ==`);
    const ws = await wsConnect<Msg>(`ws://${base}/api/ws`, admin);
    ws.send({ type: 'subscribe', topic: 'docker' });
    await ws.waitFor((m) => m.type === 'subscribed');
    const latency: number[] = [];
    const stopOnly: number[] = [];
    const afterCli: number[] = [];
    for (const id of running.slice(0, STOP_SAMPLES)) {
      await sleep(250);
      t0 = performance.now();
      let stopDone = 0;
      const stopped = dockerAsync('stop', '-t', '0', id).then(() => (stopDone = performance.now()));
      await ws.waitFor((m) => m.type === 'container.updated' && m.container.id === id && m.container.state === 'exited', 20_000);
      const seen = performance.now();
      latency.push(seen - t0);
      await stopped;
      stopOnly.push(stopDone - t0);
      afterCli.push(seen - stopDone);
    }
    ws.close();
    report('docker stop -t 0 started → websocket client has state exited', latency, `  max ${fmt(Math.max(...latency))}`);
    report('(for scale: the docker stop -t 0 command itself returns after)', stopOnly, `  max ${fmt(Math.max(...stopOnly))}`);
    report('paired: websocket update minus CLI return (negative = earlier)', afterCli, `  max ${fmt(Math.max(...afterCli))}`);
    summary.push(
      ['stop → ws p50 / p99 / max', `${fmt(pct(latency, 50))} / ${fmt(pct(latency, 99))} / ${fmt(Math.max(...latency))}`],
      ['docker stop -t 0 itself p50 / p99 / max', `${fmt(pct(stopOnly, 50))} / ${fmt(pct(stopOnly, 99))} / ${fmt(Math.max(...stopOnly))}`],
      [
        'ws update after CLI return p50 / p99 / max',
        `${fmt(pct(afterCli, 50))} / ${fmt(pct(afterCli, 99))} / ${fmt(Math.max(...afterCli))}`,
      ],
    );
  } finally {
    await t.close().catch((err) => console.error('closing the server:', err));
    const t1 = performance.now();
    const removed = await removeLabelled(RUN).catch(
      (err) => (console.error('cleanup through the engine failed, trying the CLI:', err), removeLabelledSync(), -1),
    );
    console.log(`\ncleanup: removed ${removed} bench containers in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }

  // ── compact table ──
  const b = phases[0]!;
  console.log(
    `\n== Summary (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end; 2 cores shared with other work) ==`,
  );
  for (const [k, v] of summary.slice(0, 4)) console.log(`${k.padEnd(44)} ${v}`);
  console.log(
    `${'stats phase'.padEnd(44)} ${'srv CPU'.padStart(8)} ${'net'.padStart(6)} ${'dockerd'.padStart(8)} ${'RSS'.padStart(10)} ${'heap'.padStart(10)} ${'streams'.padStart(7)} ${'msg/s/client'.padStart(13)}`,
  );
  for (const p of phases) {
    const name =
      p === b
        ? 'idle baseline'
        : p.label.includes('fleet')
          ? `${CLIENTS} clients × docker-fleet`
          : `${CLIENTS} clients × ${RUNNING} container topics`;
    const rate = p.msgsPerSec ? (p.msgsPerSec.reduce((x, y) => x + y, 0) / p.msgsPerSec.length).toFixed(2) : '—';
    console.log(
      `${name.padEnd(44)} ${`${p.cpuPct.toFixed(1)}%`.padStart(8)} ${p === b ? '—'.padStart(6) : `${(p.cpuPct - b.cpuPct).toFixed(1)}%`.padStart(6)} ${`${p.dockerdPct.toFixed(1)}%`.padStart(8)} ${mib(p.rssEnd).padStart(10)} ${mib(p.heapEnd).padStart(10)} ${String(p.sourcesMax).padStart(7)} ${rate.padStart(13)}`,
    );
  }
  for (const [k, v] of summary.slice(4)) console.log(`${k.padEnd(44)} ${v}`);
}

if (process.env.BENCH_ROLE === 'clients') {
  clientsMain().catch((err) => {
    process.send?.({ type: 'error', message: String(err?.stack ?? err) });
    process.exit(1);
  });
} else {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: removing the bench containers (label ${LABEL}=${RUN})…`);
      removeLabelledSync();
      process.exit(130);
    });
  }
  if (!existsSync(lab.dockerSocket)) {
    console.error(`no docker socket at ${lab.dockerSocket}: bash scripts/lab.sh up`);
    process.exit(1);
  }
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      removeLabelledSync();
      process.exit(1);
    },
  );
}
