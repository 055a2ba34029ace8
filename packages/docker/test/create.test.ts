import type { CreateContainerBody } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import { dockerRunCommand, toCreateOptions, validateCreateBody } from '../src/index.js';
import { validationError } from './helpers.js';

const web: CreateContainerBody = {
  image: 'labbox',
  name: 'web',
  ports: ['8080:80'],
  readOnlyRootfs: true,
  capDrop: ['ALL'],
  command: ['httpd', '-f', '-p', '80'],
};

const full: CreateContainerBody = {
  image: 'registry.lab:5000/course/web:1.0',
  name: 'web-1',
  command: ['serve', '--port', '80'],
  entrypoint: ['/bin/tini', '--'],
  env: ['MODE=lab', 'GREETING=hello world'],
  ports: ['127.0.0.1:8080:80', '127.0.0.1::443', '53/udp'],
  mounts: [
    { type: 'volume', source: 'data', target: '/data' },
    { type: 'bind', source: '/srv/lab/conf/', target: '/etc/app', readOnly: true },
    { type: 'tmpfs', target: '/run', size: '64m' },
    { type: 'volume', target: '/cache' },
  ],
  network: 'labnet',
  networkAliases: ['api', 'api.lab'],
  hostname: 'web1',
  restart: { name: 'on-failure', maxRetries: 3 },
  user: '1000:1000',
  workingDir: '/srv',
  labels: { 'com.example.team': 'lab 1' },
  memory: '256m',
  cpus: 0.5,
  capAdd: ['net_admin'],
  capDrop: ['ALL'],
  noNewPrivileges: true,
  readOnlyRootfs: true,
  devices: ['/dev/fuse'],
  tty: true,
  autoRemove: true,
};

describe('validateCreateBody', () => {
  it('accepts typical bodies', () => {
    expect(() => validateCreateBody(web)).not.toThrow();
    expect(() => validateCreateBody(full)).not.toThrow();
    expect(() => validateCreateBody({ image: 'alpine', network: 'container:db' })).not.toThrow();
  });

  it.each<[Partial<CreateContainerBody>, string]>([
    [{ image: 'Labbox' }, 'image'],
    [{ image: 'labbox; rm -rf /' }, 'image'],
    [{ name: '$(id)' }, 'name'],
    [{ env: ['A=1', 'B=2', 'bad key=1'] }, 'env[2]'],
    [{ ports: ['80', '8080:abc'] }, 'ports[1]'],
    [{ ports: ['70000'] }, 'ports[0]'],
    [
      {
        mounts: [
          { type: 'volume', source: 'data', target: '/d' },
          { type: 'bind', source: '../etc', target: '/e' },
        ],
      },
      'mounts[1].source',
    ],
    [{ mounts: [{ type: 'volume', source: 'a/b', target: '/d' }] }, 'mounts[0].source'],
    [{ mounts: [{ type: 'volume', source: 'a', target: 'rel' }] }, 'mounts[0].target'],
    [
      {
        mounts: [
          { type: 'volume', target: '/d' },
          { type: 'tmpfs', target: '/d/' },
        ],
      },
      'mounts[1].target',
    ],
    [
      {
        mounts: [
          { type: 'volume', target: '/d' },
          { type: 'tmpfs', target: '/t', size: '-1m' },
        ],
      },
      'mounts[1].size',
    ],
    [{ mounts: [{ type: 'tmpfs', target: '/t', source: '/x' } as never] }, 'mounts[0].source'],
    [{ memory: 'lots' }, 'memory'],
    [{ memory: '1m' }, 'memory'],
    [{ cpus: 0 }, 'cpus'],
    [{ capAdd: ['NET_ADMIN', 'FLY'] }, 'capAdd[1]'],
    [{ capDrop: ['`id`'] }, 'capDrop[0]'],
    [{ network: 'my net' }, 'network'],
    [{ network: 'container:' }, 'network'],
    [{ network: 'bridge', networkAliases: ['api'] }, 'networkAliases[0]'],
    [{ networkAliases: ['api'] }, 'networkAliases[0]'],
    [{ network: 'lab', networkAliases: ['ok', 'not ok'] }, 'networkAliases[1]'],
    [{ network: 'container:db', ports: ['80'] }, 'ports[0]'],
    [{ network: 'container:db', hostname: 'x' }, 'hostname'],
    [{ hostname: 'bad_host' }, 'hostname'],
    [{ user: 'root;id' }, 'user'],
    [{ workingDir: 'srv' }, 'workingDir'],
    [{ restart: { name: 'always', maxRetries: 3 } }, 'restart.maxRetries'],
    [{ devices: ['/dev/sda:/dev/sda:x'] }, 'devices[0]'],
    [{ labels: { 'a=b': '1' } }, 'labels'],
    [{ command: ['ok', 'nul\0'] }, 'command[1]'],
  ])('refuses %j at %s', (patch, field) => {
    const err = validationError(() => validateCreateBody({ image: 'labbox', ...patch } as CreateContainerBody));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it('allows maxRetries 0 with other policies, as the engine does', () => {
    expect(() => validateCreateBody({ image: 'x', restart: { name: 'always', maxRetries: 0 } })).not.toThrow();
  });
});

describe('toCreateOptions', () => {
  it('builds the minimal request', () => {
    expect(toCreateOptions({ image: 'alpine' })).toEqual({ config: { Image: 'alpine:latest', HostConfig: { NetworkMode: 'bridge' } } });
  });

  it('builds the engine request for a full body', () => {
    expect(toCreateOptions(full)).toEqual({
      name: 'web-1',
      config: {
        Image: 'registry.lab:5000/course/web:1.0',
        Cmd: ['serve', '--port', '80'],
        Entrypoint: ['/bin/tini', '--'],
        Env: ['MODE=lab', 'GREETING=hello world'],
        Hostname: 'web1',
        User: '1000:1000',
        WorkingDir: '/srv',
        Labels: { 'com.example.team': 'lab 1' },
        Tty: true,
        OpenStdin: true,
        StdinOnce: false,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        ExposedPorts: { '80/tcp': {}, '443/tcp': {}, '53/udp': {} },
        HostConfig: {
          PortBindings: {
            '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
            '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
            '53/udp': [{ HostIp: '', HostPort: '' }],
          },
          Mounts: [
            { Type: 'volume', Source: 'data', Target: '/data', ReadOnly: false },
            { Type: 'bind', Source: '/srv/lab/conf', Target: '/etc/app', ReadOnly: true },
            { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } },
            { Type: 'volume', Target: '/cache', ReadOnly: false },
          ],
          NetworkMode: 'labnet',
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
          Memory: 256 * 1024 * 1024,
          NanoCpus: 500_000_000,
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          ReadonlyRootfs: true,
          Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
          AutoRemove: true,
        },
        NetworkingConfig: { EndpointsConfig: { labnet: { Aliases: ['api', 'api.lab'] } } },
      },
    });
  });

  it('sets privileged, pid host and several bindings of one port', () => {
    const { config } = toCreateOptions({
      image: 'x',
      privileged: true,
      pidHost: true,
      network: 'host',
      ports: ['80', '8080:80'],
      restart: { name: 'always' },
    });
    const host = config.HostConfig as Record<string, unknown>;
    expect(host.Privileged).toBe(true);
    expect(host.PidMode).toBe('host');
    expect(host.NetworkMode).toBe('host');
    expect(host.RestartPolicy).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(host.PortBindings).toEqual({
      '80/tcp': [
        { HostIp: '', HostPort: '' },
        { HostIp: '', HostPort: '8080' },
      ],
    });
    expect(config.NetworkingConfig).toBeUndefined();
  });

  it('validates first', () => {
    expect(validationError(() => toCreateOptions({ image: 'x', ports: ['8080:abc'] })).field).toBe('ports[0]');
  });
});

describe('dockerRunCommand', () => {
  it('renders the obvious body', () => {
    expect(dockerRunCommand(web)).toBe('docker run -d --name web -p 8080:80 --read-only --cap-drop ALL labbox httpd -f -p 80');
  });

  it('renders docker create when not started', () => {
    expect(dockerRunCommand({ image: 'alpine', start: false })).toBe('docker create alpine');
  });

  it('renders every flag of a full body, quoted', () => {
    expect(dockerRunCommand(full)).toBe(
      [
        'docker run -d -it --rm --name web-1 -h web1 -u 1000:1000 -w /srv',
        "-e MODE=lab -e 'GREETING=hello world' -l 'com.example.team=lab 1'",
        '-p 127.0.0.1:8080:80 -p 127.0.0.1::443 -p 53/udp',
        '-v data:/data -v /srv/lab/conf:/etc/app:ro --tmpfs /run:size=64m -v /cache',
        '--network labnet --network-alias api --network-alias api.lab --restart on-failure:3',
        '--memory 256m --cpus 0.5 --read-only --cap-add NET_ADMIN --cap-drop ALL --security-opt no-new-privileges',
        '--device /dev/fuse --entrypoint /bin/tini registry.lab:5000/course/web:1.0 -- serve --port 80',
      ].join(' '),
    );
  });

  it('quotes hostile arguments instead of running them', () => {
    const cmd = dockerRunCommand({ image: 'alpine', command: ['sh', '-c', 'echo $(id); rm -rf / `x`'], env: ["Q=it's"] });
    expect(cmd).toBe(`docker run -d -e 'Q=it'\\''s' alpine sh -c 'echo $(id); rm -rf / \`x\`'`);
  });

  it('falls back to --mount for paths the short forms would split', () => {
    const cmd = dockerRunCommand({
      image: 'alpine',
      mounts: [
        { type: 'bind', source: '/srv/a:b', target: '/x,y' },
        { type: 'volume', target: '/anon', readOnly: true },
        { type: 'tmpfs', target: '/t:1', size: '1m' },
      ],
    });
    expect(cmd).toBe(
      `docker run -d --mount 'type=bind,src=/srv/a:b,"dst=/x,y"' --mount type=volume,dst=/anon,readonly --mount type=tmpfs,dst=/t:1,tmpfs-size=1048576 alpine`,
    );
  });

  it('renders the rest of the options', () => {
    expect(
      dockerRunCommand({
        image: 'alpine',
        privileged: true,
        pidHost: true,
        network: 'host',
        restart: { name: 'unless-stopped' },
        devices: ['/dev/sdb:/dev/xvdb:r'],
      }),
    ).toBe('docker run -d --network host --restart unless-stopped --privileged --pid host --device /dev/sdb:/dev/xvdb:r alpine');
    expect(dockerRunCommand({ image: 'alpine', restart: { name: 'no' }, network: 'bridge' })).toBe('docker run -d alpine');
  });
});
