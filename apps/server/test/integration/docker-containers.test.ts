import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerDetail, ContainerList, ContainerSummary, CreateContainerResult } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * Containers against the lab's real dockerd, through the real server: run with published ports,
 * mounts, logs over a websocket, exec terminals, stats, lifecycle, and the validation/policy gates.
 */
const lab = readLab();
const RUN = `mt${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

let t: TestApp;
let admin: string;
let hostId: string;
let base: string;
const created: string[] = [];

async function run(body: Record<string, unknown>, cookie = admin) {
  const res = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/containers`, cookie, payload: body });
  if (res.statusCode === 201) created.push(res.json<CreateContainerResult>().id);
  return res;
}

async function summary(ref: string): Promise<ContainerSummary> {
  const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${ref}`, cookie: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ContainerDetail>().container;
}

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address() as { port: number };
  base = `127.0.0.1:${addr.port}`;
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  expect(hostId).toBeTruthy();
});

afterAll(async () => {
  for (const id of created) {
    try {
      docker('rm', '-f', '-v', id);
    } catch {
      /* already gone */
    }
  }
  await t?.close();
});

describe('containers on the local engine', () => {
  it('runs a container with a published port that answers from the test', async () => {
    const res = await run({
      image: lab.dockerImage,
      name: `${RUN}-web`,
      command: ['sh', '-c', 'mkdir -p /www && echo hello-from-mirador > /www/index.html && exec httpd -f -p 80 -h /www'],
      ports: ['127.0.0.1::80'],
      labels: { 'lab.course': 'net101' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const made = res.json<CreateContainerResult>();
    expect(made.command).toContain('docker run -d');
    expect(made.command).toContain(`--name ${RUN}-web`);
    const c = await summary(made.id);
    expect(c.state).toBe('running');
    expect(c.labels['lab.course']).toBe('net101');
    const port = c.ports.find((p) => p.privatePort === 80)?.publicPort;
    expect(port).toBeGreaterThan(0);
    let body = '';
    for (let i = 0; i < 50 && !body.includes('hello'); i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (!body.includes('hello')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body.trim()).toBe('hello-from-mirador');

    // Served from the warm inventory, with the engine's view of it.
    const list = (
      await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers?q=${RUN}-web`, cookie: admin })
    ).json<ContainerList>();
    expect(list.items.map((i) => i.name)).toEqual([`${RUN}-web`]);
    expect(list.engines[0]!.state).toBe('ok');
  });

  it('mounts a named volume, a bind mount and a sized tmpfs, as seen from inside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirador-bind-'));
    writeFileSync(join(dir, 'greeting'), 'from-the-host');
    try {
      const res = await run({
        image: lab.dockerImage,
        name: `${RUN}-mounts`,
        command: [
          'sh',
          '-c',
          'echo persisted > /data/file && cat /data/file /host/greeting && grep " /scratch " /proc/mounts && (touch /host/x 2>/dev/null && echo bind-writable || echo bind-readonly) && sleep 600',
        ],
        mounts: [
          { type: 'volume', source: `${RUN}-vol`, target: '/data' },
          { type: 'bind', source: dir, target: '/host', readOnly: true },
          { type: 'tmpfs', target: '/scratch', size: '16m' },
        ],
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json<CreateContainerResult>().id;
      let text = '';
      for (let i = 0; i < 50 && !text.includes('bind-'); i++) {
        text = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${id}/logs`, cookie: admin })).body;
        if (!text.includes('bind-')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toContain('persisted');
      expect(text).toContain('from-the-host');
      expect(text).toMatch(/tmpfs \/scratch tmpfs [^\n]*size=16384k/);
      expect(text).toContain('bind-readonly');
      expect(docker('volume', 'inspect', '-f', '{{.Name}}', `${RUN}-vol`)).toBe(`${RUN}-vol`);
      const detail = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${id}`, cookie: admin })).json<ContainerDetail>();
      expect(detail.settings.mounts).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'bind', source: dir, target: '/host', readOnly: true })]),
      );
      expect(detail.runCommand).toContain('--tmpfs');
    } finally {
      docker('rm', '-f', `${RUN}-mounts`);
      docker('volume', 'rm', `${RUN}-vol`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows logs over a websocket, stdout and stderr told apart', async () => {
    const res = await run({
      image: lab.dockerImage,
      name: `${RUN}-logs`,
      command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.2; done'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const ws = await wsConnect<{ type: string; stream?: string; data?: string; ts?: string }>(
      `ws://${base}/api/hosts/${hostId}/containers/${RUN}-logs/logs/ws?tail=10&timestamps=true`,
      admin,
    );
    try {
      await ws.waitFor((m) => m.type === 'log' && m.stream === 'stdout' && /^out \d+$/.test(m.data ?? ''), 10_000);
      const err = await ws.waitFor((m) => m.type === 'log' && m.stream === 'stderr' && /^err \d+$/.test(m.data ?? ''), 10_000);
      expect(err.ts).toMatch(/^\d{4}-\d\d-\d\dT/);
      // Live: a line written after we connected arrives too.
      const seen = ws.messages.length;
      await ws.waitFor((m) => m.type === 'log' && ws.messages.indexOf(m) > seen + 2, 10_000);
      docker('stop', '-t', '0', `${RUN}-logs`);
      await ws.waitFor((m) => m.type === 'end', 15_000);
    } finally {
      ws.close();
    }
  });

  it('opens an exec terminal: echo $((6*7)) answers 42, and it is audited', async () => {
    const res = await run({ image: lab.dockerImage, name: `${RUN}-term`, command: ['sleep', '600'] });
    expect(res.statusCode, res.body).toBe(201);
    const ws = await wsConnect<{ type: string; data?: string; command?: string; code?: number | null }>(
      `ws://${base}/api/hosts/${hostId}/containers/${RUN}-term/exec?cols=100&rows=30`,
      admin,
    );
    try {
      // BusyBox's line editor asks the terminal where the cursor is (ESC[6n) and reads the answer
      // from stdin; xterm.js answers by itself, so this test answers like a terminal would.
      ws.ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as { type: string; data?: string };
        if (m.type === 'output' && m.data?.includes('\x1b[6n')) ws.send({ type: 'input', data: '\x1b[1;3R' });
      });
      const ready = await ws.waitFor((m) => m.type === 'ready', 10_000);
      expect(ready.command).toBe(`docker exec -it ${RUN}-term /bin/sh`);
      ws.send({ type: 'resize', cols: 120, rows: 40 });
      await new Promise((r) => setTimeout(r, 500)); // let the shell redraw after the resize
      ws.send({ type: 'input', data: 'echo $((6*7))\r' });
      await ws
        .waitFor(
          () =>
            ws.messages
              .filter((m) => m.type === 'output')
              .map((m) => m.data)
              .join('')
              .includes('42\r\n'),
          10_000,
        )
        .catch(() => {
          throw new Error(`no 42 in: ${JSON.stringify(ws.messages.map((m) => m.data).join(''))}`);
        });
      const screen = () =>
        ws.messages
          .filter((m) => m.type === 'output')
          .map((m) => m.data)
          .join('');
      await new Promise((r) => setTimeout(r, 300));
      ws.send({ type: 'input', data: 'stty size\r' });
      await ws
        .waitFor(() => screen().includes('40 120'), 10_000)
        .catch(() => {
          throw new Error(`no "40 120" in: ${JSON.stringify(screen())}`);
        });
      await new Promise((r) => setTimeout(r, 300));
      ws.send({ type: 'input', data: 'exit 3\r' });
      const exit = await ws.waitFor((m) => m.type === 'exit', 10_000);
      expect(exit.code).toBe(3);
    } finally {
      ws.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    const audit = (await t.call({ method: 'GET', url: '/api/audit?action=container.exec.close', cookie: admin })).json<{
      items: Array<{ action: string; target: { name: string | null } }>;
    }>();
    expect(audit.items.some((e) => e.target.name === `${RUN}-term`)).toBe(true);
  });

  it('streams live stats to websocket subscribers and stops the source when they leave', async () => {
    const res = await run({ image: lab.dockerImage, name: `${RUN}-busy`, command: ['sh', '-c', 'while true; do :; done'], cpus: 0.5 });
    expect(res.statusCode, res.body).toBe(201);
    const ws = await wsConnect<{
      type: string;
      topic?: string;
      point?: { cpuPercent: number; memoryBytes: number; memoryLimitBytes: number; pids: number };
    }>(`ws://${base}/api/ws`, admin);
    try {
      const topic = `container-stats:${hostId}:${RUN}-busy`;
      ws.send({ type: 'subscribe', topic });
      await ws.waitFor((m) => m.type === 'subscribed' && m.topic === topic);
      const samples: number[] = [];
      for (let i = 0; i < 4; i++) {
        const n = ws.messages.length;
        const m = await ws.waitFor((x) => x.type === 'container.stats' && ws.messages.indexOf(x) >= n, 10_000);
        samples.push(m.point!.cpuPercent);
        expect(m.point!.memoryBytes).toBeGreaterThan(0);
        expect(m.point!.pids).toBeGreaterThanOrEqual(1);
      }
      // A busy loop capped at half a CPU: docker-stats arithmetic puts it near 50 %.
      expect(Math.max(...samples)).toBeGreaterThan(20);
      expect(Math.max(...samples)).toBeLessThan(80);
      expect(t.app.docker.stats.openSources()).toBe(1);
      // The REST sample is the live one while a stream runs.
      const one = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-busy/stats`, cookie: admin });
      expect(one.statusCode, one.body).toBe(200);
      expect(one.json().onlineCpus).toBeGreaterThanOrEqual(1);
      expect(one.json().memoryLimitBytes).toBeGreaterThan(0);
      ws.send({ type: 'unsubscribe', topic });
      await ws.waitFor((m) => m.type === 'unsubscribed');
      await new Promise((r) => setTimeout(r, 300));
      expect(t.app.docker.stats.openSources()).toBe(0);
    } finally {
      ws.close();
      docker('rm', '-f', `${RUN}-busy`);
    }
  });

  it('stops, starts, restarts, pauses, renames and removes, with changes pushed to websocket clients', async () => {
    const res = await run({ image: lab.dockerImage, name: `${RUN}-life`, command: ['sleep', '600'] });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<CreateContainerResult>().id;
    const ws = await wsConnect<{ type: string; container?: ContainerSummary; id?: string }>(`ws://${base}/api/ws`, admin);
    ws.send({ type: 'subscribe', topic: 'docker' });
    await ws.waitFor((m) => m.type === 'subscribed');
    try {
      const act = (action: string, payload: unknown = {}) =>
        t.call({ method: 'POST', url: `/api/hosts/${hostId}/containers/${RUN}-life/${action}`, cookie: admin, payload: payload as object });
      const stop = await act('stop', { timeout: 0 });
      expect(stop.statusCode, stop.body).toBe(200);
      expect(stop.json().container.state).toBe('exited');
      expect(stop.json().command).toBe(`docker stop -t 0 ${RUN}-life`);
      // Stopping again is what the person asked for: not an error.
      expect((await act('stop')).statusCode).toBe(200);
      expect((await act('start')).json().container.state).toBe('running');
      expect((await act('pause')).json().container.state).toBe('paused');
      const again = await act('pause');
      expect(again.statusCode).toBe(409);
      expect(again.json().message).toMatch(/paused/i);
      expect((await act('unpause')).json().container.state).toBe('running');
      // A change made behind Mirador's back reaches websocket clients from the engine's events.
      docker('stop', '-t', '0', id);
      await ws.waitFor((m) => m.type === 'container.updated' && m.container?.id === id && m.container.state === 'exited', 5_000);
      const renamed = await act('rename', { name: `${RUN}-life2` });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json().container.name).toBe(`${RUN}-life2`);
      const rm = await t.call({ method: 'DELETE', url: `/api/hosts/${hostId}/containers/${RUN}-life2?force=true`, cookie: admin });
      expect(rm.statusCode, rm.body).toBe(200);
      await ws.waitFor((m) => m.type === 'container.removed' && m.id === id, 5_000);
      expect((await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-life2`, cookie: admin })).statusCode).toBe(404);
    } finally {
      ws.close();
    }
  });

  it('recreates with changed settings and keeps the volume data', async () => {
    const res = await run({
      image: lab.dockerImage,
      name: `${RUN}-re`,
      command: ['sh', '-c', 'trap "exit 0" TERM; test -f /data/mark || echo first > /data/mark; sleep 600 & wait'],
      mounts: [{ type: 'volume', target: '/data' }],
      env: ['A=1'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const detail = (
      await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-re`, cookie: admin })
    ).json<ContainerDetail>();
    const anon = detail.settings.mounts?.find((m) => m.type === 'volume');
    expect(anon && 'source' in anon && anon.source).toMatch(/^[0-9a-f]{64}$/);
    const re = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers/${RUN}-re/recreate`,
      cookie: admin,
      payload: { ...detail.settings, env: ['A=2'] },
    });
    expect(re.statusCode, re.body).toBe(200);
    const newId = re.json<CreateContainerResult>().id;
    created.push(newId);
    expect(newId).not.toBe(detail.container.id);
    expect(docker('exec', `${RUN}-re`, 'sh', '-c', 'echo $A; cat /data/mark')).toBe('2\nfirst');
    expect(docker('ps', '-a', '--filter', `name=${RUN}-re`, '--format', '{{.Names}}')).toBe(`${RUN}-re`);
  });

  it('attaches to the main process of an interactive container; a viewer watches read-only', async () => {
    const res = await run({ image: lab.dockerImage, name: `${RUN}-it`, command: ['sh'], tty: true });
    expect(res.statusCode, res.body).toBe(201);
    type Msg = { type: string; data?: string; readOnly?: boolean; message?: string; command?: string };
    const ws = await wsConnect<Msg>(`ws://${base}/api/hosts/${hostId}/containers/${RUN}-it/attach?cols=80&rows=24`, admin);
    const vera = await t.userSession('viewer', 'vera');
    const watcher = await wsConnect<Msg>(`ws://${base}/api/hosts/${hostId}/containers/${RUN}-it/attach`, vera);
    try {
      ws.ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Msg;
        if (m.type === 'output' && m.data?.includes('\x1b[6n')) ws.send({ type: 'input', data: '\x1b[1;3R' });
      });
      const ready = await ws.waitFor((m) => m.type === 'ready', 10_000);
      expect(ready).toMatchObject({ readOnly: false, command: `docker attach ${RUN}-it` });
      expect((await watcher.waitFor((m) => m.type === 'ready', 10_000)).readOnly).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      ws.send({ type: 'input', data: 'echo $((6*7))\r' });
      const screen = (c: typeof ws) =>
        c.messages
          .filter((m) => m.type === 'output')
          .map((m) => m.data)
          .join('');
      await ws.waitFor(() => screen(ws).includes('42\r\n'), 10_000);
      // The viewer sees the same output and may not type.
      await watcher.waitFor(() => screen(watcher).includes('42'), 10_000);
      watcher.send({ type: 'input', data: 'exit\r' });
      expect((await watcher.waitFor((m) => m.type === 'error', 5_000)).message).toMatch(/read-only/i);
      // A viewer may not open a shell at all.
      const shell = await wsConnect<Msg>(`ws://${base}/api/hosts/${hostId}/containers/${RUN}-it/exec`, vera);
      expect((await shell.waitFor((m) => m.type === 'error', 5_000)).message).toMatch(/role/);
      shell.close();
    } finally {
      ws.close();
      watcher.close();
    }
    const audit = (await t.call({ method: 'GET', url: '/api/audit?action=container.attach.open', cookie: admin })).json<{
      items: unknown[];
    }>();
    expect(audit.items.length).toBeGreaterThanOrEqual(2);
  });

  it('kills with a chosen signal and reports fleet-wide stats', async () => {
    const res = await run({
      image: lab.dockerImage,
      name: `${RUN}-sig`,
      command: ['sh', '-c', 'trap "echo got-hup" HUP; while true; do sleep 0.1; done'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const hup = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers/${RUN}-sig/kill`,
      cookie: admin,
      payload: { signal: 'SIGHUP' },
    });
    expect(hup.statusCode, hup.body).toBe(200);
    expect(hup.json().command).toBe(`docker kill -s SIGHUP ${RUN}-sig`);
    let logs = '';
    for (let i = 0; i < 30 && !logs.includes('got-hup'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-sig/logs`, cookie: admin })).body;
    }
    expect(logs).toContain('got-hup');
    const fleet = await t.call({ method: 'GET', url: '/api/docker/fleet-stats', cookie: admin });
    expect(fleet.statusCode).toBe(200);
    const mine = fleet
      .json<{ items: Array<{ name: string; point: { memoryBytes: number } }> }>()
      .items.find((i) => i.name === `${RUN}-sig`);
    expect(mine?.point.memoryBytes).toBeGreaterThan(0);
    // Nobody watches the fleet view: its engine streams are closed again.
    expect(t.app.docker.stats.openSources()).toBe(0);
    const bad = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers/${RUN}-sig/kill`,
      cookie: admin,
      payload: { signal: 'SIGTERM; reboot' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('shows processes (top)', async () => {
    const res = await run({ image: lab.dockerImage, name: `${RUN}-top`, command: ['sleep', '601'] });
    expect(res.statusCode, res.body).toBe(201);
    const top = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${RUN}-top/top`, cookie: admin });
    expect(top.statusCode, top.body).toBe(200);
    expect(top.json().titles).toContain('PID');
    expect(JSON.stringify(top.json().processes)).toContain('sleep 601');
  });
});

describe('bad input and the engine policy', () => {
  it('refuses hostile names, ports, mounts and sizes with 400 naming the field, creating nothing', async () => {
    const before = docker('ps', '-aq').split('\n').length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ image: lab.dockerImage, name: 'x; rm -rf /' }, 'name'],
      [{ image: lab.dockerImage, name: '$(id)' }, 'name'],
      [{ image: 'Labbox:latest' }, 'image'],
      [{ image: 'labbox;id' }, 'image'],
      [{ image: lab.dockerImage, ports: ['8080:abc'] }, 'ports[0]'],
      [{ image: lab.dockerImage, ports: ['80', '70000:80'] }, 'ports[1]'],
      [{ image: lab.dockerImage, mounts: [{ type: 'bind', source: '../etc', target: '/x' }] }, 'mounts[0].source'],
      [{ image: lab.dockerImage, mounts: [{ type: 'tmpfs', target: '/t', size: '-1m' }] }, 'mounts[0].size'],
      [{ image: lab.dockerImage, memory: 'lots' }, 'memory'],
      [{ image: lab.dockerImage, env: ['=x'] }, 'env[0]'],
    ];
    for (const [body, field] of cases) {
      const res = await run(body);
      expect(res.statusCode, `${JSON.stringify(body)} → ${res.body}`).toBe(400);
      expect(res.json().field, res.body).toBe(field);
      expect(res.json().message.length).toBeGreaterThan(10);
    }
    expect(docker('ps', '-aq').split('\n').length).toBe(before);
    // Refused attempts are audited too.
    const audit = (await t.call({ method: 'GET', url: '/api/audit?action=container.create&result=error', cookie: admin })).json<{
      items: unknown[];
    }>();
    expect(audit.items.length).toBeGreaterThanOrEqual(cases.length);
  });

  it("refuses a non-admin's bind mount of / and of the Docker socket, even when allow-listed; admins may", async () => {
    const olga = await t.userSession('operator', 'olga');
    const dir = mkdtempSync(join(tmpdir(), 'mirador-allowed-'));
    try {
      const put = await t.call({
        method: 'PUT',
        url: `/api/hosts/${hostId}/docker/policy`,
        cookie: admin,
        payload: {
          allowPrivileged: false,
          allowHostNamespaces: false,
          allowDevices: false,
          allowedCapAdd: ['NET_ADMIN'],
          bindMountAllowList: [dir, '/var/run'],
        },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(
        (await t.call({ method: 'PUT', url: `/api/hosts/${hostId}/docker/policy`, cookie: olga, payload: put.json() })).statusCode,
      ).toBe(403);

      const root = await run(
        { image: lab.dockerImage, name: `${RUN}-evil`, mounts: [{ type: 'bind', source: '/', target: '/host' }] },
        olga,
      );
      expect(root.statusCode, root.body).toBe(403);
      expect(root.json().message).toMatch(/"\/"/);
      const sock = await run(
        {
          image: lab.dockerImage,
          name: `${RUN}-evil`,
          mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }],
        },
        olga,
      );
      expect(sock.statusCode, sock.body).toBe(403);
      const priv = await run({ image: lab.dockerImage, name: `${RUN}-evil`, privileged: true }, olga);
      expect(priv.statusCode).toBe(403);
      const cap = await run({ image: lab.dockerImage, name: `${RUN}-evil`, capAdd: ['SYS_ADMIN'] }, olga);
      expect(cap.statusCode).toBe(403);
      // A symlink inside the allowed directory pointing at / is judged by where it points.
      execFileSync('ln', ['-s', '/', join(dir, 'escape')]);
      const link = await run(
        { image: lab.dockerImage, name: `${RUN}-evil`, mounts: [{ type: 'bind', source: join(dir, 'escape'), target: '/host' }] },
        olga,
      );
      expect(link.statusCode, link.body).toBe(403);
      expect(() => docker('inspect', `${RUN}-evil`)).toThrow();

      // What the policy allows, she may do.
      const ok = await run(
        {
          image: lab.dockerImage,
          name: `${RUN}-olga`,
          command: ['sleep', '600'],
          capAdd: ['NET_ADMIN'],
          mounts: [{ type: 'bind', source: dir, target: '/work' }],
        },
        olga,
      );
      expect(ok.statusCode, ok.body).toBe(201);
      // The preview says the same without creating anything.
      const preview = await t.call({
        method: 'POST',
        url: `/api/hosts/${hostId}/containers/preview`,
        cookie: olga,
        payload: { image: lab.dockerImage, privileged: true },
      });
      expect(preview.statusCode).toBe(200);
      expect(preview.json().refusals.length).toBe(1);
      expect(preview.json().command).toBe(`docker run -d --privileged ${lab.dockerImage}`);
      // An admin may, with a warning.
      const adm = await run({
        image: lab.dockerImage,
        name: `${RUN}-adm`,
        command: ['sleep', '600'],
        mounts: [{ type: 'bind', source: '/', target: '/host', readOnly: true }],
      });
      expect(adm.statusCode, adm.body).toBe(201);
      expect(adm.json().warnings.join(' ')).toMatch(/\//);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes engine errors through readably: unknown image, port in use, name taken', async () => {
    const first = await run({ image: lab.dockerImage, name: `${RUN}-dup`, command: ['sleep', '600'], ports: ['127.0.0.1:39411:80'] });
    expect(first.statusCode, first.body).toBe(201);
    const dup = await run({ image: lab.dockerImage, name: `${RUN}-dup`, command: ['sleep', '600'] });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().message).toMatch(/already in use/);
    const port = await run({ image: lab.dockerImage, name: `${RUN}-port`, command: ['sleep', '600'], ports: ['127.0.0.1:39411:80'] });
    expect(port.statusCode, port.body).toBe(409);
    expect(port.json().message).toMatch(/port is already allocated|address already in use/);
    // The failed start left nothing behind: the name is free again.
    expect(() => docker('inspect', `${RUN}-port`)).toThrow();
    const missing = await run({ image: 'mirador-no-such-image:1', name: `${RUN}-missing` });
    expect([404, 502]).toContain(missing.statusCode);
    expect(missing.json().message).toMatch(/mirador-no-such-image/);
  });
});
