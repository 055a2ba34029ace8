import type { CreateContainerBody, DockerPolicy } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import { checkPolicy, checkVolumePolicy } from '../src/index.js';

const closed: DockerPolicy = { allowPrivileged: false, allowHostNamespaces: false, allowDevices: false, allowedCapAdd: [], bindMountAllowList: [] };
const open: DockerPolicy = { allowPrivileged: true, allowHostNamespaces: true, allowDevices: true, allowedCapAdd: ['NET_ADMIN', 'SYS_ADMIN'], bindMountAllowList: ['/'] };
const user = { isAdmin: false };
const admin = { isAdmin: true };
const bind = (source: string, readOnly = false): CreateContainerBody => ({ image: 'x', mounts: [{ type: 'bind', source, target: '/m', readOnly }] });

describe('checkPolicy', () => {
  it('lets anyone run a plain container', () => {
    expect(checkPolicy({ image: 'alpine', capDrop: ['ALL'], mounts: [{ type: 'volume', source: 'd', target: '/d' }, { type: 'tmpfs', target: '/t' }] }, closed, user)).toEqual({ refusals: [], warnings: [] });
  });

  it('refuses a non-admin a bind of "/" even when the allow-list has "/"', () => {
    const r = checkPolicy(bind('/'), open, user);
    expect(r.refusals).toEqual(['mounts[0].source: binding "/" into a container needs an administrator.']);
    expect(r.warnings).toHaveLength(1);
    expect(checkPolicy(bind('//'), open, user).refusals).toHaveLength(1);
  });

  it.each(['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run', '/var', '/run/containerd', '/run//docker.sock/', '/srv/engine.sock'])(
    'refuses a non-admin the engine socket or a directory holding it: %s',
    (source) => {
      const r = checkPolicy(bind(source), open, { isAdmin: false, dockerSocketPaths: ['/srv/engine.sock'] });
      expect(r.refusals).toHaveLength(1);
      expect(r.refusals[0]).toMatch(/^mounts\[0\]\.source: binding ".*" exposes the engine socket ".*" and needs an administrator\.$/);
      expect(r.warnings[0]).toContain('equals root on the host');
    },
  );

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
    const body: CreateContainerBody = { image: 'x', privileged: true, pidHost: true, network: 'host', devices: ['/dev/fuse'], capAdd: ['net_admin', 'SYS_TIME', 'ALL'] };
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

  it('allows sharing another container\'s network', () => {
    expect(checkPolicy({ image: 'x', network: 'container:db' }, closed, user)).toEqual({ refusals: [], warnings: [] });
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
  it('applies the bind rules to local bind volumes', () => {
    const vol = (device: string) => ({ name: 'v', driver: 'local', driverOpts: { type: 'none', o: 'bind', device } });
    expect(checkVolumePolicy(vol('/'), open, user).refusals).toEqual(['driverOpts.device: binding "/" into a container needs an administrator.']);
    expect(checkVolumePolicy(vol('/srv/lab/x'), { ...closed, bindMountAllowList: ['/srv/lab'] }, user).refusals).toEqual([]);
    expect(checkVolumePolicy(vol('/srv/labx'), { ...closed, bindMountAllowList: ['/srv/lab'] }, user).refusals).toHaveLength(1);
    expect(checkVolumePolicy(vol('/'), closed, admin).refusals).toEqual([]);
  });
  it('treats block devices as devices and leaves other volumes alone', () => {
    expect(checkVolumePolicy({ name: 'v', driverOpts: { type: 'ext4', device: '/dev/sdb1' } }, closed, user).refusals).toHaveLength(1);
    expect(checkVolumePolicy({ name: 'v', driverOpts: { type: 'ext4', device: '/dev/sdb1' } }, open, user).refusals).toEqual([]);
    expect(checkVolumePolicy({ name: 'v', driverOpts: { type: 'nfs', o: 'addr=10.0.0.1', device: ':/export' } }, closed, user).refusals).toEqual([]);
    expect(checkVolumePolicy({ name: 'v' }, closed, user)).toEqual({ refusals: [], warnings: [] });
  });
});
