import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tarOneFile } from '../../src/docker/tar-one-file.js';
import { toDockerInfo } from '../../src/docker/docker-info.js';
import { engineError } from '../../src/docker/docker-errors.js';
import { toContainerSummary } from '../../src/docker/mappers.js';

describe('tarOneFile', () => {
  it('makes an archive that GNU tar reads back byte for byte', () => {
    const content = Buffer.from('FROM labbox:latest\nRUN echo ünïcödé > /x\n'.repeat(40));
    const tar = tarOneFile('Dockerfile', content);
    expect(tar.length % 512).toBe(0);
    expect(execFileSync('tar', ['-tv'], { input: tar }).toString()).toMatch(/Dockerfile/);
    expect(Buffer.compare(execFileSync('tar', ['-xO', 'Dockerfile'], { input: tar }), content)).toBe(0);
  });
});

describe('toDockerInfo', () => {
  it('reads security options, cgroup version and plugins', () => {
    const info = toDockerInfo(
      'h1',
      {
        ServerVersion: '24.0.7',
        OperatingSystem: 'Debian GNU/Linux 12',
        KernelVersion: '6.1.0',
        Architecture: 'x86_64',
        NCPU: 2,
        MemTotal: 4e9,
        Driver: 'overlay2',
        CgroupVersion: '2',
        CgroupDriver: 'systemd',
        LoggingDriver: 'json-file',
        DockerRootDir: '/var/lib/docker',
        Containers: 5,
        ContainersRunning: 2,
        ContainersPaused: 1,
        ContainersStopped: 2,
        Images: 7,
        SecurityOptions: ['name=apparmor', 'name=seccomp,profile=builtin', 'name=cgroupns', 'name=rootless'],
        LiveRestoreEnabled: true,
        Plugins: { Volume: ['local'], Network: ['bridge', 'host'], Log: ['json-file'] },
        Runtimes: { runc: {}, 'io.containerd.runc.v2': {} },
        DefaultRuntime: 'runc',
        Warnings: ['WARNING: No swap limit support'],
      },
      { ApiVersion: '1.43' },
    );
    expect(info.security).toMatchObject({
      seccomp: true,
      seccompProfile: 'builtin',
      apparmor: true,
      selinux: false,
      userns: false,
      rootless: true,
    });
    expect(info.cgroupVersion).toBe('2');
    expect(info.plugins.authorization).toEqual([]);
    expect(info.runtimes).toEqual(['runc', 'io.containerd.runc.v2']);
    expect(info.apiVersion).toBe('1.43');
  });
});

describe('engineError', () => {
  it('keeps the engine’s words and picks a status a script can act on', () => {
    const e404 = engineError(
      {
        statusCode: 404,
        json: { message: 'No such container: web' },
        message: '(HTTP code 404) no such container - No such container: web',
      },
      'lab',
    );
    expect([e404.statusCode, e404.message]).toEqual([404, 'No such container: web']);
    const port = engineError(
      {
        statusCode: 500,
        json: { message: 'driver failed programming external connectivity: Bind for 0.0.0.0:80 failed: port is already allocated' },
      },
      'lab',
    );
    expect(port.statusCode).toBe(409);
    expect(port.message).toMatch(/^Host port 80 is taken — pick another \(.*port is already allocated\)$/);
    expect(port.extra).toMatchObject({ code: 'docker.portTaken', params: { port: 80 } });
    const down = engineError(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }), 'lab');
    expect(down.statusCode).toBe(503);
    expect(down.message).toMatch(/Cannot reach the Docker engine on lab/);
  });
});

describe('toContainerSummary', () => {
  it('reads health, compose labels, ports and mounts from a list entry', () => {
    const c = toContainerSummary(
      { id: 'h', name: 'lab', transport: 'socket', socketPath: '/x' },
      {
        Id: 'abc',
        Names: ['/web'],
        Image: 'nginx',
        ImageID: 'sha256:1',
        Command: 'nginx -g',
        Created: 1700000000,
        State: 'running',
        Status: 'Up 3 minutes (healthy)',
        Ports: [
          { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
          { PrivatePort: 443, Type: 'tcp' },
        ],
        Labels: { 'com.docker.compose.project': 'course', 'com.docker.compose.service': 'web' },
        NetworkSettings: { Networks: { course_default: {} } },
        Mounts: [{ Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data', RW: false }],
      } as never,
      '2026-11-29T10:00:00.000Z',
    );
    expect(c).toMatchObject({
      name: 'web',
      health: 'healthy',
      composeProject: 'course',
      composeService: 'web',
      networks: ['course_default'],
      startedAt: '2026-11-29T10:00:00.000Z',
    });
    expect(c.ports).toEqual([
      { ip: '0.0.0.0', privatePort: 80, publicPort: 8080, protocol: 'tcp' },
      { ip: null, privatePort: 443, publicPort: null, protocol: 'tcp' },
    ]);
    expect(c.mounts).toEqual([{ type: 'volume', source: 'data', destination: '/data', readOnly: true }]);
    expect(c).toMatchObject({ finishedAt: null, exitCode: null });
  });

  it('gives an exited container its exit code and end time (what the UI ages by its own clock)', () => {
    const host = { id: 'h', name: 'lab', transport: 'socket', socketPath: '/x' } as const;
    const entry = { Id: 'abc', Names: ['/job'], Image: 'busybox', ImageID: 'sha256:1', Created: 1700000000, State: 'exited' };
    const ended = toContainerSummary(
      host,
      { ...entry, Status: 'Exited (137) Less than a second ago' } as never,
      '2026-11-29T10:00:00.000Z',
      '2026-11-29T11:00:00.000Z',
    );
    expect(ended).toMatchObject({ state: 'exited', exitCode: 137, finishedAt: '2026-11-29T11:00:00.000Z', startedAt: null });
    const created = toContainerSummary(host, { ...entry, State: 'created', Status: 'Created' } as never, null, '2026-11-29T11:00:00.000Z');
    expect(created).toMatchObject({ exitCode: null, finishedAt: null });
  });
});
