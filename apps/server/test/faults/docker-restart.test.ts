import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerList, ContainerSummary, DockerEngineList, Host } from '@mirador/contract';
import { startLiveServer, type LiveServer } from '../security/live.js';
import { wsConnect } from '../helpers/ws-client.js';
import { assertNothingLost } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { dataDirSettled, pidFromFile, readFaultLab, spawnDetached, type FaultLab } from './fault-lab.js';
import { isRunning } from '../helpers/lab-processes.js';

type Msg = { type: string; message?: string; reason?: string; data?: string; code?: number | null; topic?: string; [k: string]: unknown };

/**
 * dockerd restarts (SIGTERM, then started again) while containers run with restart policies and a log
 * stream, a stats stream and an exec terminal are open. The engine is the lab's fault dockerd
 * (/run/mirlab-fault/docker.sock, scripts/lab/fault-docker.sh), Mirador's local engine here; the lab's
 * main dockerd is never touched.
 */
describe('fault: dockerd restarted with containers and streams open', { timeout: 150_000 }, () => {
  let lab: FaultLab;
  let live: LiveServer;
  let admin: string;
  let hostId: string;
  const tag = randomBytes(3).toString('hex');
  const names = {
    always: `mirador-test-fd-always-${tag}`,
    unless: `mirador-test-fd-unless-${tag}`,
    none: `mirador-test-fd-none-${tag}`,
  };
  const docker = (...args: string[]) =>
    execFileSync('docker', ['-H', `unix://${lab.faultDocker.socket}`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    }).trim();
  const engineUp = () => {
    try {
      docker('version', '-f', '{{.Server.Version}}');
      return true;
    } catch {
      return false;
    }
  };
  const api = async <T>(path: string) => {
    const res = await live.test.call({ method: 'GET', url: path, cookie: admin });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const engine = async () => (await api<DockerEngineList>('/api/docker/engines')).items.find((e) => e.hostId === hostId)!;
  const containers = async () => {
    const list = await api<ContainerList>(`/api/hosts/${hostId}/containers`);
    return new Map(list.items.map((c) => [c.name, c]));
  };
  /** The engine's API directly (what the CLI cannot show: an exec's state). */
  const engineGet = <T>(path: string) =>
    new Promise<T>((resolve, reject) => {
      const req = request({ socketPath: lab.faultDocker.socket, path, headers: { host: 'docker' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${path}: ${res.statusCode} ${body}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  const ws = (path: string) => wsConnect<Msg>(`${live.base.replace(/^http/, 'ws')}${path}`, admin);

  beforeAll(async () => {
    lab = readFaultLab();
    if (!engineUp()) throw new Error(`the fault dockerd (${lab.faultDocker.socket}) does not answer: bash scripts/lab.sh up`);
    // A short stop timeout: sh as PID 1 ignores SIGTERM, and dockerd would wait 10 s per container.
    const run = (name: string, restart: string) =>
      docker(
        'run',
        '-d',
        '--name',
        name,
        '--label',
        'mirador.test=1',
        '--network',
        'none',
        '--restart',
        restart,
        '--stop-timeout',
        '1',
        lab.dockerImage,
        'sh',
        '-c',
        'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done',
      );
    run(names.always, 'always');
    run(names.unless, 'unless-stopped');
    run(names.none, 'no');
    // The server as it runs for real: inventories warm; its local engine is the fault dockerd.
    live = await startLiveServer({ warmInventories: true, hostCheckIntervalSeconds: 300, dockerSocket: lab.faultDocker.socket });
    admin = await live.test.setupAdmin();
    hostId = (await api<Host[]>('/api/hosts')).find((h) => h.kind === 'local')!.id;
    await until(
      'the three containers running in the list',
      async () => {
        const c = await containers();
        return Object.values(names).every((n) => c.get(n)?.state === 'running') ? true : null;
      },
      { timeoutMs: 20_000 },
    );
  });

  afterAll(async () => {
    await live?.close();
    if (!lab) return;
    // Whatever happened, the fault dockerd runs again for the next run.
    if (!pidFromFile(lab.faultDocker.pidFile) && !engineUp()) spawnDetached(lab.faultDocker.command, lab.faultDocker.logFile);
    await until('the fault dockerd to answer', async () => engineUp() || null, { timeoutMs: 60_000 }).catch(() => {});
    try {
      docker('rm', '-f', ...Object.values(names));
    } catch {
      /* already gone */
    }
  });

  it('ends every stream with a message, says the engine is unreachable, and shows the true state once it is back', async () => {
    // A log stream, a stats stream and a shell, all open on the containers with restart policies.
    const logs = await ws(`/api/hosts/${hostId}/containers/${names.always}/logs/ws?tail=5`);
    await logs.waitFor((m) => m.type === 'log' && /tick/.test(m.data ?? ''), 10_000);
    const rt = await ws('/api/ws');
    const statsTopic = `container-stats:${hostId}:${names.unless}`;
    rt.send({ type: 'subscribe', topic: statsTopic });
    rt.send({ type: 'subscribe', topic: 'docker' });
    await rt.waitFor((m) => m.type === 'container.stats', 15_000);
    const shell = await ws(`/api/hosts/${hostId}/containers/${names.always}/exec?cmd=${encodeURIComponent('["/bin/sh"]')}`);
    await shell.waitFor((m) => m.type === 'ready', 10_000);
    shell.send({ type: 'input', data: 'echo up-$((6*7))\r' });
    await until(
      'the shell to answer',
      async () => (shell.messages.some((m) => m.type === 'output' && /up-42/.test(m.data ?? '')) ? true : null),
      {
        timeoutMs: 10_000,
      },
    );
    const closed = (c: { ws: { readyState: number } }) => c.ws.readyState >= 2;
    const rtMark = rt.messages.length;

    // The fault: SIGTERM by the pid file; started again as soon as it is gone.
    const pid = pidFromFile(lab.faultDocker.pidFile)!;
    expect(pid, 'fault dockerd pid').toBeTruthy();
    const faultAt = Date.now();
    process.kill(pid, 'SIGTERM');
    const engineTruth = until(
      'the engine to say it is unreachable',
      async () => {
        const e = await engine();
        return e.state === 'error' && e.message ? e.message : null;
      },
      { timeoutMs: 30_000, everyMs: 100 },
    );
    const finalOf = (c: { messages: Msg[] }, types: string[]) => c.messages.find((m) => types.includes(m.type));
    const logsEnd = until('the log stream to end with a message', async () => (closed(logs) ? finalOf(logs, ['end', 'error']) : null), {
      timeoutMs: 30_000,
      everyMs: 100,
    });
    const shellEnd = until('the terminal to end with a message', async () => (closed(shell) ? finalOf(shell, ['exit', 'error']) : null), {
      timeoutMs: 30_000,
      everyMs: 100,
    });
    const statsEnd = until(
      'the stats stream to say it stopped',
      async () => rt.messages.slice(rtMark).find((m) => m.type === 'container.stats.stopped' && m.topic === statsTopic),
      { timeoutMs: 30_000, everyMs: 100 },
    );
    const [eng, logEnd, termEnd, statEnd] = await Promise.all([engineTruth, logsEnd, shellEnd, statsEnd]);
    await until('the fault dockerd to exit', async () => !isRunning(pid) || null, { timeoutMs: 30_000, everyMs: 100 });
    const stoppedMs = Date.now() - faultAt;
    expect(eng.value).not.toBe('');
    const logText = logEnd.value.message ?? logEnd.value.reason ?? '';
    expect(logText).not.toBe('');
    expect(statEnd.value.message).not.toBe('');

    spawnDetached(lab.faultDocker.command, lab.faultDocker.logFile);
    const backAt = Date.now();
    await until('the fault dockerd to answer', async () => engineUp() || null, { timeoutMs: 60_000, everyMs: 100 });
    const engineBackMs = Date.now() - backAt;

    // The engine and its containers come back by themselves, each in its true state.
    const truthOf = (name: string) => {
      const [status, startedAt] = docker('inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', name).split(' ');
      return { status: status!, startedAt: new Date(startedAt!).getTime() };
    };
    const recovered = await until(
      'the engine and the containers to show their true state',
      async () => {
        const e = await engine();
        if (e.state !== 'ok') return null;
        const c = await containers();
        const rows: Array<[string, ContainerSummary | undefined]> = Object.values(names).map((n) => [n, c.get(n)]);
        for (const [n, row] of rows) {
          const truth = truthOf(n);
          if (!row || row.state !== truth.status) return null;
          // A restarted container shows its new start, not the one before the restart.
          if (truth.status === 'running' && (!row.startedAt || Math.abs(new Date(row.startedAt).getTime() - truth.startedAt) > 1000))
            return null;
        }
        return rows;
      },
      { timeoutMs: 30_000 },
    );
    const byName = new Map(recovered.value);
    expect(byName.get(names.always)!.state).toBe('running');
    expect(byName.get(names.unless)!.state).toBe('running');
    expect(byName.get(names.none)!.state).toBe('exited');
    expect(new Date(byName.get(names.always)!.startedAt!).getTime()).toBeGreaterThan(faultAt);

    // Stats flow again for the watcher who stayed; a new log stream and a new shell open.
    const statsMark = rt.messages.length;
    await rt.waitFor((m) => m.type === 'container.stats' && rt.messages.indexOf(m) >= statsMark, 20_000);
    const statsBackMs = Date.now() - backAt;
    const logs2 = await ws(`/api/hosts/${hostId}/containers/${names.always}/logs/ws?tail=1`);
    await logs2.waitFor((m) => m.type === 'log', 10_000);
    logs2.close();
    const shell2 = await ws(`/api/hosts/${hostId}/containers/${names.always}/exec`);
    await shell2.waitFor((m) => m.type === 'ready', 10_000);
    shell2.close();
    rt.close();

    // No exec left running in the containers (the one cut by the restart, the one just closed).
    const runningExecs = async () => {
      const found: string[] = [];
      for (const n of Object.values(names)) {
        const ids = JSON.parse(docker('inspect', '-f', '{{json .ExecIDs}}', n)) as string[] | null;
        for (const id of ids ?? [])
          if ((await engineGet<{ Running: boolean }>(`/exec/${id}/json`)).Running) found.push(`${n}: exec ${id.slice(0, 12)}`);
      }
      return found;
    };
    await until('no exec left running in the containers', async () => ((await runningExecs()).length === 0 ? true : null), {
      timeoutMs: 10_000,
    }).catch(() => null);
    expect(await runningExecs(), 'execs still running').toEqual([]);

    // Let the close records of the streams land before the data dir is looked at.
    await new Promise((r) => setTimeout(r, 1000));
    await dataDirSettled(live.test.dataDir);
    const checked = await assertNothingLost({ base: live.base, cookie: admin, dataDir: live.test.dataDir });
    reportFault({
      fault: 'dockerd restarted with containers (--restart always/unless-stopped/no) and logs/stats/exec streams open',
      truth: `engine: "${eng.value}" (${eng.ms} ms); logs ws: "${logText}" (${logEnd.ms} ms); exec ws: ${JSON.stringify(termEnd.value)} (${termEnd.ms} ms); stats topic: "${statEnd.value.message}" (${statEnd.ms} ms); dockerd stopped in ${stoppedMs} ms`,
      truthMs: Math.max(eng.ms, logEnd.ms, termEnd.ms, statEnd.ms),
      recoveryMs: engineBackMs + recovered.ms,
      checked: [
        `dockerd answered ${engineBackMs} ms after start; engine + containers true ${recovered.ms} ms later; stats flowing again ${statsBackMs} ms after start`,
        'always/unless-stopped running with their new start time, no-policy exited',
        'no exec left running',
        ...checked,
      ],
    });
  });
});
