/**
 * Upload benchmark (issue 10; a script, not a test: it prints figures and exits non-zero only when the workload
 * is not there).
 *   bash scripts/bench.sh upload
 * Needs the lab (bash scripts/lab.sh up). Writes a BENCH_UPLOAD_MB (500) MiB file of random bytes (so no
 * compression can flatter either side) and, BENCH_ROUNDS (2) times in alternating order, sends it into the lab's
 * storage pool two ways over the same sshd on 127.0.0.1:
 *  - `scp` (OpenSSH's defaults, the lab key and known_hosts) into the pool's directory;
 *  - Mirador: POST /api/hosts/:hostId/storage-pools/:pool/upload, the file streamed from disk with a
 *    content-length by a client in a child process (so its buffers stay out of the server's memory figure),
 *    timed from the first byte sent to the 201.
 * Each copy's size and SHA-256 on the host are checked against the source. Prints MiB/s per run, the medians, the
 * ratio Mirador/scp next to its floor (≥ 0.5× scp), the server's peak RSS during the uploads (it must not grow by
 * the file's size), the cipher each side negotiates and how many cores the machine kept busy during each run (the
 * lab's client, server, sshd and libvirtd share the same cores, so a CPU-bound figure shows here). Everything it
 * made (volumes, copies, the temp file) is removed at the end, on failure and on Ctrl-C. BENCH_POOL picks another
 * pool than the lab's (a running dir pool).
 */
import { execFile, execFileSync, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, statfsSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { readLab } from '../test/helpers/lab.js';

const MiB = 1024 ** 2;
const SIZE = Number(process.env.BENCH_UPLOAD_MB ?? 500) * MiB;
const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 2));
const FLOOR = 0.5; // Mirador ≥ half of scp's throughput
const MARGIN = 512 * MiB; // free space beyond the two copies that exist at once
const SYSTEM = 'qemu:///system';
const RUN = randomBytes(3).toString('hex');

const execAsync = promisify(execFile);
const lab = readLab() as ReturnType<typeof readLab> & { ssh: { knownHostsPath?: string } };
const mibps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ───────────────────────────── upload client (child process) ─────────────────────────────
// Forked from this same file: the client's read buffers and socket writes are not the server's memory or CPU.

type ClientResult = { status: number; body: string; ms: number; sent: number };

function clientMain() {
  const file = process.env.BENCH_FILE!;
  const size = statSync(file).size;
  const url = new URL(process.env.BENCH_URL!);
  let t0 = 0;
  let sent = 0;
  const req = http.request({
    host: url.hostname,
    port: url.port,
    method: 'POST',
    path: url.pathname + url.search,
    headers: {
      host: new URL(process.env.BENCH_ORIGIN!).host,
      origin: process.env.BENCH_ORIGIN!,
      cookie: process.env.BENCH_COOKIE!,
      'content-type': 'application/octet-stream',
      'content-length': String(size),
    },
  });
  const src = createReadStream(file);
  src.on('data', (chunk) => {
    if (!t0) t0 = performance.now();
    sent += chunk.length;
  });
  src.on('error', (err) => req.destroy(err));
  src.pipe(req);
  req.on('response', (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => {
      const r: ClientResult = { status: res.statusCode ?? 0, body, ms: performance.now() - t0, sent };
      process.send!(r, () => process.exit(0));
    });
  });
  req.on('error', (err) => {
    process.send!({ status: 0, body: String(err), ms: performance.now() - t0, sent } satisfies ClientResult, () => process.exit(1));
  });
}

function runClient(env: Record<string, string>): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, [], {
      env: { ...process.env, BENCH_ROLE: 'client', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ClientResult | undefined;
    child.on('message', (m: ClientResult) => (result = m));
    child.once('error', reject);
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`upload client exited (${code}) without an answer`))));
  });
}

// ───────────────────────────── host-side helpers ─────────────────────────────
// The lab host is this machine: its files are checked and removed directly, its volumes with virsh.

const volName = (round: number) => `mirador-bench-upload-${RUN}-${round}.raw`;
const scpName = (round: number) => `mirador-bench-scp-${RUN}-${round}.raw`;

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function volumeBytes(pool: string, vol: string): { capacity: number; path: string } {
  const info = execFileSync('virsh', ['-c', SYSTEM, 'vol-info', '--bytes', '--pool', pool, vol], { encoding: 'utf8' });
  const capacity = Number(/^Capacity:\s+(\d+)/m.exec(info)?.[1] ?? NaN);
  const path = execFileSync('virsh', ['-c', SYSTEM, 'vol-path', '--pool', pool, vol], { encoding: 'utf8' }).trim();
  return { capacity, path };
}

function removeVolume(pool: string, vol: string) {
  try {
    execFileSync('virsh', ['-c', SYSTEM, 'vol-delete', '--pool', pool, vol], { stdio: 'ignore' });
  } catch {
    /* never made, or already gone */
  }
}

function cleanup(pool: string, poolDir: string | null, tmp: string) {
  for (let r = 0; r < ROUNDS; r++) {
    removeVolume(pool, volName(r));
    if (poolDir) rmSync(join(poolDir, scpName(r)), { force: true });
  }
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('virsh', ['-c', SYSTEM, 'pool-refresh', pool], { stdio: 'ignore' });
  } catch {
    /* the pool's own listing catches up later */
  }
}

/** The cipher each side settles on with the lab sshd: both use their defaults, which differ. */
async function negotiatedCiphers(privateKey: string, scpArgs: string[]): Promise<{ openssh: string; ssh2: string }> {
  const { connectSsh } = await import('@mirador/ssh');
  const sshArgs = scpArgs.filter((a) => a !== '-q' && a !== '-B').map((a) => (a === '-P' ? '-p' : a));
  const verbose = await execAsync('ssh', ['-v', '-o', 'BatchMode=yes', ...sshArgs, `${lab.ssh.user}@${lab.ssh.host}`, 'true']).then(
    (r) => r.stderr,
    (err: { stderr?: string }) => err.stderr ?? '',
  );
  let ssh2 = '?';
  const conn = await connectSsh(
    { host: lab.ssh.host, port: lab.ssh.port, username: lab.ssh.user, privateKey },
    { debug: (m) => (ssh2 = /C->S Cipher: (\S+)/.exec(m)?.[1] ?? ssh2) },
  );
  conn.client.end();
  return { openssh: /client->server cipher: (\S+)/.exec(verbose)?.[1] ?? '?', ssh2 };
}

// ───────────────────────────── main ─────────────────────────────

type Run = { round: number; how: 'scp' | 'mirador'; ms: number; busy: number; serverCpu?: number; rssPeak?: number; rssBefore?: number };

/** Jiffies the whole machine spent busy and in all, from /proc/stat: both ways share the same few cores. */
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}
/** Share of all cores busy between two readings, in cores (2.0 = two cores fully busy). */
const coresBusy = (a: ReturnType<typeof machineTicks>, b: ReturnType<typeof machineTicks>) =>
  ((b.busy - a.busy) / (b.total - a.total)) * availableParallelism();

async function main(state: { poolDir: string | null; tmp: string; pool: string }) {
  const { startTestApp, ORIGIN } = await import('../test/helpers/app.js');
  const { labPrivateKey } = await import('../test/helpers/lab.js');
  const pool = state.pool;

  // ── the workload: the file ──
  const file = join(state.tmp, 'payload.raw');
  if (statfsSync(state.tmp).bavail * statfsSync(state.tmp).bsize < SIZE + MARGIN)
    throw new Error(`no room for the ${mib(SIZE)} source file in ${state.tmp}`);
  const t0 = performance.now();
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${SIZE / MiB}`, 'iflag=fullblock', 'status=none']);
  const made = statSync(file).size;
  if (made !== SIZE) throw new Error(`the source file has ${made} bytes, not ${SIZE}`);
  const digest = await sha256(file);
  console.log(
    `source: ${file}, ${mib(made)} from /dev/urandom (${((performance.now() - t0) / 1000).toFixed(1)} s), sha256 ${digest.slice(0, 16)}…`,
  );

  const t = await startTestApp();
  try {
    const admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;

    // ── the workload: the host, online in Mirador ──
    const host = (
      await t.call({
        method: 'POST',
        url: '/api/hosts',
        cookie: admin,
        payload: {
          name: 'lab',
          address: lab.ssh.host,
          port: lab.ssh.port,
          authMethod: 'key',
          privateKey: labPrivateKey(lab),
          libvirtUri: SYSTEM,
        },
      })
    ).json<{ id: string }>();
    const probe = (await t.call({ method: 'POST', url: `/api/hosts/${host.id}/test`, cookie: admin })).json<{ ok: boolean }>();
    const status = (await t.call({ method: 'GET', url: `/api/hosts/${host.id}`, cookie: admin })).json<{
      status: string;
      statusMessage: string | null;
    }>();
    if (!probe.ok || status.status !== 'online')
      throw new Error(`the lab host is not online in Mirador: ${status.status} ${status.statusMessage ?? JSON.stringify(probe)}`);

    // ── the workload: the pool, running, with room for both copies ──
    const detail = await t.call({ method: 'GET', url: `/api/hosts/${host.id}/storage-pools/${pool}`, cookie: admin });
    if (detail.statusCode !== 200) throw new Error(`pool "${pool}": HTTP ${detail.statusCode} ${detail.body}`);
    const p = detail.json<{ state: string; availableBytes: number | null; targetPath: string | null }>();
    if (p.state !== 'running' || !p.targetPath)
      throw new Error(`pool "${pool}" is ${p.state}, target ${p.targetPath}: a running dir pool is needed`);
    state.poolDir = p.targetPath;
    const fsFree = statfsSync(p.targetPath).bavail * statfsSync(p.targetPath).bsize;
    const need = 2 * SIZE + MARGIN;
    if ((p.availableBytes ?? 0) < need || fsFree < need)
      throw new Error(
        `pool "${pool}" (${p.targetPath}) has ${mib(p.availableBytes ?? 0)} free per libvirt, ${mib(fsFree)} per the filesystem: ${mib(need)} needed`,
      );
    console.log(
      `host: lab over SSH ${lab.ssh.host}:${lab.ssh.port} (${status.status}); pool "${pool}" → ${p.targetPath}, ${mib(Math.min(p.availableBytes ?? 0, fsFree))} free (need ${mib(need)})`,
    );

    const scpArgs = [
      '-q',
      '-B',
      '-P',
      String(lab.ssh.port),
      '-i',
      lab.ssh.privateKeyPath,
      '-o',
      'IdentitiesOnly=yes',
      ...(lab.ssh.knownHostsPath && existsSync(lab.ssh.knownHostsPath)
        ? ['-o', `UserKnownHostsFile=${lab.ssh.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes']
        : ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']),
    ];
    const ciphers = await negotiatedCiphers(labPrivateKey(lab), scpArgs);
    console.log(`scp: ${['scp', ...scpArgs].join(' ')} <file> ${lab.ssh.user}@${lab.ssh.host}:<pool dir>/`);
    console.log(`cipher client→server: scp (OpenSSH) ${ciphers.openssh}; Mirador (ssh2) ${ciphers.ssh2}`);

    async function viaScp(round: number): Promise<Run> {
      const dest = join(p.targetPath!, scpName(round));
      const cpu0 = machineTicks();
      const start = performance.now();
      await execAsync('scp', [...scpArgs, file, `${lab.ssh.user}@${lab.ssh.host}:${dest}`]);
      const ms = performance.now() - start;
      const busy = coresBusy(cpu0, machineTicks());
      const got = statSync(dest).size;
      if (got !== SIZE) throw new Error(`scp round ${round}: ${dest} has ${got} bytes, not ${SIZE}`);
      if ((await sha256(dest)) !== digest) throw new Error(`scp round ${round}: ${dest} differs from the source`);
      rmSync(dest, { force: true });
      return { round, how: 'scp', ms, busy };
    }

    async function viaMirador(round: number): Promise<Run> {
      const vol = volName(round);
      const rssBefore = process.memoryUsage().rss;
      const cpu0 = machineTicks();
      const own0 = process.cpuUsage();
      const start = performance.now();
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 25);
      let r: ClientResult;
      try {
        r = await runClient({
          BENCH_FILE: file,
          BENCH_URL: `${base}/api/hosts/${host.id}/storage-pools/${pool}/upload?name=${vol}&format=raw`,
          BENCH_ORIGIN: ORIGIN,
          BENCH_COOKIE: admin,
        });
      } finally {
        clearInterval(sampler);
      }
      const busy = coresBusy(cpu0, machineTicks());
      const own = process.cpuUsage(own0);
      const serverCpu = (own.user + own.system) / 1000 / (performance.now() - start);
      if (r.status !== 201) throw new Error(`Mirador upload round ${round}: HTTP ${r.status} ${r.body}`);
      if (r.sent !== SIZE) throw new Error(`Mirador upload round ${round}: the client read ${r.sent} bytes, not ${SIZE}`);
      const answered = (JSON.parse(r.body) as { volume: { capacityBytes: number } }).volume.capacityBytes;
      const onHost = volumeBytes(pool, vol);
      const got = statSync(onHost.path).size;
      if (answered !== SIZE || onHost.capacity !== SIZE || got !== SIZE)
        throw new Error(
          `Mirador upload round ${round}: answer says ${answered}, vol-info ${onHost.capacity}, stat ${got} bytes; ${SIZE} sent`,
        );
      if ((await sha256(onHost.path)) !== digest) throw new Error(`Mirador upload round ${round}: ${onHost.path} differs from the source`);
      const del = await t.call({ method: 'DELETE', url: `/api/hosts/${host.id}/storage-pools/${pool}/volumes/${vol}`, cookie: admin });
      if (del.statusCode !== 200) removeVolume(pool, vol);
      return { round, how: 'mirador', ms: r.ms, busy, serverCpu, rssBefore, rssPeak };
    }

    console.log(`\n== ${mib(SIZE)} into pool "${pool}": ${ROUNDS} rounds, alternating order ==`);
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [viaScp, viaMirador] : [viaMirador, viaScp];
      for (const how of order) {
        const run = await how(round);
        runs.push(run);
        const mem =
          run.rssPeak !== undefined
            ? `   server RSS ${mib(run.rssBefore!)} → peak ${mib(run.rssPeak)} (+${mib(run.rssPeak - run.rssBefore!)})`
            : '';
        console.log(
          `round ${round + 1}  ${(run.how === 'scp' ? 'scp' : 'Mirador upload').padEnd(15)} ${`${(run.ms / 1000).toFixed(2)} s`.padStart(8)}  ${`${mibps(SIZE, run.ms).toFixed(1)} MiB/s`.padStart(13)}   size+sha256 ok   machine ${run.busy.toFixed(2)}/${availableParallelism()} cores busy${run.serverCpu !== undefined ? `, server ${run.serverCpu.toFixed(2)}` : ''}${mem}`,
        );
      }
    }

    const scpRate = median(runs.filter((r) => r.how === 'scp').map((r) => mibps(SIZE, r.ms)));
    const mir = runs.filter((r) => r.how === 'mirador');
    const mirRate = median(mir.map((r) => mibps(SIZE, r.ms)));
    const ratio = mirRate / scpRate;
    const peak = Math.max(...mir.map((r) => r.rssPeak!));
    const growth = Math.max(...mir.map((r) => r.rssPeak! - r.rssBefore!));
    console.log(`\n== Summary ==`);
    console.log(`${'scp median'.padEnd(44)} ${scpRate.toFixed(1)} MiB/s`);
    console.log(`${'Mirador upload median'.padEnd(44)} ${mirRate.toFixed(1)} MiB/s`);
    console.log(`${'ratio Mirador / scp (floor ≥ 0.50)'.padEnd(44)} ${ratio.toFixed(2)}×  ${ratio >= FLOOR ? 'PASS' : 'BELOW'}`);
    console.log(
      `${'server peak RSS during the uploads'.padEnd(44)} ${mib(peak)} (largest growth +${mib(growth)}, ${((growth / SIZE) * 100).toFixed(1)}% of the file: ${growth < SIZE / 4 ? 'streamed, not buffered' : 'LOOKS BUFFERED'})`,
    );
  } finally {
    await t.close().catch((err: unknown) => console.error('closing the server:', err));
  }
}

if (process.env.BENCH_ROLE === 'client') {
  clientMain();
} else {
  const pool = process.env.BENCH_POOL ?? lab.storagePool ?? 'default';
  // Known before the server starts, so an interrupted run still finds the scp'd copies (main() confirms it through Mirador).
  let poolDir: string | null = null;
  try {
    const xml = execFileSync('virsh', ['-c', SYSTEM, 'pool-dumpxml', pool], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    poolDir = /<path>([^<]+)<\/path>/.exec(xml)?.[1] ?? null;
  } catch {
    /* no such pool: main() says so */
  }
  const state = { poolDir, tmp: mkdtempSync(join(tmpdir(), 'mirador-bench-upload-')), pool };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: removing the bench volumes and files…`);
      cleanup(state.pool, state.poolDir, state.tmp);
      process.exit(130);
    });
  }
  main(state).then(
    () => {
      cleanup(state.pool, state.poolDir, state.tmp);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      cleanup(state.pool, state.poolDir, state.tmp);
      process.exit(1);
    },
  );
}
