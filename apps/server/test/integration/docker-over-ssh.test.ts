import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerList, CreateContainerResult, DockerEngineList, DockerInfo } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * A host's engine reached over its SSH connection (streamlocal forwarding to /var/run/docker.sock).
 * The lab's sshd runs on this machine, so the remote engine is the lab's dockerd seen through SSH:
 * everything here crosses the SSH transport, and nothing else is configured for it.
 */
const lab = readLab();
const RUN = `ms${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

let t: TestApp;
let admin: string;
let hostId: string;
let base: string;

beforeAll(async () => {
  // No local socket: the only engine Mirador knows is the one behind SSH.
  t = await startTestApp();
  admin = await t.setupAdmin();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const res = await t.call({
    method: 'POST',
    url: '/api/hosts',
    cookie: admin,
    payload: {
      name: 'lab-ssh',
      address: lab.ssh.host,
      port: lab.ssh.port,
      authMethod: 'key',
      privateKey: labPrivateKey(lab),
      libvirtUri: null,
      dockerMode: 'ssh',
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  hostId = res.json().id;
});

afterAll(async () => {
  try {
    docker('rm', '-f', `${RUN}-web`);
  } catch {
    /* not created */
  }
  await t?.close();
});

describe('Docker over SSH', () => {
  it('refuses to talk to the engine before a person accepted the host key', async () => {
    const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/docker/info`, cookie: admin });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/test its connection first/);
  });

  it('serves info, lists and runs containers through the SSH connection', async () => {
    const test = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin });
    expect(test.json().ok, test.body).toBe(true);

    const info = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/docker/info`, cookie: admin });
    expect(info.statusCode, info.body).toBe(200);
    const i = info.json<DockerInfo>();
    expect(i.serverVersion).toBe(docker('version', '--format', '{{.Server.Version}}'));
    expect(i.storageDriver).toBeTruthy();
    expect(['1', '2']).toContain(i.cgroupVersion);
    expect(typeof i.security.seccomp).toBe('boolean');

    const engines = (await t.call({ method: 'GET', url: '/api/docker/engines', cookie: admin })).json<DockerEngineList>();
    expect(engines.items).toEqual([expect.objectContaining({ hostId, transport: 'ssh', state: 'ok' })]);

    const run = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers`,
      cookie: admin,
      payload: { image: lab.dockerImage, name: `${RUN}-web`, command: ['sh', '-c', 'echo over-ssh; exec sleep 600'] },
    });
    expect(run.statusCode, run.body).toBe(201);
    const id = run.json<CreateContainerResult>().id;
    expect(docker('inspect', '-f', '{{.State.Running}}', id)).toBe('true');

    const list = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers?q=${RUN}`, cookie: admin })).json<ContainerList>();
    expect(list.items.map((c) => [c.name, c.state, c.hostName])).toEqual([[`${RUN}-web`, 'running', 'lab-ssh']]);
  });

  it('follows the engine events over SSH (a change made on the host reaches the browser)', async () => {
    const ws = await wsConnect<{ type: string; container?: { name: string; state: string } }>(`ws://${base}/api/ws`, admin);
    try {
      ws.send({ type: 'subscribe', topic: 'docker' });
      await ws.waitFor((m) => m.type === 'subscribed');
      docker('pause', `${RUN}-web`);
      await ws.waitFor(
        (m) => m.type === 'container.updated' && m.container?.name === `${RUN}-web` && m.container.state === 'paused',
        10_000,
      );
      docker('unpause', `${RUN}-web`);
      await ws.waitFor(
        (m) => m.type === 'container.updated' && m.container?.name === `${RUN}-web` && m.container.state === 'running',
        10_000,
      );
    } finally {
      ws.close();
    }
  });

  it('streams logs and an exec terminal over SSH', async () => {
    const logs = await wsConnect<{ type: string; data?: string }>(`ws://${base}/api/hosts/${hostId}/containers/${RUN}-web/logs/ws`, admin);
    try {
      await logs.waitFor((m) => m.type === 'log' && m.data === 'over-ssh', 10_000);
    } finally {
      logs.close();
    }
    const term = await wsConnect<{ type: string; data?: string }>(
      `ws://${base}/api/hosts/${hostId}/containers/${RUN}-web/exec?cmd=${encodeURIComponent('["sh","-c","echo $((6*7)); cat"]')}`,
      admin,
    );
    try {
      await term.waitFor((m) => m.type === 'ready', 10_000);
      const screen = () =>
        term.messages
          .filter((m) => m.type === 'output')
          .map((m) => m.data)
          .join('');
      await term.waitFor(() => screen().includes('42'), 10_000);
      term.send({ type: 'input', data: 'typed-through-ssh\r' });
      await term
        .waitFor(() => screen().includes('typed-through-ssh\r\ntyped-through-ssh'), 10_000)
        .catch(() => {
          throw new Error(`echo not seen in ${JSON.stringify(screen())}`);
        });
    } finally {
      term.close();
    }
  });

  it('comes back by itself after the SSH connection drops, events flowing again', async () => {
    const ws = await wsConnect<{ type: string; container?: { name: string; state: string } }>(`ws://${base}/api/ws`, admin);
    try {
      ws.send({ type: 'subscribe', topic: 'docker' });
      await ws.waitFor((m) => m.type === 'subscribed');
      // Someone watches the container's stats across the drop: they must resume by themselves.
      const statsTopic = `container-stats:${hostId}:${RUN}-web`;
      ws.send({ type: 'subscribe', topic: statsTopic });
      await ws.waitFor((m) => m.type === 'container.stats', 15_000);
      // Kill the sshd processes serving Mirador's connection (children of the lab's sshd listener).
      for (const pid of execFileSync('pgrep', ['-f', `sshd.*${lab.ssh.port}`], { encoding: 'utf8' })
        .trim()
        .split('\n')) {
        for (const child of execFileSync('pgrep', ['-P', pid], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)) {
          try {
            process.kill(Number(child), 'SIGKILL');
          } catch {
            /* gone already */
          }
        }
      }
      const engineState = async () =>
        (await t.call({ method: 'GET', url: '/api/docker/engines', cookie: admin })).json<DockerEngineList>().items[0]!.state;
      let state = await engineState();
      for (let i = 0; i < 30 && state === 'ok'; i++) state = (await new Promise((r) => setTimeout(r, 100)), await engineState());
      expect(state).toBe('error');
      for (let i = 0; i < 120 && state !== 'ok'; i++) state = (await new Promise((r) => setTimeout(r, 500)), await engineState());
      expect(state).toBe('ok');
      const seen = ws.messages.length;
      await ws.waitFor((m) => m.type === 'container.stats' && ws.messages.indexOf(m) >= seen, 20_000);
      ws.send({ type: 'unsubscribe', topic: statsTopic });
      docker('pause', `${RUN}-web`);
      await ws.waitFor(
        (m) => m.type === 'container.updated' && m.container?.name === `${RUN}-web` && m.container.state === 'paused',
        10_000,
      );
      docker('unpause', `${RUN}-web`);
    } finally {
      ws.close();
    }
  });

  it('stops and removes over SSH', async () => {
    const stop = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers/${RUN}-web/stop`,
      cookie: admin,
      payload: { timeout: 0 },
    });
    expect(stop.statusCode, stop.body).toBe(200);
    expect(stop.json().container.state).toBe('exited');
    const rm = await t.call({ method: 'DELETE', url: `/api/hosts/${hostId}/containers/${RUN}-web`, cookie: admin });
    expect(rm.statusCode, rm.body).toBe(200);
    expect(() => docker('inspect', `${RUN}-web`)).toThrow();
  });
});
