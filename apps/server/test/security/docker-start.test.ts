import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Two ways around the Docker policy that a check at create time alone misses (red-team findings):
 * a bind source swapped for a symbolic link between create and start (the engine resolves links at
 * every start), and a stored registry login chosen for an image on another registry (which would
 * send the password to whoever runs that registry).
 */
const AREA = 'docker-start';
let s: SecurityLab;
let allowed: string;
const name = `sec-${AREA}-swap`;

const api = (method: string, path: string, cookie: string, body?: unknown) =>
  s.live.request(method, `/api/hosts/${s.localHostId}${path}`, { cookie, body });

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  allowed = mkdtempSync(join(tmpdir(), `sec-${AREA}-allowed-`));
  mkdirSync(join(allowed, 'x'));
  const put = await api('PUT', '/docker/policy', s.cookies.admin, {
    allowPrivileged: false,
    allowHostNamespaces: false,
    allowDevices: false,
    allowedCapAdd: [],
    bindMountAllowList: [allowed],
  });
  expect(put.status, put.body).toBe(200);
}, 180_000);

afterAll(async () => {
  await s?.docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  if (allowed) rmSync(allowed, { recursive: true, force: true });
  await s?.close();
});

describe('a bind source swapped for a link after create', () => {
  it('is judged again when a non-admin starts the container', async () => {
    const made = await api('POST', '/containers', s.cookies.operator, {
      image: s.lab.dockerImage,
      name,
      command: ['sleep', '300'],
      start: false,
      mounts: [{ type: 'bind', source: join(allowed, 'x'), target: '/host' }],
    });
    expect(made.status, made.body).toBe(201);
    // What an operator could do from any container that binds the allowed directory.
    renameSync(join(allowed, 'x'), join(allowed, 'x.old'));
    symlinkSync('/', join(allowed, 'x'));

    for (const action of ['start', 'restart'] as const) {
      const res = await api('POST', `/containers/${name}/${action}`, s.cookies.operator, {});
      expect(tally(AREA, `operator ${action}s a container whose bind source became a link to "/"`, res.status === 403), res.body).toBe(
        true,
      );
      expect(res.json().message).toMatch(/symbolic links|\//);
      expect((await s.docker.getContainer(name).inspect()).State.Running).toBe(false);
      const audit = await s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
      expect(audit).toMatchObject({ result: 'error', statusCode: 403 });
    }
  });

  it('still lets the operator start it once the directory is a directory again', async () => {
    rmSync(join(allowed, 'x'));
    renameSync(join(allowed, 'x.old'), join(allowed, 'x'));
    const res = await api('POST', `/containers/${name}/start`, s.cookies.operator, {});
    expect(res.status, res.body).toBe(200);
    expect((await s.docker.getContainer(name).inspect()).State.Running).toBe(true);
  });
});

describe('registry credentials go only to their own registry', () => {
  let fake: Server;
  let contacts = 0;
  let port = 0;
  beforeAll(async () => {
    fake = createServer((c) => {
      contacts++;
      c.destroy();
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    port = (fake.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => fake.close(r));
  });

  it("refuses a pull or push that names another registry's login", async () => {
    const reg = await s.live.request('POST', '/api/registries', {
      cookie: s.cookies.admin,
      body: {
        name: `sec-${AREA}-lab`,
        serverAddress: s.lab.registry.address,
        username: s.lab.registry.username,
        password: s.lab.registry.password,
      },
    });
    expect(reg.status, reg.body).toBe(201);
    const registryId = reg.json().id as string;
    const pull = await api('POST', '/images/pull', s.cookies.operator, { image: `127.0.0.1:${port}/sec/x:1`, registryId });
    const push = await api('POST', `/images/${encodeURIComponent(s.lab.dockerImage)}/push`, s.cookies.operator, { registryId });
    await new Promise((r) => setTimeout(r, 500));
    expect(tally(AREA, 'pull from a foreign registry with a stored login', pull.status === 400 && contacts === 0), pull.body).toBe(true);
    expect(pull.json().field).toBe('registryId');
    expect(tally(AREA, 'push to docker.io with a stored login for another registry', push.status === 400), push.body).toBe(true);
    // The right registry with its own login still works.
    const ok = await api('POST', '/images/pull', s.cookies.operator, { image: `${s.lab.registry.address}/sec/none:1`, registryId });
    expect(ok.status, ok.body).not.toBe(400);
  });
});

describe('a non-admin network cannot take a network the host uses', () => {
  it("refuses subnets overlapping the host's LAN or libvirt's NAT bridge, and allows a free one", async () => {
    const before = (await s.docker.listNetworks()).map((n) => n.Name).sort();
    for (const subnet of ['192.168.122.0/24', '192.168.122.0/16', '127.0.0.0/16']) {
      const res = await api('POST', '/networks', s.cookies.operator, { name: `sec-${AREA}-net-clash`, subnet });
      if (res.status === 201)
        await s.docker
          .getNetwork(`sec-${AREA}-net-clash`)
          .remove()
          .catch(() => {});
      expect(tally(AREA, `operator network on ${subnet}, a range the host uses`, res.status === 403), res.body).toBe(true);
      expect(res.json().field).toBe('subnet');
    }
    expect((await s.docker.listNetworks()).map((n) => n.Name).sort()).toEqual(before);
    const free = await api('POST', '/networks', s.cookies.operator, { name: `sec-${AREA}-net-free`, subnet: '172.31.250.0/24' });
    expect(free.status, free.body).toBe(201);
    await s.docker.getNetwork(`sec-${AREA}-net-free`).remove();
  });
});
