// Against the real lab sshd (127.0.0.1:2222, impostor with another host key on 2223).
// Note: every new SSH *session* on the lab takes ~1-2 s (root's ~/.bashrc is slow); connections are fast.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SshError } from '../src/errors.js';
import { SshHostConnection } from '../src/host-connection.js';
import {
  collect,
  lab,
  labTarget,
  ourConnectionsTo,
  pidsOf,
  processesMatching,
  recordStates,
  runnersClosedAfterEach,
  signalAll,
  sshdServing,
  waitFor,
  withDescendants,
} from './lab.js';

const { connection, local } = runnersClosedAfterEach();

/** Client port of the connection, as the host sees it ($SSH_CLIENT = "ip port serverport"). */
async function clientPort(c: SshHostConnection): Promise<number> {
  const r = await setupExec(c, ['printenv', 'SSH_CLIENT']);
  const m = /^\S+ (\d+) \d+$/.exec(r.stdout.trim());
  if (!m) throw new Error(`unexpected SSH_CLIENT: ${JSON.stringify(r)}`);
  return Number(m[1]);
}

/**
 * For set-up steps only (not the behaviour under test): the lab sshd is shared, and other suites
 * running on the same machine may drop our connection. Retry like a caller would.
 */
async function setupExec(c: SshHostConnection, argv: string[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await c.exec(argv, { timeoutMs: 60_000 });
    } catch (err) {
      if (!(err instanceof SshError && err.code === 'unreachable') || attempt >= 3) throw err;
      await waitFor('the connection to come back', () => c.state === 'online', 15_000);
    }
  }
}

const HOSTILE = [
  'x; rm -rf /',
  '$(reboot)',
  '`id`',
  "it's",
  '"double" \\ back',
  'a\nb',
  '*',
  '~root',
  '',
  ' lead',
  '--flag=$HOME',
  '<a>&amp;',
];

describe('SshHostConnection (lab sshd)', () => {
  it('runs 20 concurrent commands over ONE connection, at most maxConcurrent at a time', async () => {
    // Generous budget: each session costs 1-6 s on a loaded lab machine (slow ~/.bashrc), and the
    // queue time counts against it.
    const c = connection({ maxConcurrent: 4, defaultTimeoutMs: 280_000 });
    const states = recordStates(c);
    let maxRunning = 0;
    let maxQueued = 0;
    const sampler = setInterval(() => {
      maxRunning = Math.max(maxRunning, c.load.running);
      maxQueued = Math.max(maxQueued, c.load.queued);
    }, 5);
    const script = 'echo "$1 $SSH_CLIENT"; date +%s.%N; sleep 0.3; date +%s.%N';
    const jobs = Array.from({ length: 20 }, (_, i) => c.exec(['sh', '-c', script, 'sh', String(i)]));
    // A command queued behind them with a short budget is refused without being run.
    const queued = c.exec(['touch', `/tmp/mirador-should-not-exist-${process.pid}`], { timeoutMs: 300 }).catch((e) => e);
    await waitFor('the connection and 4 running commands', () => c.state === 'online' && c.load.running === 4, 15_000, 5);
    const tcpWhileBusy = ourConnectionsTo(lab().ssh.port);
    const results = await Promise.all(jobs);
    clearInterval(sampler);
    const refused = await queued;
    expect(refused).toBeInstanceOf(SshError);
    expect(refused).toMatchObject({ code: 'timeout' });
    expect(refused.message).toMatch(/did not start within 300 ms.*waiting \(limit 4\); it was not run/);
    expect(existsSync(`/tmp/mirador-should-not-exist-${process.pid}`)).toBe(false);

    const ports = new Set<string>();
    const spans: Array<[number, number]> = [];
    results.forEach((r, i) => {
      expect(r).toMatchObject({ code: 0, timedOut: false, stderr: '' });
      const [first, start, end] = r.stdout.trim().split('\n');
      const m = new RegExp(`^${i} 127\\.0\\.0\\.1 (\\d+) ${lab().ssh.port}$`).exec(first!);
      expect(m, `output of command ${i}: ${r.stdout}`).not.toBeNull();
      ports.add(m![1]!);
      spans.push([Number(start), Number(end)]);
    });
    // One TCP connection: the host saw a single client port, this process held one socket to sshd,
    // and the connection came up once.
    expect(ports.size).toBe(1);
    expect(tcpWhileBusy).toHaveLength(1);
    expect(c.connectCount).toBe(1);
    expect(states.filter((s) => s.state === 'online')).toHaveLength(1);
    // Bounded: the semaphore never let more than 4 run (and was saturated), and on the host no more
    // than 4 commands overlapped.
    expect(maxRunning).toBe(4);
    expect(maxQueued).toBeGreaterThan(0);
    const overlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
    expect(overlap).toBeLessThanOrEqual(4);
    expect(c.load).toEqual({ running: 0, queued: 0, channels: 0 });
  }, 300_000);

  it('passes hostile arguments through exactly', async () => {
    const c = connection();
    const [one, many, stdin] = await Promise.all([
      c.exec(['printf', '%s', 'x; rm -rf /']),
      c.exec(['printf', '[%s]', ...HOSTILE]),
      c.exec(['cat'], { stdin: "it's $(stdin)\n" }),
    ]);
    expect(one.stdout).toBe('x; rm -rf /');
    expect(many.stdout).toBe(HOSTILE.map((a) => `[${a}]`).join(''));
    expect(stdin.stdout).toBe("it's $(stdin)\n");
  });

  it('times a command out quickly, kills it on the host, and stays usable', async () => {
    const c = connection();
    await c.connect();
    const t0 = Date.now();
    const r = await c.exec(['sleep', '10'], { timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(r).toMatchObject({ timedOut: true, code: null });

    // A command that did get going (its sleep started) is really gone afterwards, with its children.
    const marker = `sleep 31.${process.pid}`;
    const r2 = await c.exec(['sh', '-c', `echo started; ${marker}; echo never`], { timeoutMs: 3_000 });
    expect(r2.timedOut).toBe(true);
    expect(r2.stdout).not.toContain('never');
    await waitFor(`"${marker}" to be killed on the host`, () => processesMatching(marker).length === 0, 25_000, 100);

    expect((await c.exec(['echo', 'still here'])).stdout).toBe('still here\n');
    expect(c.connectCount).toBe(1);
  });

  it('notices a dropped connection within seconds, ends channels and commands, and reconnects by itself', async () => {
    const c = connection();
    const states = recordStates(c);
    // Sessions are slow to start on the lab (~/.bashrc): set everything up at once.
    const [port, proc] = await Promise.all([clientPort(c), c.spawn(['sleep', `600.${process.pid}`])]);
    const exited = new Promise<[number | null, string | null]>((r) => proc.once('exit', (code, sig) => r([code, sig])));
    const inflight = c.exec(['sleep', '20']).then(
      () => null,
      (e) => e,
    );
    await waitFor('the spawned sleep to run', () => pidsOf(`sleep 600.${process.pid}`).length === 1, 30_000);

    const victims = withDescendants(sshdServing(lab().ssh.port, port));
    const killedAt = Date.now();
    signalAll(victims, 'SIGKILL');

    await waitFor('state offline', () => c.state === 'offline', 5_000, 10);
    const offlineAfter = Date.now() - killedAt;
    expect(await exited).toEqual([null, null]);
    expect(proc.exited).toBe(true);
    const err = await inflight;
    expect(err).toBeInstanceOf(SshError);
    expect(err).toMatchObject({ code: 'unreachable' });

    await waitFor('state online again', () => c.state === 'online', 10_000, 25);
    const onlineAfter = Date.now() - killedAt;
    const newPort = await clientPort(c);
    expect(newPort).not.toBe(port);
    expect(c.connectCount).toBe(2);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'online', 'offline', 'online']);
    expect(states[2]!.detail.code).toBe('unreachable');
    console.info(`drop: offline after ${offlineAfter} ms, online again after ${onlineAfter} ms`);
  });

  it('detects a frozen peer through keepalives and reconnects', async () => {
    const c = connection({ keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    const states = recordStates(c);
    const port = await clientPort(c);
    const frozen = withDescendants(sshdServing(lab().ssh.port, port));
    const stoppedAt = Date.now();
    signalAll(frozen, 'SIGSTOP'); // TCP stays up; the peer just stops answering
    try {
      await waitFor('state offline', () => c.state === 'offline', 6_000, 10);
      const after = Date.now() - stoppedAt;
      expect(states.filter((s) => s.state === 'offline').at(-1)?.detail.message).toMatch(/keepalive/);
      await waitFor('state online again', () => c.state === 'online', 10_000);
      expect((await c.exec(['echo', 'ok'])).stdout).toBe('ok\n');
      console.info(`frozen peer: offline after ${after} ms`);
    } finally {
      signalAll(frozen, 'SIGKILL');
    }
  });

  it('refuses an impostor host key before sending credentials, and recovers after updateTarget', async () => {
    const l = lab();
    const trace: string[] = [];
    const c = connection({ port: l.sshImpostor.port, debug: (m) => trace.push(m), backoff: { minMs: 50, maxMs: 60_000 } });
    const states = recordStates(c);
    const err = await c.connect().catch((e) => e);
    expect(err).toBeInstanceOf(SshError);
    expect(err.code).toBe('host_key_mismatch');
    expect(err.message).toContain(l.sshImpostor.hostKeyFingerprint);
    expect(c.state).toBe('error');
    expect(c.stateDetail.code).toBe('host_key_mismatch');
    expect(states.at(-1)).toMatchObject({ state: 'error', detail: { code: 'host_key_mismatch' } });
    expect(trace.some((m) => m.includes('Host denied (verification failed)'))).toBe(true);
    expect(trace.filter((m) => /USERAUTH_REQUEST|SERVICE_REQUEST/.test(m))).toEqual([]);
    // While in error, commands fail fast with the same reason.
    await expect(c.exec(['true'])).rejects.toMatchObject({ code: 'host_key_mismatch' });

    c.updateTarget({ port: l.ssh.port });
    await waitFor('online after updateTarget', () => c.state === 'online', 10_000);
    expect(trace.some((m) => m.includes('USERAUTH_REQUEST (publickey'))).toBe(true); // the probe above can see auth
  });

  it('pins the host key on first use and requires it afterwards', async () => {
    const l = lab();
    const pinned: unknown[] = [];
    const c = connection({ expectedFingerprint: null, onHostKeyPinned: (k) => void pinned.push(k) });
    await c.connect();
    expect(pinned).toEqual([{ fingerprint: l.ssh.hostKeyFingerprint, algorithm: 'ssh-ed25519' }]);
    expect(c.expectedFingerprint).toBe(l.ssh.hostKeyFingerprint);

    // Same host object pointed at the impostor: the pinned key is now required.
    c.updateTarget({ port: l.sshImpostor.port });
    await waitFor('error state', () => c.state === 'error', 10_000);
    expect(c.stateDetail.code).toBe('host_key_mismatch');
    expect(pinned).toHaveLength(1);
  });

  it('reports auth failures as auth_failed', async () => {
    const { generateKeyPair } = await import('../src/keys.js');
    const c = connection({ privateKey: generateKeyPair('stranger').privateKey });
    await expect(c.connect()).rejects.toMatchObject({ code: 'auth_failed' });
    expect(c.state).toBe('error');
    expect(c.stateDetail.code).toBe('auth_failed');
  });

  it('runs an interactive pty: input, output, resize, exit', async () => {
    const c = connection();
    const sh = await c.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
    const out = collect(sh);
    const exit = new Promise<[number | null, string | null]>((r) => sh.once('exit', (code, sig) => r([code, sig])));
    await out.waitFor(/[#$] $/);
    sh.write('echo $((6*7))\n');
    await out.waitFor(/[\n ]42\r?\n/);
    sh.write('stty size\n');
    await out.waitFor(/[\n ]24 80\r?\n/);
    sh.resize(100, 30);
    sh.write('stty size\n');
    await out.waitFor(/[\n ]30 100\r?\n/);
    expect(c.load.channels).toBe(1);
    sh.write('exit 3\n');
    expect(await exit).toEqual([3, null]);
    expect(c.load.channels).toBe(0);
  });

  it('kill() ends a spawned channel with a single exit', async () => {
    const c = connection();
    const ch = await c.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
    const out = collect(ch);
    const exits: unknown[] = [];
    ch.on('exit', (...a) => exits.push(a));
    await out.waitFor(/[#$] $/);
    ch.kill();
    await waitFor('exit', () => exits.length > 0, 5_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(exits).toHaveLength(1);
    ch.kill(); // idempotent
    ch.write('ignored');
    ch.resize(10, 10);
  });

  it('close() ends everything and leaves no handles behind', async () => {
    const baseline = countHandles();
    const c = new SshHostConnection(labTarget());
    const ch = await c.spawn(['sleep', `601.${process.pid}`]);
    const exited = new Promise((r) => ch.once('exit', r));
    const pending = c.exec(['sleep', '30']).catch((e) => e);
    await waitFor('sleep running', () => pidsOf(`sleep 601.${process.pid}`).length === 1, 30_000);
    await c.close();
    expect(c.state).toBe('closed');
    await exited;
    expect(await pending).toMatchObject({ code: 'unreachable' });
    await expect(c.exec(['true'])).rejects.toMatchObject({ code: 'unreachable' });
    await new Promise((r) => setImmediate(r));
    const after = countHandles();
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(baseline.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(baseline.Timeout ?? 0);
    // Known limit (README, "Killing commands"): sshd cannot signal processes of a root login, so a
    // non-pty process outlives its closed channel until it next writes. Clean ours up.
    signalAll(pidsOf(`sleep 601.${process.pid}`), 'SIGKILL');
  });
});

function countHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r === 'TCPSocketWrap' || r === 'Timeout') counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('LocalRunner', () => {
  it('runs argv without a shell', async () => {
    const r = local();
    const res = await r.exec(['printf', '[%s]', ...HOSTILE]);
    expect(res).toMatchObject({ code: 0, timedOut: false, stdout: HOSTILE.map((a) => `[${a}]`).join('') });
    expect((await r.exec(['echo', '$(id)', '`id`', '*', '~'])).stdout).toBe('$(id) `id` * ~\n');
    expect((await r.exec(['cat'], { stdin: 'in\n' })).stdout).toBe('in\n');
    expect(await r.exec(['/nonexistent/cmd', 'x'])).toMatchObject({ code: 127, stderr: expect.stringContaining('not found') });
    expect(await r.exec(['sh', '-c', 'exit 7'])).toMatchObject({ code: 7, signal: null });
  });

  it('times out, kills the whole process group, and bounds concurrency', async () => {
    const r = local({ maxConcurrent: 1 });
    const marker = `sleep 32.${process.pid}`;
    const t0 = Date.now();
    const res = await r.exec(['sh', '-c', `${marker}; echo never`], { timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(res).toMatchObject({ timedOut: true, stdout: '' });
    await waitFor(`${marker} gone`, () => processesMatching(marker).length === 0, 3_000);

    const busy = r.exec(['sleep', '0.5']);
    await expect(r.exec(['true'], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
    const ac = new AbortController();
    const aborted = r.exec(['true'], { signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect((await busy).code).toBe(0);
    expect(r.load).toEqual({ running: 0, queued: 0, channels: 0 });
  });

  it('runs a pty: sh answers, resize works, exit is reported', async () => {
    const r = local();
    const sh = await r.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
    const out = collect(sh);
    const exit = new Promise<[number | null, string | null]>((res) => sh.once('exit', (code, sig) => res([code, sig])));
    sh.write('echo $((6*7))\n');
    await out.waitFor(/[\n ]42\r?\n/);
    sh.write('stty size\n');
    await out.waitFor(/[\n ]24 80\r?\n/);
    sh.resize(100, 30);
    // Local resize is asynchronous (stty -F on the pty): ask until the new size shows.
    await waitFor(
      'the new size',
      () => {
        if (/[\n ]30 100\r?\n/.test(out.text)) return true;
        sh.write('stty size\n');
        return false;
      },
      5_000,
      200,
    );
    sh.write('exit 4\n');
    expect(await exit).toEqual([4, null]);
  });

  it('kill() and close() end spawned processes', async () => {
    const r = local();
    const marker = `sleep 33.${process.pid}`;
    const a = await r.spawn(['sh', '-c', marker]);
    const b = await r.spawn(['sh'], { pty: { cols: 80, rows: 24 } });
    const aExit = new Promise((res) => a.once('exit', (...x) => res(x)));
    const bExit = new Promise((res) => b.once('exit', (...x) => res(x)));
    await waitFor(`${marker} running`, () => processesMatching(marker).length >= 1, 3_000);
    a.kill();
    expect(await aExit).toEqual([null, 'TERM']);
    await waitFor(`${marker} gone`, () => processesMatching(marker).length === 0, 3_000);
    await r.close();
    await bExit;
    expect(r.state).toBe('closed');
    await expect(r.exec(['true'])).rejects.toMatchObject({ code: 'unreachable' });
  });
});
