import type { CreateContainerBody } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import { dockerRunCommand, droppedInspectSettings, parseImageRef, settingsFromInspect, toCreateOptions } from '../src/index.js';

const ID = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e';
const ANON = 'b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6';

const IMAGE = {
  Config: {
    User: '',
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2'],
    Cmd: ['httpd-foreground'],
    Entrypoint: null,
    WorkingDir: '/usr/local/apache2',
    Labels: { 'org.opencontainers.image.version': '2.4' },
  },
};

/**
 * What the engine reports for a container made from `options` (a hand-written subset of
 * `GET /containers/{id}/json`, Engine API 1.43): image values merged in, caps with CAP_ prefix,
 * the automatic alias, Mounts listing volumes (named and anonymous) and binds.
 */
function fakeInspect(options: ReturnType<typeof toCreateOptions>, image: typeof IMAGE | null): Record<string, any> {
  const c = options.config as Record<string, any>;
  const h = c.HostConfig as Record<string, any>;
  const img = image?.Config;
  const network: string = h.NetworkMode;
  const mounts = (h.Mounts ?? []).map((m: any) => {
    if (m.Type === 'volume')
      return {
        Type: 'volume',
        Name: m.Source ?? ANON,
        Source: `/var/lib/docker/volumes/${m.Source ?? ANON}/_data`,
        Destination: m.Target,
        Driver: 'local',
        Mode: 'z',
        RW: !m.ReadOnly,
        Propagation: '',
      };
    if (m.Type === 'bind')
      return { Type: 'bind', Source: m.Source, Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: 'rprivate' };
    return { Type: 'tmpfs', Source: '', Destination: m.Target, Mode: '', RW: true, Propagation: '' };
  });
  return {
    Id: ID,
    Name: options.name ? `/${options.name}` : '/eager_turing',
    Image: 'sha256:aaaa',
    Config: {
      Hostname: c.Hostname ?? ID.slice(0, 12),
      User: c.User ?? img?.User ?? '',
      Tty: c.Tty ?? false,
      OpenStdin: c.OpenStdin ?? false,
      Env: [...(c.Env ?? []), ...(img?.Env ?? [])],
      Cmd: c.Cmd ?? (c.Entrypoint ? null : (img?.Cmd ?? null)),
      Image: c.Image,
      WorkingDir: c.WorkingDir ?? img?.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? img?.Entrypoint ?? null,
      Labels: { ...(img?.Labels ?? {}), ...(c.Labels ?? {}) },
      ExposedPorts: c.ExposedPorts,
    },
    HostConfig: {
      NetworkMode: network,
      PortBindings: h.PortBindings ?? {},
      RestartPolicy: h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: h.AutoRemove ?? false,
      CapAdd: h.CapAdd?.map((x: string) => (x === 'ALL' ? x : `CAP_${x}`)) ?? null,
      CapDrop: h.CapDrop?.map((x: string) => (x === 'ALL' ? x : `CAP_${x}`)) ?? null,
      PidMode: h.PidMode ?? '',
      Privileged: h.Privileged ?? false,
      ReadonlyRootfs: h.ReadonlyRootfs ?? false,
      SecurityOpt: h.SecurityOpt ?? null,
      Memory: h.Memory ?? 0,
      NanoCpus: h.NanoCpus ?? 0,
      Devices: h.Devices ?? [],
      Mounts: h.Mounts,
    },
    Mounts: mounts,
    NetworkSettings: {
      Networks: {
        [network]: {
          Aliases: [...(c.NetworkingConfig?.EndpointsConfig?.[network]?.Aliases ?? []), ID.slice(0, 12)],
          NetworkID: 'n1',
          IPAddress: '172.30.0.2',
        },
      },
    },
  };
}

const body: CreateContainerBody = {
  image: 'registry.lab:5000/course/web:1.0',
  name: 'web-1',
  command: ['serve', '--port', '80'],
  entrypoint: ['/bin/tini', '--'],
  env: ['MODE=lab'],
  ports: ['127.0.0.1:8080:80', '127.0.0.1::443', '53/udp', '[::1]:9090:90'],
  mounts: [
    { type: 'volume', source: 'data', target: '/data' },
    { type: 'bind', source: '/srv/lab/conf', target: '/etc/app', readOnly: true },
    { type: 'tmpfs', target: '/run', size: '64m' },
  ],
  network: 'labnet',
  networkAliases: ['api'],
  hostname: 'web1',
  restart: { name: 'on-failure', maxRetries: 3 },
  user: '1000:1000',
  workingDir: '/srv',
  labels: { 'com.example.team': 'lab' },
  memory: '256m',
  cpus: 0.5,
  capAdd: ['NET_ADMIN'],
  capDrop: ['ALL'],
  noNewPrivileges: true,
  readOnlyRootfs: true,
  privileged: true,
  pidHost: true,
  devices: ['/dev/fuse', '/dev/sdb:/dev/xvdb:r'],
  tty: true,
  autoRemove: true,
};

describe('settingsFromInspect', () => {
  it('round-trips a full body', () => {
    const back = settingsFromInspect(fakeInspect(toCreateOptions(body), IMAGE), IMAGE);
    expect(back).toEqual({ ...body, image: parseImageRef(body.image).normalized });
  });

  it('round-trips a small body and drops what the image provides', () => {
    const small: CreateContainerBody = { image: 'httpd:2.4', name: 'web', ports: ['8080:80'] };
    const inspect = fakeInspect(toCreateOptions(small), IMAGE);
    expect(inspect.Config.Cmd).toEqual(['httpd-foreground']);
    expect(settingsFromInspect(inspect, IMAGE)).toEqual(small);
    expect(dockerRunCommand(settingsFromInspect(inspect, IMAGE))).toBe('docker run -d --name web -p 8080:80 httpd:2.4');
  });

  it('without the image, keeps everything the container has', () => {
    const inspect = fakeInspect(toCreateOptions({ image: 'httpd:2.4' }), IMAGE);
    const back = settingsFromInspect(inspect);
    expect(back.command).toEqual(['httpd-foreground']);
    expect(back.env).toEqual(IMAGE.Config.Env);
    expect(back.workingDir).toBe('/usr/local/apache2');
    expect(back.labels).toEqual(IMAGE.Config.Labels);
    expect(back.hostname).toBeUndefined(); // the engine's default, the short ID
  });

  it('keeps anonymous volumes by name, reads --tmpfs sizes and modes, ignores automatic aliases, keeps seccomp', () => {
    const inspect = {
      Id: ID,
      Name: '/db',
      Config: { Image: 'postgres:16', Hostname: ID.slice(0, 12), Env: ['POSTGRES_PASSWORD=x'], Cmd: ['postgres'], Tty: false },
      HostConfig: {
        NetworkMode: 'lab',
        RestartPolicy: { Name: '', MaximumRetryCount: 0 },
        Tmpfs: { '/tmp': 'rw,size=32m,mode=1777' },
        CapAdd: ['CAP_CHOWN'],
        SecurityOpt: ['seccomp=unconfined', 'no-new-privileges'],
        PortBindings: { '5432/tcp': [{ HostIp: '', HostPort: '5432' }], '9187/tcp': null },
      },
      Mounts: [
        { Type: 'volume', Name: ANON, Source: `/var/lib/docker/volumes/${ANON}/_data`, Destination: '/var/lib/postgresql/data', RW: true },
        { Type: 'tmpfs', Source: '', Destination: '/tmp', RW: true },
      ],
      NetworkSettings: { Networks: { lab: { Aliases: ['db', ID.slice(0, 12), 'pg'] } } },
    };
    expect(settingsFromInspect(inspect, { Config: { Cmd: ['postgres'], Env: [] } })).toEqual({
      image: 'postgres:16',
      name: 'db',
      env: ['POSTGRES_PASSWORD=x'],
      ports: ['5432:5432'],
      mounts: [
        { type: 'volume', source: ANON, target: '/var/lib/postgresql/data' },
        { type: 'tmpfs', target: '/tmp', size: '32m', mode: '1777' },
      ],
      network: 'lab',
      networkAliases: ['pg'],
      capAdd: ['CHOWN'],
      noNewPrivileges: true,
      seccomp: 'unconfined',
    });
  });

  it('drops the host name on shared networks', () => {
    const inspect = { Id: ID, Name: '/side', Config: { Image: 'alpine', Hostname: 'db' }, HostConfig: { NetworkMode: 'container:db' } };
    expect(settingsFromInspect(inspect, null)).toEqual({ image: 'alpine', name: 'side', network: 'container:db' });
  });
});

describe('droppedInspectSettings', () => {
  it('is empty for what the body covers', () => {
    expect(droppedInspectSettings(fakeInspect(toCreateOptions(body), IMAGE))).toEqual([]);
    expect(
      droppedInspectSettings({
        HostConfig: { ShmSize: 67108864, LogConfig: { Type: 'json-file', Config: {} }, IpcMode: 'private', Runtime: 'runc' },
      }),
    ).toEqual([]);
  });
  it('names what a recreate would lose', () => {
    expect(
      droppedInspectSettings({
        HostConfig: {
          NetworkMode: 'lab',
          Dns: ['1.1.1.1'],
          ExtraHosts: ['a:1.2.3.4'],
          Init: true,
          ShmSize: 1 << 30,
          IpcMode: 'host',
          SecurityOpt: ['systempaths=unconfined', 'no-new-privileges:true'],
        },
        NetworkSettings: { Networks: { lab: {}, other: {} } },
      }),
    ).toEqual([
      '--dns',
      '--add-host',
      '--init',
      '--shm-size',
      '--ipc host',
      '--security-opt systempaths=unconfined',
      '--network other (only the first network is kept)',
    ]);
  });
});
