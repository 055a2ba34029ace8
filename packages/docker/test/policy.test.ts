import type { CreateContainerBody, DockerPolicy } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import {
  checkContainerPolicy,
  checkPolicy,
  checkVolumePolicy,
  containerJoins,
  hideEnvValues,
  sensitiveEnvNames,
  validateCreateBody,
  volumeBindDevice,
} from '../src/index.js';

const closed: DockerPolicy = {
  allowPrivileged: false,
  allowHostNamespaces: false,
  allowDevices: false,
  allowedCapAdd: [],
  bindMountAllowList: [],
};
const open: DockerPolicy = {
  allowPrivileged: true,
  allowHostNamespaces: true,
  allowDevices: true,
  allowedCapAdd: ['NET_ADMIN', 'SYS_ADMIN'],
  bindMountAllowList: ['/'],
};
const user = { isAdmin: false };
const admin = { isAdmin: true };
const bind = (source: string, readOnly = false): CreateContainerBody => ({
  image: 'x',
  mounts: [{ type: 'bind', source, target: '/m', readOnly }],
});

describe('checkPolicy', () => {
  it('lets anyone run a plain container', () => {
    expect(
      checkPolicy(
        {
          image: 'alpine',
          capDrop: ['ALL'],
          mounts: [
            { type: 'volume', source: 'd', target: '/d' },
            { type: 'tmpfs', target: '/t' },
          ],
        },
        closed,
        user,
      ),
    ).toEqual({ refusals: [], warnings: [] });
  });

  it('refuses a non-admin a bind of "/" even when the allow-list has "/"', () => {
    const r = checkPolicy(bind('/'), open, user);
    expect(r.refusals).toEqual(['mounts[0].source: binding "/" into a container needs an administrator.']);
    expect(r.warnings).toHaveLength(1);
    expect(checkPolicy(bind('//'), open, user).refusals).toHaveLength(1);
  });

  it.each([
    '/var/run/docker.sock',
    '/run/docker.sock',
    '/var/run',
    '/run',
    '/var',
    '/run/containerd',
    '/run//docker.sock/',
    '/srv/engine.sock',
  ])('refuses a non-admin the engine socket or a directory holding it: %s', (source) => {
    const r = checkPolicy(bind(source), open, { isAdmin: false, dockerSocketPaths: ['/srv/engine.sock'] });
    expect(r.refusals).toHaveLength(1);
    expect(r.refusals[0]).toMatch(/^mounts\[0\]\.source: binding ".*" exposes the engine socket ".*" and needs an administrator\.$/);
    expect(r.warnings[0]).toContain('equals root on the host');
  });

  it('compares allow-list paths by segment', () => {
    const p = { ...closed, bindMountAllowList: ['/srv/lab/'] };
    expect(checkPolicy(bind('/srv/lab'), p, user).refusals).toEqual([]);
    expect(checkPolicy(bind('/srv/lab/course1/data'), p, user).refusals).toEqual([]);
    expect(checkPolicy(bind('/srv/labx'), p, user).refusals).toEqual([
      'mounts[0].source: binding "/srv/labx" needs an administrator; non-administrators may bind host directories only under "/srv/lab".',
    ]);
    expect(checkPolicy(bind('/srv'), p, user).refusals).toHaveLength(1);
    expect(checkPolicy(bind('/srv/lab/../etc'), p, user).refusals[0]).toContain('not a clean absolute host path');
    expect(checkPolicy(bind('/etc'), closed, user).refusals[0]).toContain('nowhere on this engine');
  });

  it('refuses privileged, host namespaces, devices and capabilities unless the policy allows them', () => {
    const body: CreateContainerBody = {
      image: 'x',
      privileged: true,
      pidHost: true,
      network: 'host',
      devices: ['/dev/fuse'],
      capAdd: ['net_admin', 'SYS_TIME', 'ALL'],
    };
    expect(checkPolicy(body, closed, user).refusals).toEqual([
      "privileged: privileged mode needs an administrator (this engine's policy does not allow it).",
      "pidHost: sharing the host's process namespace (--pid host) needs an administrator (this engine's policy does not allow it).",
      "network: using the host's network namespace (--network host) needs an administrator (this engine's policy does not allow it).",
      'devices[0]: giving the container the host device "/dev/fuse" needs an administrator (this engine\'s policy does not allow it).',
      "capAdd[0]: adding the capability NET_ADMIN needs an administrator (this engine's policy does not allow it).",
      "capAdd[1]: adding the capability SYS_TIME needs an administrator (this engine's policy does not allow it).",
      'capAdd[2]: adding every capability (ALL) needs an administrator.',
    ]);
    expect(checkPolicy(body, open, user).refusals).toEqual([
      "capAdd[1]: adding the capability SYS_TIME needs an administrator (this engine's policy does not allow it).",
      'capAdd[2]: adding every capability (ALL) needs an administrator.',
    ]);
  });

  it("refuses joining another container's network unless the server judged that container", () => {
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, user).refusals).toEqual([
      'network: joining the network namespace of "db" needs an administrator unless that container is one you could have created on this engine.',
    ]);
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, { ...user, allowedJoins: ['db'] }).refusals).toEqual([]);
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, { ...user, allowedJoins: ['web'] }).refusals).toHaveLength(1);
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, admin).refusals).toEqual([]);
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, admin).warnings[0]).toMatch(
      /^network: the container shares the network stack of "db"/,
    );
  });

  it('gives admins warnings, never refusals', () => {
    const body: CreateContainerBody = {
      image: 'x',
      privileged: true,
      pidHost: true,
      network: 'host',
      capAdd: ['SYS_ADMIN', 'ALL', 'NET_ADMIN'],
      mounts: [
        { type: 'bind', source: '/', target: '/host', readOnly: true },
        { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
      ],
    };
    const r = checkPolicy(body, closed, admin);
    expect(r.refusals).toEqual([]);
    expect(r.warnings).toEqual([
      'privileged: privileged mode gives the container root on the host (all devices, all capabilities, no confinement).',
      "pidHost: sharing the host's process namespace lets the container see and signal every process on the host.",
      "network: the host network gives the container the host's interfaces and ports, including services bound to localhost.",
      'capAdd[0]: SYS_ADMIN gives the container close to root on the host.',
      'capAdd[1]: adding every capability gives the container close to root on the host.',
      `mounts[0].source: binding "/" gives the container the host's whole file system (read-only, but secrets included).`,
      'mounts[1].source: binding "/var/run/docker.sock" exposes the engine socket "/var/run/docker.sock"; access to it equals root on the host.',
    ]);
  });
});

describe('checkVolumePolicy', () => {
  const vol = (driverOpts: Record<string, string>, driver = 'local') => ({ name: 'v', driver, driverOpts });
  const bindVol = (device: string) => vol({ type: 'none', o: 'bind', device });
  const fields = (r: { refusals: string[] }) => r.refusals.map((x) => x.split(':')[0]);
  const labs = { ...closed, bindMountAllowList: ['/srv/lab'] };

  it('applies the bind rules to local bind volumes', () => {
    expect(checkVolumePolicy(bindVol('/'), open, user).refusals).toEqual([
      'driverOpts.device: binding "/" into a container needs an administrator.',
    ]);
    expect(checkVolumePolicy(bindVol('/srv/lab/x'), labs, user).refusals).toEqual([]);
    expect(checkVolumePolicy(vol({ o: 'rbind,ro', device: '/srv/lab/x' }), labs, user).refusals).toEqual([]);
    expect(checkVolumePolicy(bindVol('/srv/labx'), labs, user).refusals).toHaveLength(1);
    expect(checkVolumePolicy(bindVol('/etc'), labs, user).refusals[0]).toMatch(
      /^driverOpts\.device: binding "\/etc" needs an administrator/,
    );
    expect(checkVolumePolicy(bindVol('/srv/lab/../../etc'), labs, user).refusals[0]).toContain('not a clean absolute host path');
    expect(checkVolumePolicy(bindVol('/var/run'), { ...closed, bindMountAllowList: ['/var'] }, user).refusals[0]).toContain(
      'engine socket',
    );
    expect(volumeBindDevice(bindVol('/srv/lab/x'))).toBe('/srv/lab/x');
    expect(volumeBindDevice(vol({ type: 'tmpfs', device: 'tmpfs' }))).toBeNull();
  });

  it.each(['../..', '.', 'srv/lab', '..'])("refuses a relative bind device %s (relative to the engine's working directory)", (device) => {
    const r = checkVolumePolicy(bindVol(device), { ...labs, bindMountAllowList: ['/'] }, user);
    expect(fields(r)).toEqual(['driverOpts.device']);
    expect(r.refusals[0]).toContain('relative path');
  });

  it('refuses a bind with other mount options or another type', () => {
    expect(fields(checkVolumePolicy(vol({ type: 'none', o: 'bind,lowerdir=/etc', device: '/srv/lab/x' }), labs, user))).toEqual([
      'driverOpts.o',
    ]);
    expect(fields(checkVolumePolicy(vol({ type: 'overlay', o: 'bind', device: '/srv/lab/x' }), labs, user))).toEqual(['driverOpts.type']);
    expect(fields(checkVolumePolicy(vol({ o: 'bind' }), labs, user))).toEqual(['driverOpts.device']);
  });

  it('allows a plain volume and a sized tmpfs, nothing else of tmpfs', () => {
    expect(checkVolumePolicy({ name: 'v' }, closed, user)).toEqual({ refusals: [], warnings: [] });
    expect(checkVolumePolicy(vol({}), closed, user)).toEqual({ refusals: [], warnings: [] });
    expect(
      checkVolumePolicy(vol({ type: 'tmpfs', device: 'tmpfs', o: 'size=64m,mode=1777,uid=1000,gid=1000' }), closed, user).refusals,
    ).toEqual([]);
    expect(checkVolumePolicy(vol({ type: 'tmpfs' }), closed, user).refusals).toEqual([]);
    expect(fields(checkVolumePolicy(vol({ type: 'tmpfs', device: '/etc', o: 'size=1m' }), closed, user))).toEqual(['driverOpts.device']);
    expect(fields(checkVolumePolicy(vol({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,lowerdir=/etc' }), closed, user))).toEqual([
      'driverOpts.o',
    ]);
    expect(fields(checkVolumePolicy(vol({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,bind' }), closed, user))).toEqual([
      'driverOpts.type',
      'driverOpts.o',
      'driverOpts.device',
    ]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    [
      'overlay lowerdir',
      { type: 'overlay', device: 'overlay', o: 'lowerdir=/etc,upperdir=/srv/lab/u,workdir=/srv/lab/w' },
      ['driverOpts.type', 'driverOpts.o', 'driverOpts.device'],
    ],
    ['nfs addr', { type: 'nfs', o: 'addr=10.0.0.1,rw', device: ':/export' }, ['driverOpts.type', 'driverOpts.o', 'driverOpts.device']],
    [
      'cifs credentials',
      { type: 'cifs', o: 'username=u,password=hunter2', device: '//fs/share' },
      ['driverOpts.type', 'driverOpts.o', 'driverOpts.device'],
    ],
    ['ext4 block device', { type: 'ext4', device: '/dev/sdb1' }, ['driverOpts.type', 'driverOpts.device']],
    ['btrfs subvolume', { type: 'btrfs', device: '/dev/sda2', o: 'subvol=/' }, ['driverOpts.type', 'driverOpts.o', 'driverOpts.device']],
    ['type none without bind', { type: 'none', device: '/' }, ['driverOpts.type', 'driverOpts.device']],
    ['device only', { device: '/dev/sda' }, ['driverOpts.device']],
    ['unknown key', { size: '10G' }, ['driverOpts.size']],
    ['unknown key beside a bind', { type: 'none', o: 'bind', device: '/srv/lab/x', propagation: 'shared' }, ['driverOpts.propagation']],
  ])('refuses %s, naming the option; admins get warnings', (_what, driverOpts, expected) => {
    const r = checkVolumePolicy(vol(driverOpts), { ...open, bindMountAllowList: ['/srv/lab'] }, user);
    expect(fields(r)).toEqual(expected);
    // `o` may hold a password: never repeated in a message.
    if (driverOpts.o) for (const m of [...r.refusals, ...r.warnings]) expect(m).not.toContain(driverOpts.o);
    const a = checkVolumePolicy(vol(driverOpts), closed, admin);
    expect(a.refusals).toEqual([]);
    expect(a.warnings.length).toBeGreaterThan(0);
  });

  it('refuses drivers other than local, with or without options', () => {
    expect(fields(checkVolumePolicy(vol({}, 'rexray/ebs'), open, user))).toEqual(['driver']);
    expect(fields(checkVolumePolicy({ name: 'v', driver: 'vieux/sshfs' }, open, user))).toEqual(['driver']);
    expect(checkVolumePolicy({ name: 'v', driver: 'vieux/sshfs' }, open, admin).warnings[0]).toMatch(/^driver: /);
  });
});

describe('checkContainerPolicy (an existing container, from its inspect)', () => {
  const inspect = (hostConfig: Record<string, unknown>, mounts: unknown[] = []) => ({
    Id: 'c0ffee',
    Name: '/t',
    Config: { Image: 'busybox' },
    HostConfig: { NetworkMode: 'bridge', ...hostConfig },
    Mounts: mounts,
  });

  it('finds nothing in an ordinary container', () => {
    expect(checkContainerPolicy(inspect({ IpcMode: 'private', PidMode: '' }), closed, user).refusals).toEqual([]);
  });

  it('refuses what a non-admin could not have created', () => {
    const f = (h: Record<string, unknown>, mounts: unknown[] = [], p = closed) =>
      checkContainerPolicy(inspect(h, mounts), p, user).refusals.map((r) => r.split(':')[0]);
    expect(f({ Privileged: true })).toEqual(['privileged']);
    expect(f({ NetworkMode: 'host' })).toEqual(['network']);
    expect(f({ PidMode: 'host' })).toEqual(['pidHost']);
    expect(f({ IpcMode: 'host' })).toEqual(['ipc']);
    expect(f({ UTSMode: 'host' })).toEqual(['uts']);
    expect(f({ IpcMode: 'host' }, [], { ...closed, allowHostNamespaces: true })).toEqual([]);
    expect(f({ CapAdd: ['SYS_ADMIN'] })).toEqual(['capAdd[0]']);
    expect(f({ SecurityOpt: ['seccomp=unconfined'] })).toEqual(['securityOpt']);
    expect(f({ SecurityOpt: ['apparmor:unconfined', 'no-new-privileges'] })).toEqual(['securityOpt']);
    expect(f({ DeviceCgroupRules: ['c *:* rwm'] })).toEqual(['devices']);
    expect(f({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] })).toEqual(['securityOpt']);
    expect(f({ SecurityOpt: ['apparmor=my-loose-profile'] })).toEqual(['securityOpt']);
    expect(f({ SecurityOpt: ['label=type:spc_t'] })).toEqual(['securityOpt']);
    expect(f({ SecurityOpt: ['apparmor=docker-default', 'label=level:s0:c100,c200', 'no-new-privileges:true'] })).toEqual([]);
    expect(f({ Runtime: 'my-runtime' })).toEqual(['runtime']);
    expect(f({ Runtime: 'runc' })).toEqual([]);
    expect(f({}, [{ Type: 'bind', Source: '/etc', Destination: '/x', RW: true }])).toEqual(['mounts[0].source']);
    expect(
      f({}, [{ Type: 'bind', Source: '/srv/lab/a', Destination: '/x', RW: true }], { ...closed, bindMountAllowList: ['/srv/lab'] }),
    ).toEqual([]);
    expect(f({ PidMode: 'container:db' })).toEqual(['pid']);
    expect(f({ NetworkMode: 'container:db' })).toEqual(['network']);
    expect(checkContainerPolicy(inspect({ Privileged: true, IpcMode: 'host' }), closed, admin).refusals).toEqual([]);
  });

  it('lists the namespaces it shares, so the server can judge those containers too', () => {
    expect(containerJoins(inspect({ NetworkMode: 'container:db', PidMode: 'container:abc123', IpcMode: 'container:web' }))).toEqual([
      { field: 'network', container: 'db' },
      { field: 'pid', container: 'abc123' },
      { field: 'ipc', container: 'web' },
    ]);
    expect(
      checkContainerPolicy(inspect({ NetworkMode: 'container:db', PidMode: 'container:db' }), closed, { ...user, allowedJoins: ['db'] })
        .refusals,
    ).toEqual([]);
  });
});

describe('create bodies', () => {
  it.each(['volumesFrom', 'pid', 'ipc', 'securityOpt', 'HostConfig'])('refuses the unknown field %s instead of ignoring it', (field) => {
    expect(() => validateCreateBody({ image: 'busybox', [field]: 'container:x' } as never)).toThrow(expect.objectContaining({ field }));
  });
  it('refuses unknown mount settings', () => {
    expect(() =>
      validateCreateBody({
        image: 'busybox',
        mounts: [{ type: 'volume', source: 'v', target: '/v', volumeOptions: { driverConfig: {} } }],
      } as never),
    ).toThrow(expect.objectContaining({ field: 'mounts[0].volumeOptions' }));
  });
});

describe('environment values', () => {
  it('hides values, keeps names', () => {
    expect(hideEnvValues(['A=1', 'PASSWORD=s3cret', 'EMPTY=', 'BARE'])).toEqual([
      'A=[hidden]',
      'PASSWORD=[hidden]',
      'EMPTY=[hidden]',
      'BARE',
    ]);
  });
  it('marks values that look like credentials, by name or by value', () => {
    expect(
      sensitiveEnvNames([
        'PATH=/usr/bin',
        'DB_PASSWORD=x',
        'API_KEY=y',
        'GITHUB_TOKEN=z',
        'MODE=prod',
        'DATABASE_URL=postgres://app:pw@db/app',
        'KEYBOARD=us',
        'HOOK=https://hooks.slack.com/x',
        'AWS=AKIAABCDEFGHIJKLMNOP',
        'EMPTY_SECRET=',
        'OPTS=--user=a --password=b',
      ]),
    ).toEqual(['DB_PASSWORD', 'API_KEY', 'GITHUB_TOKEN', 'DATABASE_URL', 'AWS', 'OPTS']);
  });
});
