import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AuditEntry,
  AuditPage,
  CreateContainerResult,
  NetworkDetail,
  NetworkList,
  NetworkSummary,
  PruneResult,
  VolumeDetail,
  VolumeList,
  VolumeSummary,
} from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';

/**
 * Volumes and networks against the lab's real dockerd, through the real server: driver options
 * as seen from inside a container, in-use refusals, prune preview vs prune, the volume policy for
 * non-admins, icc=false isolation proven with ping, membership with IPs, and the audit trail.
 */
const lab = readLab();
const RUN = `mr${process.pid}`;
/** The two containers of the network tests. */
const a = `${RUN}-a`;
const b = `${RUN}-b`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const dockerOk = (...args: string[]) => spawnSync('docker', args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
const volumeExists = (name: string) => dockerOk('volume', 'inspect', name);
const networkExists = (name: string) => dockerOk('network', 'inspect', name);

let t: TestApp;
let admin: string;
let olga: string;
let hostId: string;
const containers: string[] = [];
const volumes: string[] = [];
const networks: string[] = [];

function api(method: 'GET' | 'POST' | 'DELETE', path: string, payload?: object, cookie = admin) {
  return t.call({ method, url: `/api/hosts/${hostId}${path}`, cookie, ...(payload !== undefined ? { payload } : {}) });
}

async function auditOf(action: string): Promise<AuditEntry[]> {
  const res = await t.call({ method: 'GET', url: `/api/audit?action=${encodeURIComponent(action)}&limit=500`, cookie: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AuditPage>().items;
}

/** A busybox container that sleeps, made with the CLI (the containers API has its own tests). */
function sleeper(name: string, ...args: string[]) {
  docker('run', '-d', '--label', 'mirador.test=1', '--name', name, ...args, lab.dockerImage, 'sleep', '600');
  containers.push(name);
}

/** A /24 in 10.199.0.0/16 that no network of the engine uses. */
function freeSubnet(): { subnet: string; gateway: string; prefix: string } {
  const used = docker(
    'network',
    'inspect',
    '-f',
    '{{range .IPAM.Config}}{{.Subnet}} {{end}}',
    ...docker('network', 'ls', '-q').split('\n'),
  );
  for (let n = (process.pid % 200) + 20; n < 255; n++) {
    const prefix = `10.199.${n}.`;
    if (!used.includes(prefix)) return { subnet: `${prefix}0/24`, gateway: `${prefix}1`, prefix };
  }
  throw new Error(`no free 10.199.x.0/24 among: ${used}`);
}

/** The IPv4 of CONTAINER on NETWORK, as the engine sees it. */
const ipOn = (container: string, network: string) =>
  docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
const ping = (from: string, ip: string) =>
  spawnSync('docker', ['exec', from, 'ping', '-c', '1', '-W', '1', ip], { encoding: 'utf8', timeout: 20_000 });

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  expect(hostId).toBeTruthy();
  olga = await t.userSession('operator', 'olga');
});

afterAll(async () => {
  const quiet = (...args: string[]) => spawnSync('docker', args, { stdio: 'ignore', timeout: 30_000 });
  for (const c of containers) quiet('rm', '-f', c);
  for (const v of volumes) quiet('volume', 'rm', '-f', v);
  for (const n of networks) quiet('network', 'rm', n);
  await t?.close();
});

describe('volumes', () => {
  const vol = `${RUN}-vol`;

  it('creates a tmpfs volume with labels and driver options, refuses a duplicate', async () => {
    const body = {
      name: vol,
      driver: 'local',
      driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' },
      labels: { 'lab.course': 'net101', 'mirador.run': RUN },
    };
    const res = await api('POST', '/volumes', body);
    expect(res.statusCode, res.body).toBe(201);
    volumes.push(vol);
    expect(res.json<VolumeSummary>()).toMatchObject({
      name: vol,
      driver: 'local',
      labels: body.labels,
      options: body.driverOpts,
      containers: [],
      anonymous: false,
    });
    expect(JSON.parse(docker('volume', 'inspect', '-f', '{{json .Options}}', vol))).toEqual(body.driverOpts);
    expect(docker('volume', 'inspect', '-f', '{{index .Labels "lab.course"}}', vol)).toBe('net101');

    const dup = await api('POST', '/volumes', { name: vol });
    expect(dup.statusCode, dup.body).toBe(409);
    expect(dup.json()).toMatchObject({ field: 'name', code: 'conflict' });
    expect(dup.json().message).toContain(vol);
    // The duplicate changed nothing.
    expect(JSON.parse(docker('volume', 'inspect', '-f', '{{json .Options}}', vol))).toEqual(body.driverOpts);
  });

  it('lists the containers using it, shows the detail, refuses removal while in use', async () => {
    const name = `${RUN}-vuser`;
    const res = await api('POST', '/containers', {
      image: lab.dockerImage,
      name,
      command: ['sh', '-c', 'grep " /data " /proc/mounts; sleep 600'],
      mounts: [{ type: 'volume', source: vol, target: '/data' }],
    });
    expect(res.statusCode, res.body).toBe(201);
    containers.push(res.json<CreateContainerResult>().id);
    // The driver options took effect: a 1 MiB tmpfs inside the container.
    let mounts = '';
    for (let i = 0; i < 50 && !mounts.includes('/data'); i++) {
      mounts = docker('logs', name);
      if (!mounts.includes('/data')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(mounts).toMatch(/^tmpfs \/data tmpfs \S*size=1024k/);

    const list = await api('GET', '/volumes');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json<VolumeList>().items.find((v) => v.name === vol)?.containers).toEqual([name]);

    const detail = await api('GET', `/volumes/${vol}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const d = detail.json<VolumeDetail>();
    expect(d.volume.containers).toEqual([name]);
    expect(d.volume.mountpoint).toMatch(new RegExp(`/volumes/${vol}/_data$`));
    expect(d.inspect).toMatchObject({ Name: vol, Driver: 'local', Options: { o: 'size=1m' }, Labels: { 'mirador.run': RUN } });
    expect((await api('GET', `/volumes/${RUN}-nosuch`)).statusCode).toBe(404);

    const rm = await api('DELETE', `/volumes/${vol}`);
    expect(rm.statusCode, rm.body).toBe(409);
    expect(rm.json().message).toMatch(/volume is in use/);
    expect(volumeExists(vol)).toBe(true);
  });

  it('prunes exactly the unused anonymous volumes the preview lists, never named ones', async () => {
    // An anonymous volume left behind by a removed container, and a named one nobody uses.
    docker('create', '--label', 'mirador.test=1', '--name', `${RUN}-anon`, '-v', '/scratch', lab.dockerImage, 'true');
    const anon = docker('inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', `${RUN}-anon`);
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    volumes.push(anon);
    docker('rm', `${RUN}-anon`);
    const keep = `${RUN}-keep`;
    expect((await api('POST', '/volumes', { name: keep, labels: { 'mirador.run': RUN } })).statusCode).toBe(201);
    volumes.push(keep);
    // The inventory follows the engine's events; wait until it saw the container go.
    let preview: PruneResult = { items: [], reclaimedBytes: 0, command: '' };
    for (let i = 0; i < 50 && !preview.items.some((x) => x.id === anon); i++) {
      const res = await api('GET', '/volumes/prune');
      expect(res.statusCode, res.body).toBe(200);
      preview = res.json<PruneResult>();
      if (!preview.items.some((x) => x.id === anon)) await new Promise((r) => setTimeout(r, 100));
    }
    const previewed = preview.items.map((x) => x.id);
    expect(previewed).toContain(anon);
    expect(previewed).not.toContain(keep);
    expect(previewed).not.toContain(vol);
    expect(preview.command).toBe('docker volume prune -f');
    expect(volumeExists(anon)).toBe(true); // a preview deletes nothing

    const pruned = await api('POST', '/volumes/prune');
    expect(pruned.statusCode, pruned.body).toBe(200);
    expect(
      pruned
        .json<PruneResult>()
        .items.map((x) => x.id)
        .sort(),
    ).toEqual([...previewed].sort());
    expect(volumeExists(anon)).toBe(false);
    expect(volumeExists(keep)).toBe(true);
    expect(volumeExists(vol)).toBe(true);
    expect((await api('GET', '/volumes')).json<VolumeList>().items.some((v) => v.name === anon)).toBe(false);
  });

  it("refuses an operator's local volume that binds the host's /, allows her plain ones", async () => {
    const evil = { name: `${RUN}-evil`, driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/' } };
    const refused = await api('POST', '/volumes', evil, olga);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().message).toMatch(/driverOpts\.device/);
    expect(refused.json().message).toMatch(/"\/"/);
    expect(volumeExists(evil.name)).toBe(false);
    // Spelled as o=rbind only: the same refusal.
    const rbind = await api('POST', '/volumes', { ...evil, driverOpts: { o: 'rbind', device: '/etc' } }, olga);
    expect(rbind.statusCode, rbind.body).toBe(403);
    expect(volumeExists(evil.name)).toBe(false);

    const plain = await api('POST', '/volumes', { name: `${RUN}-olga` }, olga);
    expect(plain.statusCode, plain.body).toBe(201);
    volumes.push(`${RUN}-olga`);
    const rm = await api('DELETE', `/volumes/${RUN}-olga`, undefined, olga);
    expect(rm.statusCode, rm.body).toBe(200);
    expect(volumeExists(`${RUN}-olga`)).toBe(false);
  });

  it('removes the volume once its container is gone', async () => {
    docker('rm', '-f', `${RUN}-vuser`);
    const rm = await api('DELETE', `/volumes/${vol}`);
    expect(rm.statusCode, rm.body).toBe(200);
    expect(rm.json().command).toBe(`docker volume rm ${vol}`);
    expect(volumeExists(vol)).toBe(false);
    expect((await api('GET', '/volumes')).json<VolumeList>().items.some((v) => v.name === vol)).toBe(false);
    const again = await api('DELETE', `/volumes/${vol}`);
    expect(again.statusCode).toBe(404);
  });
});

describe('networks', () => {
  const iso = `${RUN}-iso`;
  const open = `${RUN}-open`;
  let net: { subnet: string; gateway: string; prefix: string };

  it('creates a bridge with subnet, gateway and icc off', async () => {
    net = freeSubnet();
    const res = await api('POST', '/networks', {
      name: iso,
      subnet: net.subnet,
      gateway: net.gateway,
      icc: false,
      labels: { 'mirador.run': RUN },
    });
    expect(res.statusCode, res.body).toBe(201);
    networks.push(iso);
    expect(res.json<NetworkSummary>()).toMatchObject({
      name: iso,
      driver: 'bridge',
      icc: false,
      internal: false,
      builtin: false,
      subnets: [{ subnet: net.subnet, gateway: net.gateway }],
      containers: [],
      labels: { 'mirador.run': RUN },
    });
    expect(docker('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.enable_icc"}}', iso)).toBe('false');
    expect(docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', iso)).toBe(
      `${net.subnet} ${net.gateway}`,
    );
    const dup = await api('POST', '/networks', { name: iso });
    expect(dup.statusCode, dup.body).toBe(409);
  });

  it('connects two containers that cannot reach each other, listed with their IPs', async () => {
    sleeper(a);
    sleeper(b);
    for (const c of [a, b]) {
      const res = await api('POST', `/networks/${iso}/connect`, { container: c });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<NetworkSummary>().containers.map((m) => m.name)).toContain(c);
    }
    const ipA = ipOn(a, iso);
    const ipB = ipOn(b, iso);
    expect(ipB.startsWith(net.prefix)).toBe(true);
    const listed = (await api('GET', '/networks')).json<NetworkList>().items.find((n) => n.name === iso)!;
    expect(listed.containers.map((m) => [m.name, m.ipv4]).sort()).toEqual(
      [
        [a, ipA],
        [b, ipB],
      ].sort(),
    );
    const detail = (await api('GET', `/networks/${iso}`)).json<NetworkDetail>();
    expect(detail.network.icc).toBe(false);
    expect(detail.inspect).toMatchObject({ Name: iso, Options: { 'com.docker.network.bridge.enable_icc': 'false' } });

    // icc=false: the bridge drops traffic between its containers (the gateway still answers).
    const blocked = ping(a, ipB);
    expect(blocked.status, blocked.stdout + blocked.stderr).toBe(1);
    expect(blocked.stdout).toContain('100% packet loss');
    expect(ping(a, net.gateway).status).toBe(0);
  });

  it('lets the same containers talk on a network with icc on', async () => {
    const res = await api('POST', '/networks', { name: open, labels: { 'mirador.run': RUN } });
    expect(res.statusCode, res.body).toBe(201);
    networks.push(open);
    expect(res.json<NetworkSummary>().icc).toBe(true);
    expect(docker('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.enable_icc"}}', open)).not.toBe('false');
    for (const c of [a, b])
      expect((await api('POST', `/networks/${open}/connect`, { container: c, aliases: [`${c}-alias`] })).statusCode).toBe(200);
    const ok = ping(a, ipOn(b, open));
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    // Aliases resolve through the network's DNS.
    const byAlias = spawnSync('docker', ['exec', a, 'ping', '-c', '1', '-W', '1', `${b}-alias`], { encoding: 'utf8', timeout: 20_000 });
    expect(byAlias.status, byAlias.stdout + byAlias.stderr).toBe(0);
  });

  it('disconnects, refuses removing a network in use, removes it when empty', async () => {
    const res = await api('POST', `/networks/${iso}/disconnect`, { container: a });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<NetworkSummary>().containers.map((m) => m.name)).toEqual([b]);
    expect(docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', a)).not.toContain(iso);

    const busy = await api('DELETE', `/networks/${iso}`);
    expect(busy.statusCode, busy.body).toBe(409);
    expect(busy.json().message).toMatch(/active endpoints/);
    expect(networkExists(iso)).toBe(true);

    expect((await api('POST', `/networks/${iso}/disconnect`, { container: b, force: true })).statusCode).toBe(200);
    const rm = await api('DELETE', `/networks/${iso}`);
    expect(rm.statusCode, rm.body).toBe(200);
    expect(rm.json().command).toBe(`docker network rm ${iso}`);
    expect(networkExists(iso)).toBe(false);
    expect((await api('GET', `/networks/${iso}`)).statusCode).toBe(404);
    expect((await api('GET', '/networks')).json<NetworkList>().items.some((n) => n.name === iso)).toBe(false);
  });

  it("refuses removing the engine's own networks", async () => {
    for (const name of ['bridge', 'host', 'none']) {
      const res = await api('DELETE', `/networks/${name}`);
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().message).toContain(`"${name}"`);
      expect(networkExists(name)).toBe(true);
    }
    const bridge = (await api('GET', '/networks')).json<NetworkList>().items.find((n) => n.name === 'bridge');
    expect(bridge?.builtin).toBe(true);
  });

  it('refuses bad subnets, gateways, names and container refs with 400 naming the field', async () => {
    const cases: Array<[string, () => ReturnType<typeof api>, string]> = [
      ['subnet /33', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: '10.198.0.0/33' }), 'subnet'],
      ['subnet octet 300', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: '300.1.2.0/24' }), 'subnet'],
      ['subnet without prefix', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: '10.198.0.0' }), 'subnet'],
      ['subnet IPv6', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: 'fd00::/64' }), 'subnet'],
      ['subnet injection', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: '10.198.0.0/24 --opt x' }), 'subnet'],
      ['gateway without subnet', () => api('POST', '/networks', { name: `${RUN}-bad`, gateway: '10.198.0.1' }), 'gateway'],
      ['gateway not an IP', () => api('POST', '/networks', { name: `${RUN}-bad`, subnet: '10.198.0.0/24', gateway: 'router' }), 'gateway'],
      ['name with ;', () => api('POST', '/networks', { name: `${RUN};id` }), 'name'],
      ['container with $', () => api('POST', '/networks/bridge/connect', { container: '$(id)' }), 'container'],
    ];
    for (const [what, call, field] of cases) {
      const res = await call();
      expect(res.statusCode, `${what} → ${res.body}`).toBe(400);
      expect(res.json().field, `${what} → ${res.body}`).toBe(field);
    }
    expect(docker('network', 'ls', '-q', '--filter', `name=${RUN}-bad`)).toBe('');
  });
});

describe('audit trail', () => {
  it('records every mutating call, failed ones with result error', async () => {
    const count = async (action: string) => {
      const items = await auditOf(action);
      return { ok: items.filter((e) => e.result === 'ok').length, error: items.filter((e) => e.result === 'error').length, items };
    };
    // Volumes: 4 created (vol, keep, olga's; duplicate + 2 refused = 3 errors), removed olga's and vol (+ in use, + missing).
    const vc = await count('volume.create');
    expect({ ok: vc.ok, error: vc.error }).toEqual({ ok: 3, error: 3 });
    expect(vc.items.find((e) => e.statusCode === 403)).toMatchObject({
      actor: { name: 'olga' },
      target: { type: 'volume', name: `${RUN}-evil` },
    });
    expect(vc.items.find((e) => e.statusCode === 409)?.errorMessage).toMatch(/exists already/);
    const vr = await count('volume.remove');
    expect({ ok: vr.ok, error: vr.error }).toEqual({ ok: 2, error: 2 });
    expect(vr.items.find((e) => e.statusCode === 409)?.errorMessage).toMatch(/in use/);
    const vp = await count('volume.prune');
    expect({ ok: vp.ok, error: vp.error }).toEqual({ ok: 1, error: 0 });

    // Networks: iso + open created, duplicate and 8 bad bodies refused.
    const nc = await count('network.create');
    expect({ ok: nc.ok, error: nc.error }).toEqual({ ok: 2, error: 9 });
    const ncon = await count('network.connect');
    expect({ ok: ncon.ok, error: ncon.error }).toEqual({ ok: 4, error: 1 });
    expect(
      ncon.items
        .filter((e) => e.result === 'ok')
        .map((e) => (e.params as { container: string }).container)
        .sort(),
    ).toEqual([a, a, b, b]);
    const nd = await count('network.disconnect');
    expect({ ok: nd.ok, error: nd.error }).toEqual({ ok: 2, error: 0 });
    const nr = await count('network.remove');
    expect({ ok: nr.ok, error: nr.error }).toEqual({ ok: 1, error: 4 });
    expect(nr.items.filter((e) => e.result === 'error').every((e) => e.statusCode === 409 && (e.errorMessage ?? '').length > 10)).toBe(
      true,
    );
    // Every record names the host it happened on.
    for (const e of [...vc.items, ...vr.items, ...nc.items, ...nr.items]) if (e.result === 'ok') expect(e.target.hostId).toBe(hostId);
  });
});
