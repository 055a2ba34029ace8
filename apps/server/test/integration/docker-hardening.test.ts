import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerDetail, CreateContainerBody, CreateContainerPreview, CreateContainerResult, DockerPolicy } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';

/**
 * The hardening options of the run form against the lab's real dockerd: created with every option
 * (the engine's inspect shows them), kept by a recreate, a healthcheck reported with its probes, and
 * the engine policy refusing a non-admin's loosened confinement before anything is created.
 */
const lab = readLab();
const RUN = `mh${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const inspectOf = (ref: string) => JSON.parse(docker('inspect', ref))[0] as Record<string, any>;

let t: TestApp;
let admin: string;
let olga: string;
let hostId: string;

const PROFILE = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] };

const hardened = (): CreateContainerBody => ({
  image: lab.dockerImage,
  name: `${RUN}-hard`,
  // PID 1 ignores SIGTERM unless it traps it: the trap keeps the recreate's stop short.
  command: ['sh', '-c', 'trap "exit 0" TERM; touch /tmp/f; chmod 600 /tmp/f || echo chmod-refused; sleep 600 & wait'],
  readOnlyRootfs: true,
  noNewPrivileges: true,
  mounts: [{ type: 'tmpfs', target: '/tmp', size: '16m', options: ['noexec', 'nosuid'] }],
  seccomp: 'custom',
  seccompProfile: JSON.stringify(PROFILE),
  selinux: { level: 's0:c100,c200' },
  pidsLimit: 64,
  ulimits: ['nofile=512:1024'],
  cpusetCpus: '0',
  blkioWeight: 300,
  healthcheck: { cmd: 'test -e /tmp/f', interval: '1s', timeout: '2s', retries: 2 },
});

async function detail(ref: string): Promise<ContainerDetail> {
  const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${ref}`, cookie: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ContainerDetail>();
}

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  olga = await t.userSession('operator', 'olga');
});

afterAll(async () => {
  for (const name of docker('ps', '-aq', '--filter', `name=${RUN}-`).split('\n').filter(Boolean)) {
    try {
      docker('rm', '-f', name);
    } catch {
      /* already gone */
    }
  }
  await t?.close();
});

describe('hardening options on the local engine', () => {
  it('creates with every option, the engine shows them, the healthcheck and its probes are served, a recreate keeps them', async () => {
    const res = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/containers`, cookie: admin, payload: hardened() });
    expect(res.statusCode, res.body).toBe(201);
    const made = res.json<CreateContainerResult>();
    expect(made.command).toContain('--security-opt seccomp=seccomp-profile.json');
    expect(made.command).toContain('--health-cmd');

    const check = (info: Record<string, any>) => {
      const h = info.HostConfig;
      expect(h.SecurityOpt).toEqual(['no-new-privileges:true', `seccomp=${JSON.stringify(PROFILE)}`, 'label=level:s0:c100,c200']);
      expect(h.ReadonlyRootfs).toBe(true);
      expect(h.Tmpfs).toEqual({ '/tmp': 'noexec,nosuid,size=16777216' });
      expect(h.PidsLimit).toBe(64);
      expect(h.Ulimits).toEqual([{ Name: 'nofile', Soft: 512, Hard: 1024 }]);
      expect(h.CpusetCpus).toBe('0');
      expect(info.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -e /tmp/f'], Interval: 1e9, Timeout: 2e9, Retries: 2 });
    };
    const first = inspectOf(made.id);
    check(first);
    // cgroup v1 kernels without the blkio weight discard it: then Mirador says so instead of staying silent.
    if (!first.HostConfig.BlkioWeight) expect(made.warnings.join('\n')).toMatch(/^blkioWeight: .*discarded/m);
    else expect(first.HostConfig.BlkioWeight).toBe(300);

    // The custom seccomp profile is in force: chmod is refused inside.
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('chmod-refused'); i++) {
      logs = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/containers/${made.id}/logs`, cookie: admin })).body;
      if (!logs.includes('chmod-refused')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toContain('chmod-refused');

    // Healthy within a few probes, with the probes' times and exit codes.
    let d = await detail(made.id);
    for (let i = 0; i < 60 && d.health?.status !== 'healthy'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      d = await detail(made.id);
    }
    expect(d.health?.status).toBe('healthy');
    expect(d.health?.test).toEqual(['CMD-SHELL', 'test -e /tmp/f']);
    expect(d.health!.log.length).toBeGreaterThan(0);
    expect(d.health!.log[0]).toMatchObject({ exitCode: 0 });
    expect(Date.parse(d.health!.log[0]!.start)).toBeGreaterThan(Date.now() - 120_000);
    // `--cgroupns host` is what a cgroup v1 engine gives every container; nothing of ours is dropped.
    expect(d.droppedSettings.filter((x) => x !== '--cgroupns host')).toEqual([]);
    const { start: _start, ...settings } = d.settings;
    const { blkioWeight: _weight, ...kept } = hardened();
    expect(settings).toMatchObject(first.HostConfig.BlkioWeight ? hardened() : kept);
    expect(d.runCommand).toContain('--ulimit nofile=512:1024');

    // Recreate from the settings read back: the new container has the same options.
    const again = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/containers/${RUN}-hard/recreate`,
      cookie: admin,
      payload: d.settings,
    });
    expect(again.statusCode, again.body).toBe(200);
    const second = again.json<CreateContainerResult>();
    expect(second.id).not.toBe(made.id);
    expect(second.warnings.filter((w) => w.startsWith('Not carried over') && !w.endsWith('--cgroupns host'))).toEqual([]);
    check(inspectOf(second.id));
  });

  it('refuses a cpuset naming CPUs the engine does not have, naming the field and the count', async () => {
    const ncpu = Number(docker('info', '--format', '{{.NCPU}}'));
    const body = { image: lab.dockerImage, name: `${RUN}-cpus`, cpusetCpus: `0-${ncpu}` };
    for (const url of [`/api/hosts/${hostId}/containers/preview`, `/api/hosts/${hostId}/containers`]) {
      const res = await t.call({ method: 'POST', url, cookie: admin, payload: body });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ field: 'cpusetCpus' });
      expect(res.json().message).toContain(`${ncpu} CPU`);
    }
    expect(() => docker('inspect', `${RUN}-cpus`)).toThrow();
  });

  it("refuses a non-admin's unconfined seccomp, AppArmor, label=disable and --userns host with a 403 naming the field; the policy can allow confinement", async () => {
    const cases: Array<[Partial<CreateContainerBody>, string]> = [
      [{ seccomp: 'unconfined' }, 'seccomp'],
      [{ seccomp: 'custom', seccompProfile: JSON.stringify(PROFILE) }, 'seccompProfile'],
      [{ apparmor: 'unconfined' }, 'apparmor'],
      [{ selinux: { disable: true } }, 'selinux'],
      [{ userns: 'host' }, 'userns'],
    ];
    for (const [extra, field] of cases) {
      const res = await t.call({
        method: 'POST',
        url: `/api/hosts/${hostId}/containers`,
        cookie: olga,
        payload: { image: lab.dockerImage, name: `${RUN}-olga`, command: ['sleep', '60'], ...extra },
      });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().field).toBe(field);
      expect(res.json().message).toContain(`${field}:`);
      expect(() => docker('inspect', `${RUN}-olga`)).toThrow();
    }

    const policy = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/docker/policy`, cookie: admin });
    const put = await t.call({
      method: 'PUT',
      url: `/api/hosts/${hostId}/docker/policy`,
      cookie: admin,
      payload: { ...policy.json<DockerPolicy>(), allowUnconfined: true },
    });
    expect(put.statusCode, put.body).toBe(200);
    try {
      const preview = async (extra: Partial<CreateContainerBody>) =>
        (
          await t.call({
            method: 'POST',
            url: `/api/hosts/${hostId}/containers/preview`,
            cookie: olga,
            payload: { image: lab.dockerImage, ...extra },
          })
        ).json<CreateContainerPreview>();
      expect((await preview({ seccomp: 'unconfined', selinux: { disable: true } })).refusals).toEqual([]);
      expect((await preview({ userns: 'host' })).refusals[0]).toMatch(/^userns:/);
    } finally {
      await t.call({ method: 'PUT', url: `/api/hosts/${hostId}/docker/policy`, cookie: admin, payload: policy.json() });
    }
  });
});
