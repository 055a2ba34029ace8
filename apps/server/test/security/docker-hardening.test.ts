import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '@mirador/contract';
import { readLab } from '../helpers/lab.js';
import { startLiveServer, type LiveServer } from './live.js';
import { recordAttempt } from './tally.js';

/**
 * Issue #13, container hardening options: hostile values for each new field of the create body
 * (seccomp profile, AppArmor name, SELinux label, ulimits, tmpfs flags, cpuset, healthcheck) and
 * the loosened-confinement choices an operator must not make. Each refusal names the field, leaves
 * the engine as it was, and a refused create is audited with result "error".
 */
const AREA = 'docker-hardening';
const lab = readLab();
const docker = new Docker({ socketPath: lab.dockerSocket });
const P = `sec-hard-${process.pid}`;

let live: LiveServer;
let admin: string;
let operator: string;
let hostId: string;

const api = (method: string, path: string, cookie: string, body?: unknown) =>
  live.request(method, `/api/hosts/${hostId}${path}`, { cookie, body });

async function engineState(): Promise<string> {
  return JSON.stringify((await docker.listContainers({ all: true })).map((c) => c.Names[0]).sort());
}

beforeAll(async () => {
  live = await startLiveServer({ dockerSocket: lab.dockerSocket });
  admin = await live.test.setupAdmin('admin', 'admin-pass-sec-hard');
  operator = await live.test.userSession('operator', 'sec-hard-operator');
  const hosts = (await live.request('GET', '/api/hosts', { cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
}, 120_000);

afterAll(async () => {
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.startsWith(`/${P}`)))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
  }
  await live?.close();
}, 60_000);

const ncpu = async (): Promise<number> => ((await docker.info()) as { NCPU: number }).NCPU;

describe('hostile hardening values (admin or not: they never reach the engine)', () => {
  const cases: Array<[string, Record<string, unknown> | (() => Promise<Record<string, unknown>>), string]> = [
    ['a seccomp profile that is not JSON', { seccomp: 'custom', seccompProfile: '{"defaultAction": SCMP_ACT_ALLOW' }, 'seccompProfile'],
    ['a seccomp "profile" that is a host path', { seccomp: 'custom', seccompProfile: '/etc/docker/seccomp.json' }, 'seccompProfile'],
    ['a seccomp profile without defaultAction', { seccomp: 'custom', seccompProfile: '{"syscalls":[]}' }, 'seccompProfile'],
    [
      'a seccomp profile over the size cap',
      { seccomp: 'custom', seccompProfile: JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', pad: 'x'.repeat(140 * 1024) }) },
      'seccompProfile',
    ],
    ['a seccomp profile without "custom"', { seccompProfile: '{"defaultAction":"SCMP_ACT_ALLOW"}' }, 'seccompProfile'],
    ['an AppArmor name with "/"', { apparmor: '/usr/sbin/tcpdump' }, 'apparmor'],
    ['an AppArmor name with ".."', { apparmor: 'docker..default' }, 'apparmor'],
    ['an AppArmor name smuggling a second option', { apparmor: 'docker-default,seccomp=unconfined' }, 'apparmor'],
    ['an SELinux type smuggling disable', { selinux: { type: 'svirt_t,label=disable' } }, 'selinux.type'],
    ['an SELinux level with a shell character', { selinux: { level: 's0:c1;id' } }, 'selinux.level'],
    ['an unknown ulimit name', { ulimits: ['nofiles=1024'] }, 'ulimits[0]'],
    ['a ulimit with a flag after it', { ulimits: ['nofile=1024 --privileged'] }, 'ulimits[0]'],
    ['a negative ulimit', { ulimits: ['nproc=-1'] }, 'ulimits[0]'],
    ['a ulimit soft above hard', { ulimits: ['nofile=4096:1024'] }, 'ulimits[0]'],
    ['a tmpfs flag carrying uid=0', { mounts: [{ type: 'tmpfs', target: '/tmp', options: ['exec,uid=0'] }] }, 'mounts[0].options[0]'],
    ['a tmpfs flag carrying a size', { mounts: [{ type: 'tmpfs', target: '/tmp', options: ['size=100g'] }] }, 'mounts[0].options[0]'],
    ['a tmpfs mode that is not octal', { mounts: [{ type: 'tmpfs', target: '/tmp', mode: '9999' }] }, 'mounts[0].mode'],
    ["a cpuset beyond the engine's CPUs", async () => ({ cpusetCpus: `0-${await ncpu()}` }), 'cpusetCpus'],
    ['a cpuset with a shell character', { cpusetCpus: '0;reboot' }, 'cpusetCpus'],
    ['a blkio weight out of range', { blkioWeight: 5000 }, 'blkioWeight'],
    ['a health interval that is not a duration', { healthcheck: { cmd: 'true', interval: '1 week' } }, 'healthcheck.interval'],
    ['a health command with a NUL byte', { healthcheck: { cmd: 'true\u0000rm -rf /' } }, 'healthcheck.cmd'],
    ['a raw securityOpt list', { securityOpt: ['seccomp=unconfined'] }, 'securityOpt'],
  ];

  it.each(cases)('refuses %s, naming the field, creating nothing', async (what, extra, field) => {
    const body = { image: lab.dockerImage, name: `${P}-bad`, ...(typeof extra === 'function' ? await extra() : extra) };
    const before = await engineState();
    for (const cookie of [operator, admin]) {
      const res = await api('POST', '/containers', cookie, body);
      const preview = await api('POST', '/containers/preview', cookie, body);
      const refused = res.status === 400 && preview.status === 400;
      recordAttempt(AREA, `${cookie === admin ? 'admin' : 'operator'}: ${what}`, refused ? 'refused' : 'got-through');
      expect(res.status, res.body).toBe(400);
      expect(preview.status, preview.body).toBe(400);
      // Schema (coarse gate: `mounts.0.…` for a union) or @mirador/docker (fine gate: the exact path): the field is named.
      expect(`${res.json().field ?? ''} ${res.json().message}`).toContain(field.split(/[.[]/)[0]);
    }
    expect(await engineState()).toBe(before);
  });
});

describe('loosened confinement, as an operator under the default policy', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['seccomp=unconfined', { seccomp: 'unconfined' }, 'seccomp'],
    [
      'a seccomp profile that allows everything',
      { seccomp: 'custom', seccompProfile: '{"defaultAction":"SCMP_ACT_ALLOW"}' },
      'seccompProfile',
    ],
    ['apparmor=unconfined', { apparmor: 'unconfined' }, 'apparmor'],
    ['another AppArmor profile', { apparmor: 'lab-anything' }, 'apparmor'],
    ['label=disable', { selinux: { disable: true } }, 'selinux'],
    ['label=type:spc_t (the unconfined container type)', { selinux: { type: 'spc_t' } }, 'selinux'],
    ['--userns host', { userns: 'host' }, 'userns'],
  ];

  it.each(cases)('refuses %s with a 403 naming the field, creating nothing, auditing it', async (what, extra, field) => {
    const name = `${P}-loose-${cases.findIndex((c) => c[0] === what)}`;
    const before = await engineState();
    const res = await api('POST', '/containers', operator, { image: lab.dockerImage, name, command: ['sleep', '60'], ...extra });
    recordAttempt(AREA, `operator: ${what}`, res.status === 403 ? 'refused' : 'got-through');
    expect(res.status, res.body).toBe(403);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toContain(`${field}:`);
    expect(await engineState()).toBe(before);
    const audit = await live.request('GET', '/api/audit?action=container.create&result=error&limit=500', { cookie: admin });
    expect(audit.json<AuditPage>().items.some((e) => e.target?.name === name || e.target?.id === name)).toBe(true);
  });
});
