import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, ContainerDetail } from '@mirador/contract';
import { labPrivateKey, readLab } from '../helpers/lab.js';
import { nextEvent, startLiveServer, type LiveServer } from './live.js';
import { recordAttempt } from './tally.js';

/**
 * Issue #8, point 3 (no Docker path around the policy) and point 6 (container env values), tried
 * as an operator or a viewer would, against a live server and the lab's real dockerd. Every refusal
 * is checked three ways: the status and the field it names, nothing new on the engine (containers
 * and volumes listed before and after), and an audit record with result "error".
 */
const AREA = 'docker-policy';
const lab = readLab();
const docker = new Docker({ socketPath: lab.dockerSocket });
const P = `sec-docker-${process.pid}`;

let live: LiveServer;
let admin: string;
let operator: string;
let viewer: string;
let hostId: string;
/** The directory the policy allows, with the traps planted in it. */
let allowed: string;

/** The admin's containers the attacks aim at. */
const hostnet = `${P}-hostnet`;
/** Privileged containers cannot start in the lab (nested engine): this one is created, never started. */
const priv = `${P}-priv`;
/** What runs instead: SYS_ADMIN and the host's "/" bound read-only, neither allowed to operators. */
const powerful = `${P}-powerful`;
const plain = `${P}-plain`;
const chain = `${P}-chain`;
const adminRootVolume = `${P}-adminroot`;
const ENV_CANARY = `canary-env-${process.pid}-7f3a`;

function tally(attempt: string, refused: boolean): void {
  recordAttempt(AREA, attempt, refused ? 'refused' : 'got-through');
}

/** What exists on the engine: a refused request must leave it exactly as it was. */
async function engineState(): Promise<string> {
  const containers = (await docker.listContainers({ all: true })).map((c) => c.Names[0]).sort();
  const volumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
  return JSON.stringify({ containers, volumes });
}

const api = (method: string, path: string, cookie: string, body?: unknown) =>
  live.request(method, `/api/hosts/${hostId}${path}`, { cookie, body });

async function auditErrors(action: string): Promise<AuditPage['items']> {
  const res = await live.request('GET', `/api/audit?action=${action}&result=error&limit=500`, { cookie: admin });
  expect(res.status, res.body).toBe(200);
  return res.json<AuditPage>().items;
}

async function expectAudited(action: string, name: string): Promise<void> {
  const items = await auditErrors(action);
  expect(
    items.some((e) => e.target?.name === name || e.target?.id === name),
    `${action} error record for ${name}`,
  ).toBe(true);
}

async function sleeper(
  name: string,
  hostConfig: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  start = true,
): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  const c = await docker.createContainer({
    name,
    Image: lab.dockerImage,
    Cmd: ['sleep', '3600'],
    Labels: { 'mirador.test': 'security' },
    HostConfig: hostConfig,
    ...extra,
  });
  if (start) await c.start();
}

beforeAll(async () => {
  live = await startLiveServer({ dockerSocket: lab.dockerSocket });
  admin = await live.test.setupAdmin('admin', 'admin-pass-sec-docker');
  operator = await live.test.userSession('operator', 'sec-docker-operator');
  viewer = await live.test.userSession('viewer', 'sec-docker-viewer');
  const hosts = (await live.request('GET', '/api/hosts', { cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;

  // The allowed directory: a real sub-directory, and three ways out of it.
  allowed = mkdtempSync(join(tmpdir(), 'sec-docker-allowed-'));
  mkdirSync(join(allowed, 'real'));
  writeFileSync(join(allowed, 'real', 'ok.txt'), 'inside\n');
  symlinkSync('/', join(allowed, 'escape'));
  symlinkSync('/', join(allowed, 'parent'));
  symlinkSync('../../../../../../../../etc', join(allowed, 'relative'));
  const put = await api('PUT', '/docker/policy', admin, {
    allowPrivileged: false,
    allowHostNamespaces: false,
    allowDevices: false,
    allowedCapAdd: [],
    bindMountAllowList: [allowed],
  });
  expect(put.status, put.body).toBe(200);

  await sleeper(hostnet, { NetworkMode: 'host' });
  await sleeper(priv, { Privileged: true }, {}, false);
  await sleeper(powerful, { CapAdd: ['SYS_ADMIN'], Binds: ['/:/host:ro'] }, { Tty: true, OpenStdin: true });
  await sleeper(plain, {}, { Env: [`SEC_PASSWORD=${ENV_CANARY}`, 'SEC_MODE=lab'] });
  await sleeper(chain, { NetworkMode: `container:${hostnet}` });
  // An admin may make a volume of the host's "/" (with a warning); an operator must not be able to use it.
  const root = await api('POST', '/volumes', admin, {
    name: adminRootVolume,
    driver: 'local',
    driverOpts: { type: 'none', o: 'bind', device: '/' },
  });
  expect(root.status, root.body).toBe(201);
}, 120_000);

afterAll(async () => {
  const quiet = (...args: string[]) => spawnSync('docker', args, { stdio: 'ignore', timeout: 30_000 });
  const names = (await docker.listContainers({ all: true }))
    .flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
    .filter((n) => n.startsWith(P));
  // Joined containers first: the engine will not remove a container another one shares a namespace with.
  for (const n of names.sort((a, b) => (a === hostnet ? 1 : b === hostnet ? -1 : 0))) quiet('rm', '-f', n);
  for (const v of ((await docker.listVolumes()).Volumes ?? []).filter((x) => x.Name.startsWith(P))) quiet('volume', 'rm', '-f', v.Name);
  if (allowed) rmSync(allowed, { recursive: true, force: true });
  await live?.close();
}, 120_000);

describe('volumes: every driver option form, as an operator', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'bind of a relative device "../.." (dockerd\'s working directory)',
      { driverOpts: { type: 'none', o: 'bind', device: '../..' } },
      'driverOpts.device',
    ],
    ['bind of a relative device "."', { driverOpts: { type: 'none', o: 'bind', device: '.' } }, 'driverOpts.device'],
    ['bind of "/"', { driverOpts: { type: 'none', o: 'bind', device: '/' } }, 'driverOpts.device'],
    ['bind of "/etc"', { driverOpts: { type: 'none', o: 'bind', device: '/etc' } }, 'driverOpts.device'],
    ['rbind of "/etc" without a type', { driver: 'local', driverOpts: { o: 'rbind', device: '/etc' } }, 'driverOpts.device'],
    ['bind with an extra overlay option', { driverOpts: { type: 'none', o: 'bind,lowerdir=/etc', device: '/etc' } }, 'driverOpts.o'],
    [
      'overlay with lowerdir=/etc',
      { driverOpts: { type: 'overlay', device: 'overlay', o: 'lowerdir=/etc:/usr,upperdir=/tmp/u,workdir=/tmp/w' } },
      'driverOpts.type',
    ],
    ['tmpfs whose options name a path', { driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,lowerdir=/etc' } }, 'driverOpts.o'],
    ['tmpfs whose device is a host path', { driverOpts: { type: 'tmpfs', device: '/etc', o: 'size=1m' } }, 'driverOpts.device'],
    ['nfs with addr=', { driverOpts: { type: 'nfs', o: 'addr=127.0.0.1,rw,nolock', device: ':/' } }, 'driverOpts.type'],
    [
      'cifs with username= and password=',
      { driverOpts: { type: 'cifs', o: 'username=lab,password=sec-docker-cifs-pw', device: '//127.0.0.1/share' } },
      'driverOpts.type',
    ],
    ['ext4 on a host block device', { driverOpts: { type: 'ext4', device: '/dev/sda1' } }, 'driverOpts.type'],
    ['btrfs on a host block device', { driverOpts: { type: 'btrfs', device: '/dev/sda2', o: 'subvol=/' } }, 'driverOpts.type'],
    ['xfs on a host block device', { driverOpts: { type: 'xfs', device: '/dev/sdb' } }, 'driverOpts.type'],
    ['a device alone, no type', { driverOpts: { device: '/dev/sda' } }, 'driverOpts.device'],
    ['an unknown driver option', { driverOpts: { size: '10G' } }, 'driverOpts.size'],
    [
      'an unknown option beside an allowed bind',
      { driverOpts: { type: 'none', o: 'bind', device: '/tmp', propagation: 'rshared' } },
      'driverOpts.propagation',
    ],
    ['a driver other than local, no options', { driver: 'vieux/sshfs' }, 'driver'],
  ];

  it.each(cases)('refuses %s, naming the field, creating nothing, auditing it', async (what, body, field) => {
    const name = `${P}-v-${cases.findIndex((c) => c[0] === what)}`;
    const before = await engineState();
    const res = await api('POST', '/volumes', operator, { name, ...body });
    tally(`volume: ${what}`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field, res.body).toBe(field);
    expect(res.json().message).toContain(`${field}:`);
    expect(res.body).not.toContain('sec-docker-cifs-pw');
    expect(await engineState()).toBe(before);
    await expectAudited('volume.create', name);
  });

  const links: Array<[string, () => string]> = [
    ['a symlink in the allowed directory pointing to "/"', () => join(allowed, 'escape')],
    ['a sub-path whose parent is a symlink to "/"', () => join(allowed, 'parent', 'etc')],
    ['a relative symlink climbing to /etc', () => join(allowed, 'relative')],
    ['a path that does not exist yet, under a symlink to "/"', () => join(allowed, 'escape', 'sec-docker-missing', 'deeper')],
  ];

  it.each(links)("refuses a bind volume through %s (resolved on the engine's machine)", async (what, device) => {
    const name = `${P}-link-${links.findIndex((c) => c[0] === what)}`;
    const before = await engineState();
    const res = await api('POST', '/volumes', operator, {
      name,
      driver: 'local',
      driverOpts: { type: 'none', o: 'bind', device: device() },
    });
    tally(`volume device through ${what}`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe('driverOpts.device');
    expect(res.json().message).toMatch(/symbolic links/);
    expect(await engineState()).toBe(before);
    await expectAudited('volume.create', name);
  });

  it('still lets her make what the policy allows: a plain volume, a sized tmpfs, a bind inside the allowed directory', async () => {
    for (const [suffix, body] of [
      ['plain', {}],
      ['tmpfs', { driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=1777' } }],
      ['bind', { driver: 'local', driverOpts: { type: 'none', o: 'bind', device: join(allowed, 'real') } }],
    ] as const) {
      const res = await api('POST', '/volumes', operator, { name: `${P}-ok-${suffix}`, ...body });
      expect(res.status, res.body).toBe(201);
    }
  });
});

describe('bind mounts and named volumes in a container, as an operator', () => {
  const cases: Array<[string, () => Record<string, unknown>]> = [
    [
      'bind of a symlink to "/" planted in the allowed directory',
      () => ({ mounts: [{ type: 'bind', source: join(allowed, 'escape'), target: '/host' }] }),
    ],
    [
      'bind of a sub-path whose parent is a symlink to "/"',
      () => ({ mounts: [{ type: 'bind', source: join(allowed, 'parent', 'etc'), target: '/host' }] }),
    ],
    [
      'bind of a missing path under a symlink to "/"',
      () => ({ mounts: [{ type: 'bind', source: join(allowed, 'escape', 'sec-docker-missing'), target: '/host' }] }),
    ],
    ['the admin\'s volume of the host\'s "/"', () => ({ mounts: [{ type: 'volume', source: adminRootVolume, target: '/host' }] })],
  ];

  it.each(cases)('refuses %s', async (what, body) => {
    const name = `${P}-c-${cases.findIndex((c) => c[0] === what)}`;
    const before = await engineState();
    const res = await api('POST', '/containers', operator, { image: lab.dockerImage, name, command: ['sleep', '60'], ...body() });
    tally(`container: ${what}`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe('mounts[0].source');
    expect(await engineState()).toBe(before);
    await expectAudited('container.create', name);
  });

  it('refuses the same in the preview, which creates nothing', async () => {
    const res = await api('POST', '/containers/preview', operator, {
      image: lab.dockerImage,
      mounts: [{ type: 'volume', source: adminRootVolume, target: '/host' }],
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json().refusals.join(' ')).toMatch(/mounts\[0\]\.source: the volume ".*" has driverOpts\.device: binding "\/"/);
  });
});

describe('namespace joins, as an operator', () => {
  const refusedJoins: Array<[string, () => Record<string, unknown>, number, string]> = [
    ["network of the admin's host-network container", () => ({ network: `container:${hostnet}` }), 403, 'network'],
    ['network of a container that itself shares the host network', () => ({ network: `container:${chain}` }), 403, 'network'],
    ["network of the admin's privileged container", () => ({ network: `container:${priv}` }), 403, 'network'],
    ["network of the admin's SYS_ADMIN container", () => ({ network: `container:${powerful}` }), 403, 'network'],
    [
      'pid namespace of the host-network container (not a create setting: refused, not ignored)',
      () => ({ pid: `container:${hostnet}` }),
      400,
      'pid',
    ],
    [
      'ipc namespace of the host-network container (not a create setting: refused, not ignored)',
      () => ({ ipc: `container:${hostnet}` }),
      400,
      'ipc',
    ],
    ["--volumes-from the admin's container (refused, not ignored)", () => ({ volumesFrom: [powerful] }), 400, 'volumesFrom'],
  ];

  it.each(refusedJoins)('refuses joining the %s', async (what, body, status, field) => {
    const name = `${P}-j-${refusedJoins.findIndex((c) => c[0] === what)}`;
    const before = await engineState();
    const res = await api('POST', '/containers', operator, { image: lab.dockerImage, name, command: ['sleep', '60'], ...body() });
    tally(`join: ${what}`, res.status === status);
    expect(res.status, res.body).toBe(status);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toContain(`${field}:`);
    expect(await engineState()).toBe(before);
    await expectAudited('container.create', name);
  });

  it("lets her join an ordinary container's network", async () => {
    const res = await api('POST', '/containers', operator, {
      image: lab.dockerImage,
      name: `${P}-joins-plain`,
      command: ['sleep', '60'],
      network: `container:${plain}`,
    });
    expect(res.status, res.body).toBe(201);
  });
});

describe('exec and attach into containers an operator could not have created', () => {
  const canary = `/tmp/sec-docker-exec-canary-${process.pid}`;
  const ranInside = (container: string) => spawnSync('docker', ['exec', container, 'test', '-e', canary], { timeout: 20_000 }).status === 0;
  const execPath = (container: string) =>
    `/api/hosts/${hostId}/containers/${container}/exec?cmd=${encodeURIComponent(JSON.stringify(['sh', '-c', `touch ${canary}`]))}`;

  it.each([
    ['SYS_ADMIN + host "/"', powerful, /capAdd\[0\]: .*SYS_ADMIN.*mounts\[0\]\.source: binding "\/"/],
    ['host-network', hostnet, /network: using the host's network/],
  ] as const)("refuses an operator's shell in the admin's %s container, and audits it", async (what, container, reason) => {
    const ws = await live.websocket(execPath(container), { cookie: operator });
    const first = await nextEvent(ws, 10_000);
    const refused = first.kind === 'message' && first.data.type === 'error';
    tally(`exec into the admin's ${what} container`, refused);
    expect(first.kind === 'message' ? first.data : first).toMatchObject({ type: 'error' });
    if (first.kind === 'message') expect(first.data.message).toMatch(reason);
    const closed = await nextEvent(ws, 10_000);
    expect(closed.kind).toBe('close');
    expect(ranInside(container)).toBe(false);
    await expectAudited('container.exec.open', container);
  });

  it('lets her open a shell in an ordinary container', async () => {
    const ws = await live.websocket(execPath(plain), { cookie: operator });
    const first = await nextEvent(ws, 10_000);
    expect(first.kind === 'message' ? first.data : first).toMatchObject({ type: 'ready', readOnly: false });
    ws.close();
    for (let i = 0; i < 40 && !ranInside(plain); i++) await new Promise((r) => setTimeout(r, 100));
    expect(ranInside(plain)).toBe(true);
  });

  it("makes attach to the admin's SYS_ADMIN container read-only for her", async () => {
    const ws = await live.websocket(`/api/hosts/${hostId}/containers/${powerful}/attach`, { cookie: operator });
    const events: any[] = [];
    for (let i = 0; i < 2; i++) {
      const e = await nextEvent(ws, 10_000);
      if (e.kind === 'message') events.push(e.data);
    }
    const ready = events.find((e) => e.type === 'ready');
    tally("attach with input to the admin's SYS_ADMIN container", ready?.readOnly === true);
    expect(events.find((e) => e.type === 'error')?.message).toMatch(/Read-only: .*SYS_ADMIN/);
    expect(ready).toMatchObject({ readOnly: true });
    ws.send(JSON.stringify({ type: 'input', data: `touch ${canary}\n` }));
    const answer = await nextEvent(ws, 10_000);
    expect(answer.kind === 'message' ? answer.data : answer).toMatchObject({ type: 'error', message: expect.stringMatching(/Read-only/) });
    ws.close();
    expect(ranInside(powerful)).toBe(false);
  });
});

describe('volume driver options', () => {
  it("never shows a credential kept in a volume's options, to anyone", async () => {
    const name = `${P}-cifs-opts`;
    const secret = `canary-volopt-${process.pid}-91c2`;
    const made = await api('POST', '/volumes', admin, {
      name,
      driverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=1m,username=lab,password=${secret}` },
    });
    expect(made.status, made.body).toBe(201);
    try {
      for (const cookie of [viewer, operator, admin]) {
        const list = await api('GET', '/volumes', cookie);
        const detail = await api('GET', `/volumes/${name}`, cookie);
        expect(list.status).toBe(200);
        expect(detail.status).toBe(200);
        tally('volume options with a password read back through the API', !list.body.includes(secret) && !detail.body.includes(secret));
        expect(list.body).not.toContain(secret);
        expect(detail.body).not.toContain(secret);
        expect(detail.json().volume.options.o).toContain('username=lab');
      }
    } finally {
      await docker
        .getVolume(name)
        .remove({ force: true })
        .catch(() => {});
    }
  });
});

describe('environment values', () => {
  const detail = async (cookie: string) => {
    const res = await api('GET', `/containers/${plain}`, cookie);
    expect(res.status, res.body).toBe(200);
    return res;
  };

  it('shows a viewer the names, never the values, in the detail, inspect and docker run line', async () => {
    const res = await detail(viewer);
    tally('viewer reads container env values', !res.body.includes(ENV_CANARY));
    expect(res.body).not.toContain(ENV_CANARY);
    const d = res.json<ContainerDetail>();
    expect(d.envValuesHidden).toBe(true);
    expect(d.settings.env).toContain('SEC_PASSWORD=[hidden]');
    expect((d.inspect as { Config: { Env: string[] } }).Config.Env).toContain('SEC_MODE=[hidden]');
    expect(d.runCommand).toContain('SEC_PASSWORD=[hidden]');
  });

  it('shows operators the values, marking the ones that look like credentials', async () => {
    const d = (await detail(operator)).json<ContainerDetail>();
    expect(d.envValuesHidden).toBe(false);
    expect(d.settings.env).toContain(`SEC_PASSWORD=${ENV_CANARY}`);
    expect(d.sensitiveEnv).toEqual(['SEC_PASSWORD']);
  });

  it('shows a viewer the values once an admin allows it for this engine, and only an admin can', async () => {
    const current = (await api('GET', '/docker/policy', admin)).json();
    const byOperator = await api('PUT', '/docker/policy', operator, { ...current, viewersSeeEnvValues: true });
    tally('operator allows viewers to read env values', byOperator.status === 403);
    expect(byOperator.status).toBe(403);
    expect((await detail(viewer)).body).not.toContain(ENV_CANARY);

    const put = await api('PUT', '/docker/policy', admin, { ...current, viewersSeeEnvValues: true });
    expect(put.status, put.body).toBe(200);
    const shown = await detail(viewer);
    expect(shown.body).toContain(ENV_CANARY);
    expect(shown.json<ContainerDetail>().envValuesHidden).toBe(false);
    const back = await api('PUT', '/docker/policy', admin, { ...current, viewersSeeEnvValues: false });
    expect(back.status, back.body).toBe(200);
    expect((await detail(viewer)).body).not.toContain(ENV_CANARY);
  });
});

describe('an engine reached over SSH resolves links on its own machine', () => {
  let sshHostId: string;

  beforeAll(async () => {
    const res = await live.request('POST', '/api/hosts', {
      cookie: admin,
      body: {
        name: `${P}-ssh`,
        address: lab.ssh.host,
        port: lab.ssh.port,
        authMethod: 'key',
        privateKey: labPrivateKey(lab),
        dockerMode: 'ssh',
      },
    });
    expect(res.status, res.body).toBe(201);
    sshHostId = res.json().id;
    const tested = await live.request('POST', `/api/hosts/${sshHostId}/test`, { cookie: admin });
    expect(tested.json().ok, tested.body).toBe(true);
    const put = await live.request('PUT', `/api/hosts/${sshHostId}/docker/policy`, {
      cookie: admin,
      body: { allowPrivileged: false, allowHostNamespaces: false, allowDevices: false, allowedCapAdd: [], bindMountAllowList: [allowed] },
    });
    expect(put.status, put.body).toBe(200);
  }, 60_000);

  it.each([
    [
      'volume',
      () =>
        [
          '/volumes',
          { name: `${P}-ssh-v`, driver: 'local', driverOpts: { type: 'none', o: 'bind', device: join(allowed, 'parent', 'etc') } },
        ] as const,
      'driverOpts.device',
      'volume.create',
    ],
    [
      'bind mount',
      () =>
        [
          '/containers',
          { image: lab.dockerImage, name: `${P}-ssh-c`, mounts: [{ type: 'bind', source: join(allowed, 'escape'), target: '/host' }] },
        ] as const,
      'mounts[0].source',
      'container.create',
    ],
  ] as const)('refuses a %s through a symlink to "/" (realpath -m over SSH)', async (what, make, field, action) => {
    const [path, body] = make();
    const before = await engineState();
    const res = await live.request('POST', `/api/hosts/${sshHostId}${path}`, { cookie: operator, body });
    tally(`ssh engine: ${what} through a symlink to /`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toMatch(/symbolic links/);
    expect(await engineState()).toBe(before);
    await expectAudited(action, body.name);
  });
});

describe('secrets baked into images (ENV, ARG defaults, build arguments)', () => {
  const image = `${P}-secrets:1`;
  const built = `${P}-built:1`;
  const PASSWORD = `canary-imgenv-${process.pid}-5e1d`;
  const PLAIN = `canary-plain-${process.pid}-0a9e`;
  const TOKEN = `canary-buildarg-${process.pid}-b7c4`;
  const ARG_DEFAULT = `canary-argdef-${process.pid}-77d1`;
  const BUILD_CANARY = `canary-buildlog-${process.pid}-3c2f`;
  const ref = encodeURIComponent(image);
  let dir: string;
  type ImageDetailBody = {
    history: Array<{ createdBy: string }>;
    inspect: { Config: { Env: string[] }; ContainerConfig?: { Env: string[]; Cmd: string[] } };
  };

  beforeAll(() => {
    // The classic builder, as the engine's API builds: its history has `#(nop)  ENV …` and `|2 K=v …`.
    dir = mkdtempSync(join(tmpdir(), 'sec-docker-image-'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${lab.dockerImage}`,
        `ENV DB_PASSWORD=${PASSWORD} MODE=${PLAIN}`,
        'ARG TOKEN',
        `ARG API_KEY=${ARG_DEFAULT}`,
        'RUN echo built > /built',
      ].join('\n'),
    );
    const r = spawnSync('docker', ['build', '-q', '--build-arg', `TOKEN=${TOKEN}`, '-t', image, dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
  }, 150_000);

  afterAll(() => {
    for (const i of [image, built]) spawnSync('docker', ['rmi', '-f', i], { stdio: 'ignore', timeout: 30_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const detail = async (cookie: string) => {
    const res = await api('GET', `/images/${ref}`, cookie);
    expect(res.status, res.body).toBe(200);
    return res;
  };

  it('shows a viewer the names, never the values, in inspect and in the history', async () => {
    const res = await detail(viewer);
    for (const [what, canary] of [
      ['ENV value', PASSWORD],
      ['plain ENV value', PLAIN],
      ['build argument', TOKEN],
      ['ARG default', ARG_DEFAULT],
    ] as const) {
      tally(`viewer reads an image's ${what}`, !res.body.includes(canary));
      expect(res.body, what).not.toContain(canary);
    }
    const d = res.json<ImageDetailBody>();
    expect(res.json().envValuesHidden).toBe(true);
    expect(d.inspect.Config.Env).toEqual(expect.arrayContaining(['DB_PASSWORD=[hidden]', 'MODE=[hidden]']));
    expect(d.inspect.ContainerConfig?.Env).toEqual(expect.arrayContaining(['DB_PASSWORD=[hidden]']));
    expect(d.inspect.ContainerConfig?.Cmd).toEqual(['|2', 'API_KEY=[hidden]', 'TOKEN=[hidden]', '/bin/sh', '-c', 'echo built > /built']);
    const lines = d.history.map((h) => h.createdBy);
    expect(lines).toContain('/bin/sh -c #(nop)  ENV DB_PASSWORD=[hidden] MODE=[hidden]');
    expect(lines).toContain('|2 API_KEY=[hidden] TOKEN=[hidden] /bin/sh -c echo built > /built');
    expect(lines).toContain('/bin/sh -c #(nop)  ARG TOKEN');
  });

  it('hides values that look like credentials in the history from everyone; operators read Config.Env as in containers', async () => {
    const res = await detail(operator);
    expect(res.json().envValuesHidden).toBe(false);
    const d = res.json<ImageDetailBody>();
    const history = JSON.stringify(d.history) + JSON.stringify(d.inspect.ContainerConfig?.Cmd);
    for (const [what, canary] of [
      ['ENV password', PASSWORD],
      ['build argument TOKEN', TOKEN],
      ['ARG API_KEY default', ARG_DEFAULT],
    ] as const) {
      tally(`operator reads the ${what} in an image's build history`, !history.includes(canary));
      expect(history, what).not.toContain(canary);
    }
    expect(history).toContain(PLAIN);
    expect(history).toContain('DB_PASSWORD=[redacted]');
    expect(d.inspect.Config.Env).toContain(`DB_PASSWORD=${PASSWORD}`);
  });

  it('does not let a viewer download the image (its config holds every value)', async () => {
    const res = await api('GET', `/images/${ref}/export`, viewer);
    tally('viewer downloads an image with environment values (docker save)', res.status === 403);
    expect(res.status).toBe(403);
    expect(res.json().message).toMatch(/environment values/);
    expect(res.body).not.toContain(PASSWORD);
    const byOperator = await api('GET', `/images/${ref}/export`, operator);
    expect(byOperator.status).toBe(200);
    expect(byOperator.body).toContain(PASSWORD);
  });

  it('shows a viewer the values once an admin allows it for this engine, credentials in the history still hidden', async () => {
    const current = (await api('GET', '/docker/policy', admin)).json();
    const put = await api('PUT', '/docker/policy', admin, { ...current, viewersSeeEnvValues: true });
    expect(put.status, put.body).toBe(200);
    try {
      const d = (await detail(viewer)).json<ImageDetailBody>();
      expect(d.inspect.Config.Env).toContain(`MODE=${PLAIN}`);
      expect(JSON.stringify(d.history)).toContain(PLAIN);
      expect(JSON.stringify(d.history)).not.toContain(TOKEN);
      expect((await api('GET', `/images/${ref}/export`, viewer)).status).toBe(200);
    } finally {
      const back = await api('PUT', '/docker/policy', admin, { ...current, viewersSeeEnvValues: false });
      expect(back.status, back.body).toBe(200);
    }
    expect((await detail(viewer)).body).not.toContain(PLAIN);
  });

  it("keeps a Dockerfile's credentials out of the build task's log and params (every role reads tasks)", async () => {
    const res = await live.request('POST', `/api/hosts/${hostId}/images/build?tag=${encodeURIComponent(built)}`, {
      cookie: operator,
      body: `FROM ${lab.dockerImage}\nENV API_TOKEN=${BUILD_CANARY}\nARG DB_PASSWORD=${BUILD_CANARY}\n`,
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status, res.body).toBe(202);
    const id = res.json().id as string;
    let task: any;
    for (let i = 0; i < 120; i++) {
      task = (await live.request('GET', `/api/tasks/${id}`, { cookie: viewer })).json();
      if (task.status !== 'running' && task.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(task.status, JSON.stringify(task)).toBe('ok');
    const seen = JSON.stringify(task) + (await live.request('GET', '/api/tasks', { cookie: viewer })).body;
    tally('viewer reads a Dockerfile ENV/ARG credential in the build task log', !seen.includes(BUILD_CANARY));
    expect(seen).not.toContain(BUILD_CANARY);
    expect(JSON.stringify(task.log)).toMatch(/API_TOKEN=\[redacted\]/);
  });
});

/** Another live Mirador on the same engine, with its own MIRADOR_ENGINE_ROOT, an operator, and the policy allowing `allowList`. */
async function serverWithRoot(engineRoot: string, allowList: string[]) {
  const other = await startLiveServer({ dockerSocket: lab.dockerSocket, engineRoot });
  const adm = await other.test.setupAdmin('admin', 'admin-pass-sec-docker-root');
  const op = await other.test.userSession('operator', 'sec-docker-root-op');
  const hosts = (await other.request('GET', '/api/hosts', { cookie: adm })).json<Array<{ id: string; kind: string }>>();
  const local = hosts.find((h) => h.kind === 'local')!.id;
  const put = await other.request('PUT', `/api/hosts/${local}/docker/policy`, {
    cookie: adm,
    body: { allowPrivileged: false, allowHostNamespaces: false, allowDevices: false, allowedCapAdd: [], bindMountAllowList: allowList },
  });
  expect(put.status, put.body).toBe(200);
  const call = (method: string, path: string, cookie: string, body?: unknown) =>
    other.request(method, `/api/hosts/${local}${path}`, { cookie, body });
  const audited = async (action: string, name: string) => {
    const res = await other.request('GET', `/api/audit?action=${action}&result=error&limit=500`, { cookie: adm });
    expect(
      res.json<AuditPage>().items.some((e) => e.target?.name === name || e.target?.id === name),
      `${action} error record for ${name}`,
    ).toBe(true);
  };
  return { live: other, admin: adm, operator: op, call, audited };
}

describe('a Mirador that cannot see the engine\'s file system (in a container without the host\'s "/")', () => {
  let blind: Awaited<ReturnType<typeof serverWithRoot>>;
  let elsewhere: string;

  beforeAll(async () => {
    // MIRADOR_ENGINE_ROOT pointing at a file system that is not the engine's machine's.
    elsewhere = mkdtempSync(join(tmpdir(), 'sec-docker-not-the-engine-'));
    blind = await serverWithRoot(elsewhere, [allowed]);
  }, 60_000);

  afterAll(async () => {
    await blind?.live.close();
    if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
  });

  it.each([
    [
      'a bind of an allowed directory',
      'container.create',
      'mounts[0].source',
      () =>
        [
          '/containers',
          { image: lab.dockerImage, name: `${P}-blind-c`, mounts: [{ type: 'bind', source: join(allowed, 'real'), target: '/m' }] },
        ] as const,
    ],
    [
      'a bind volume of an allowed directory',
      'volume.create',
      'driverOpts.device',
      () =>
        [
          '/volumes',
          { name: `${P}-blind-v`, driver: 'local', driverOpts: { type: 'none', o: 'bind', device: join(allowed, 'real') } },
        ] as const,
    ],
  ] as const)('refuses an operator %s, saying how to fix it', async (what, action, field, make) => {
    const [path, body] = make();
    const before = await engineState();
    const res = await blind.call('POST', path, blind.operator, body);
    tally(`engine file system not visible: ${what}`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toMatch(/Mirador cannot see the file system of .* MIRADOR_ENGINE_ROOT/);
    expect(await engineState()).toBe(before);
    await blind.audited(action, body.name);
  });

  it('leaves admins and path-free containers alone', async () => {
    const asAdmin = await blind.call('POST', '/containers/preview', blind.admin, {
      image: lab.dockerImage,
      mounts: [{ type: 'bind', source: join(allowed, 'real'), target: '/m' }],
    });
    expect(asAdmin.json().refusals, asAdmin.body).toEqual([]);
    const plainOne = await blind.call('POST', '/containers/preview', blind.operator, {
      image: lab.dockerImage,
      mounts: [{ type: 'volume', source: `${P}-blind-named`, target: '/d' }],
    });
    expect(plainOne.json().refusals, plainOne.body).toEqual([]);
  });
});

describe("MIRADOR_ENGINE_ROOT: links are followed in the engine machine's files, not in Mirador's", () => {
  let mounted: Awaited<ReturnType<typeof serverWithRoot>>;
  /** Stands for the host's "/" mounted at /hostfs: the engine's identity, and a lab directory with a trap. */
  let hostfs: string;
  const labs = `/srv/sec-docker-labs-${process.pid}`;

  beforeAll(async () => {
    hostfs = mkdtempSync(join(tmpdir(), 'sec-docker-hostfs-'));
    const { ID } = await docker.info();
    mkdirSync(join(hostfs, 'etc/docker'), { recursive: true });
    writeFileSync(join(hostfs, 'etc/docker/key.json'), JSON.stringify({ kid: ID }));
    mkdirSync(join(hostfs, 'var/lib/docker'), { recursive: true });
    writeFileSync(join(hostfs, 'var/lib/docker/engine-id'), ID);
    mkdirSync(join(hostfs, labs, 'real'), { recursive: true });
    // Only on "the host": in Mirador's own file system the allowed directory does not even exist.
    symlinkSync('/', join(hostfs, labs, 'x'));
    mounted = await serverWithRoot(hostfs, [labs]);
  }, 60_000);

  afterAll(async () => {
    await mounted?.live.close();
    if (hostfs) rmSync(hostfs, { recursive: true, force: true });
  });

  it.each([
    [
      'a bind of a symlink to "/" that exists only on the host',
      'container.create',
      'mounts[0].source',
      () =>
        [
          '/containers',
          { image: lab.dockerImage, name: `${P}-hostfs-c`, mounts: [{ type: 'bind', source: `${labs}/x`, target: '/host' }] },
        ] as const,
    ],
    [
      'a bind volume under that symlink',
      'volume.create',
      'driverOpts.device',
      () =>
        ['/volumes', { name: `${P}-hostfs-v`, driver: 'local', driverOpts: { type: 'none', o: 'bind', device: `${labs}/x/etc` } }] as const,
    ],
  ] as const)('refuses %s', async (what, action, field, make) => {
    const [path, body] = make();
    const before = await engineState();
    const res = await mounted.call('POST', path, mounted.operator, body);
    tally(`MIRADOR_ENGINE_ROOT: ${what}`, res.status === 403);
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toMatch(/symbolic links/);
    expect(await engineState()).toBe(before);
    await mounted.audited(action, body.name);
  });

  it('still allows a real directory under the allowed one', async () => {
    const res = await mounted.call('POST', '/containers/preview', mounted.operator, {
      image: lab.dockerImage,
      mounts: [{ type: 'bind', source: `${labs}/real`, target: '/m' }],
    });
    expect(res.json().refusals, res.body).toEqual([]);
  });
});
