import { SECCOMP_PROFILE_MAX as CONTRACT_SECCOMP_MAX, TMPFS_OPTIONS as CONTRACT_TMPFS, type CreateContainerBody } from '@mirador/contract';
import { DEFAULT_DOCKER_POLICY } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import {
  SECCOMP_PROFILE_MAX,
  TMPFS_OPTIONS,
  checkContainerPolicy,
  checkPolicy,
  dockerRunArgv,
  dockerRunCommand,
  droppedInspectSettings,
  formatDuration,
  parseCpuset,
  parseDuration,
  parseUlimit,
  settingsFromInspect,
  toCreateOptions,
  validateCreateBody,
} from '../src/index.js';
import { validationError } from './helpers.js';

const PROFILE = JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, null, 2);

const hardened: CreateContainerBody = {
  image: 'labbox',
  name: 'hard',
  readOnlyRootfs: true,
  noNewPrivileges: true,
  mounts: [
    { type: 'tmpfs', target: '/tmp', size: '16m', options: ['noexec', 'nosuid'], mode: '1777' },
    { type: 'tmpfs', target: '/run', mode: '755' },
  ],
  seccomp: 'custom',
  seccompProfile: PROFILE,
  apparmor: 'docker-default',
  selinux: { type: 'svirt_apache_t', level: 's0:c100,c200' },
  pidsLimit: 64,
  ulimits: ['nofile=1024:2048', 'nproc=100'],
  cpusetCpus: '0',
  blkioWeight: 300,
  healthcheck: { cmd: 'test -e /tmp', interval: '2s', timeout: '1500ms', startPeriod: '1m30s', retries: 2 },
};

describe('the contract and this package agree', () => {
  it('has the same seccomp limit and tmpfs flags', () => {
    expect(SECCOMP_PROFILE_MAX).toBe(CONTRACT_SECCOMP_MAX);
    expect([...TMPFS_OPTIONS].sort()).toEqual([...CONTRACT_TMPFS].sort());
  });
});

describe('hardening: engine request', () => {
  it('maps every option', () => {
    const { config } = toCreateOptions(hardened);
    const host = config.HostConfig as Record<string, unknown>;
    expect(host.SecurityOpt).toEqual([
      'no-new-privileges:true',
      `seccomp=${JSON.stringify(JSON.parse(PROFILE))}`,
      'apparmor=docker-default',
      'label=type:svirt_apache_t',
      'label=level:s0:c100,c200',
    ]);
    expect(host.Tmpfs).toEqual({ '/tmp': 'noexec,nosuid,size=16777216,mode=1777' });
    expect(host.Mounts).toEqual([{ Type: 'tmpfs', Target: '/run', TmpfsOptions: { Mode: 0o755 } }]);
    expect(host.PidsLimit).toBe(64);
    expect(host.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'nproc', Soft: 100, Hard: 100 },
    ]);
    expect(host.CpusetCpus).toBe('0');
    expect(host.BlkioWeight).toBe(300);
    expect(config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'test -e /tmp'],
      Interval: 2e9,
      Timeout: 1.5e9,
      StartPeriod: 90e9,
      Retries: 2,
    });
  });

  it('maps unconfined, label=disable, userns host and --no-healthcheck', () => {
    const { config } = toCreateOptions({
      image: 'labbox',
      seccomp: 'unconfined',
      apparmor: 'unconfined',
      selinux: { disable: true },
      userns: 'host',
      noHealthcheck: true,
    });
    const host = config.HostConfig as Record<string, unknown>;
    expect(host.SecurityOpt).toEqual(['seccomp=unconfined', 'apparmor=unconfined', 'label=disable']);
    expect(host.UsernsMode).toBe('host');
    expect(config.Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('leaves defaults out', () => {
    const { config } = toCreateOptions({ image: 'labbox', seccomp: 'default', userns: 'default' });
    expect((config.HostConfig as Record<string, unknown>).SecurityOpt).toBeUndefined();
    expect((config.HostConfig as Record<string, unknown>).UsernsMode).toBeUndefined();
  });
});

describe('hardening: the docker run line', () => {
  it('shows each option as the CLI takes it', () => {
    const argv = dockerRunArgv(hardened);
    const line = dockerRunCommand(hardened);
    expect(line).toContain('--tmpfs /tmp:noexec,nosuid,size=16m,mode=1777');
    expect(line).toContain('--tmpfs /run:mode=755');
    expect(line).toContain('--security-opt no-new-privileges');
    expect(line).toContain('--security-opt seccomp=seccomp-profile.json');
    expect(line).toContain('--security-opt apparmor=docker-default');
    expect(line).toContain('--security-opt label=type:svirt_apache_t');
    expect(line).toContain('--security-opt label=level:s0:c100,c200');
    expect(line).toContain('--pids-limit 64');
    expect(line).toContain('--ulimit nofile=1024:2048 --ulimit nproc=100');
    expect(line).toContain('--cpuset-cpus 0');
    expect(line).toContain('--blkio-weight 300');
    expect(argv).toContain('--health-cmd');
    expect(argv[argv.indexOf('--health-cmd') + 1]).toBe('test -e /tmp');
    expect(line).toContain('--health-interval 2s --health-timeout 1500ms --health-start-period 1m30s --health-retries 2');
    expect(line).not.toContain('SCMP_ACT');
  });

  it('shows unconfined, label=disable, --userns host and --no-healthcheck', () => {
    const line = dockerRunCommand({
      image: 'labbox',
      seccomp: 'unconfined',
      apparmor: 'unconfined',
      selinux: { disable: true },
      userns: 'host',
      noHealthcheck: true,
    });
    expect(line).toBe(
      'docker run -d --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt label=disable --userns host --no-healthcheck labbox',
    );
  });
});

describe('hardening: validation names the field', () => {
  const bad: Array<[Partial<CreateContainerBody>, string]> = [
    [{ seccomp: 'custom' }, 'seccompProfile'],
    [{ seccomp: 'custom', seccompProfile: 'not json' }, 'seccompProfile'],
    [{ seccomp: 'custom', seccompProfile: '[1]' }, 'seccompProfile'],
    [{ seccomp: 'custom', seccompProfile: '{"syscalls":[]}' }, 'seccompProfile'],
    [
      { seccomp: 'custom', seccompProfile: JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', pad: 'x'.repeat(SECCOMP_PROFILE_MAX) }) },
      'seccompProfile',
    ],
    [{ seccompProfile: PROFILE }, 'seccompProfile'],
    [{ seccomp: 'off' as never }, 'seccomp'],
    [{ apparmor: '../../etc/passwd' }, 'apparmor'],
    [{ apparmor: '/usr/bin/x' }, 'apparmor'],
    [{ apparmor: 'a..b' }, 'apparmor'],
    [{ apparmor: 'docker-default,unconfined' }, 'apparmor'],
    [{ apparmor: '' }, 'apparmor'],
    [{ selinux: { type: 'x,disable' } }, 'selinux.type'],
    [{ selinux: { level: 's0;id' } }, 'selinux.level'],
    [{ selinux: { disable: true, type: 'svirt_t' } }, 'selinux.disable'],
    [{ selinux: { nested: true } as never }, 'selinux.nested'],
    [{ userns: 'container:x' as never }, 'userns'],
    [{ pidsLimit: 0 }, 'pidsLimit'],
    [{ pidsLimit: -1 }, 'pidsLimit'],
    [{ ulimits: ['nofiles=1'] }, 'ulimits[0]'],
    [{ ulimits: ['nofile=2:1'] }, 'ulimits[0]'],
    [{ ulimits: ['nofile=-1'] }, 'ulimits[0]'],
    [{ ulimits: ['nofile=1', 'nofile=2'] }, 'ulimits[1]'],
    [{ ulimits: ['nofile=1 --privileged'] }, 'ulimits[0]'],
    [{ cpusetCpus: '0-' }, 'cpusetCpus'],
    [{ cpusetCpus: '3-1' }, 'cpusetCpus'],
    [{ cpusetCpus: '0;1' }, 'cpusetCpus'],
    [{ cpusetCpus: '5000' }, 'cpusetCpus'],
    [{ blkioWeight: 5 }, 'blkioWeight'],
    [{ blkioWeight: 1001 }, 'blkioWeight'],
    [{ healthcheck: { interval: '10' } }, 'healthcheck.interval'],
    [{ healthcheck: { timeout: '2d' } }, 'healthcheck.timeout'],
    [{ healthcheck: { startPeriod: '25h' } }, 'healthcheck.startPeriod'],
    [{ healthcheck: { cmd: '' } }, 'healthcheck.cmd'],
    [{ healthcheck: { cmd: 'a\0b' } }, 'healthcheck.cmd'],
    [{ healthcheck: { retries: -1 } }, 'healthcheck.retries'],
    [{ healthcheck: { test: ['CMD'] } as never }, 'healthcheck.test'],
    [{ healthcheck: { cmd: 'true' }, noHealthcheck: true }, 'noHealthcheck'],
    [{ mounts: [{ type: 'tmpfs', target: '/tmp', options: ['exec,uid=0' as never] }] }, 'mounts[0].options[0]'],
    [{ mounts: [{ type: 'tmpfs', target: '/tmp', options: ['size=1g' as never] }] }, 'mounts[0].options[0]'],
    [{ mounts: [{ type: 'tmpfs', target: '/tmp', mode: '17777' }] }, 'mounts[0].mode'],
    [{ mounts: [{ type: 'tmpfs', target: '/tmp', mode: 'rwx' }] }, 'mounts[0].mode'],
    [{ mounts: [{ type: 'tmpfs', target: '/a:b', options: ['noexec'] }] }, 'mounts[0].options'],
  ];
  it.each(bad)('%j → %s', (extra, field) => {
    const err = validationError(() => validateCreateBody({ image: 'labbox', ...extra }));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
  });

  it('parses the values', () => {
    expect(parseUlimit('nofile=10')).toEqual({ name: 'nofile', soft: 10, hard: 10 });
    expect(parseCpuset('0-1,3', 'cpusetCpus', 4).highest).toBe(3);
    expect(validationError(() => parseCpuset('0-2', 'cpusetCpus', 2)).message).toContain('the engine has 2 CPUs (0-1)');
    expect(parseDuration('1m30s', 'x')).toBe(90e9);
    expect(formatDuration(90e9)).toBe('1m30s');
    expect(formatDuration(3600e9)).toBe('1h');
    expect(formatDuration(5e8)).toBe('500ms');
  });
});

describe('hardening: back from docker inspect', () => {
  /** What the engine answers for `hardened` (the relevant parts). */
  const create = toCreateOptions(hardened).config;
  const inspect = {
    Id: 'f'.repeat(64),
    Name: '/hard',
    Config: { ...create, HostConfig: undefined, Image: 'labbox' },
    HostConfig: create.HostConfig,
    Mounts: [{ Type: 'tmpfs', Destination: '/run' }],
  };

  it('round-trips every option', () => {
    const settings = settingsFromInspect(inspect, { Config: { Cmd: ['sh'] } });
    expect(settings).toMatchObject({
      seccomp: 'custom',
      seccompProfile: JSON.stringify(JSON.parse(PROFILE)),
      apparmor: 'docker-default',
      selinux: { type: 'svirt_apache_t', level: 's0:c100,c200' },
      pidsLimit: 64,
      ulimits: ['nofile=1024:2048', 'nproc=100'],
      cpusetCpus: '0',
      blkioWeight: 300,
      noNewPrivileges: true,
      healthcheck: { cmd: 'test -e /tmp', interval: '2s', timeout: '1500ms', startPeriod: '1m30s', retries: 2 },
    });
    expect(settings.mounts).toEqual(
      expect.arrayContaining([
        { type: 'tmpfs', target: '/run', mode: '755' },
        { type: 'tmpfs', target: '/tmp', size: '16m', mode: '1777', options: ['noexec', 'nosuid'] },
      ]),
    );
    expect(dockerRunCommand(settings)).toBe(dockerRunCommand({ ...settings }));
    expect(droppedInspectSettings(inspect)).toEqual([]);
  });

  it("keeps the image's healthcheck out and --no-healthcheck in", () => {
    const image = { Config: { Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5e9 } } };
    const same = { ...inspect, Config: { Image: 'labbox', Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5e9 } } };
    expect(settingsFromInspect(same, image).healthcheck).toBeUndefined();
    const off = { ...inspect, Config: { Image: 'labbox', Healthcheck: { Test: ['NONE'] } } };
    expect(settingsFromInspect(off, image).noHealthcheck).toBe(true);
  });

  it('lists what it cannot carry', () => {
    const odd = {
      HostConfig: {
        SecurityOpt: ['systempaths=unconfined', 'label=nested', 'seccomp=unconfined', 'userns=x'],
        Ulimits: [{ Name: 'nofile', Soft: -1, Hard: -1 }],
        Tmpfs: { '/x': 'rw,uid=1000' },
        UsernsMode: 'host',
      },
    };
    expect(droppedInspectSettings(odd)).toEqual([
      '--ulimit',
      '--security-opt systempaths=unconfined',
      '--security-opt label=nested',
      '--security-opt userns=x',
      '--tmpfs /x:uid=1000',
    ]);
    expect(settingsFromInspect(odd)).toMatchObject({ seccomp: 'unconfined', userns: 'host' });
  });
});

describe('hardening: policy', () => {
  const strict = DEFAULT_DOCKER_POLICY;
  const loosening: Array<[Partial<CreateContainerBody>, string]> = [
    [{ seccomp: 'unconfined' }, 'seccomp'],
    [{ seccomp: 'custom', seccompProfile: PROFILE }, 'seccompProfile'],
    [{ apparmor: 'unconfined' }, 'apparmor'],
    [{ apparmor: 'lab-profile' }, 'apparmor'],
    [{ selinux: { disable: true } }, 'selinux'],
    [{ selinux: { type: 'spc_t' } }, 'selinux'],
    [{ userns: 'host' }, 'userns'],
  ];
  it.each(loosening)('%j is refused to non-admins by default (%s)', (extra, field) => {
    const body = { image: 'labbox', ...extra };
    const r = checkPolicy(body, strict, { isAdmin: false });
    expect(r.refusals).toHaveLength(1);
    expect(r.refusals[0]!.startsWith(`${field}:`)).toBe(true);
    expect(checkPolicy(body, strict, { isAdmin: true }).refusals).toEqual([]);
    expect(checkPolicy(body, strict, { isAdmin: true }).warnings.length).toBeGreaterThan(0);
  });

  it('allowUnconfined lets non-admins switch confinement off, not the user namespace', () => {
    const loose = { ...strict, allowUnconfined: true };
    expect(
      checkPolicy({ image: 'labbox', seccomp: 'unconfined', apparmor: 'unconfined', selinux: { disable: true } }, loose, { isAdmin: false })
        .refusals,
    ).toEqual([]);
    expect(checkPolicy({ image: 'labbox', userns: 'host' }, loose, { isAdmin: false }).refusals).toHaveLength(1);
    expect(checkPolicy({ image: 'labbox', userns: 'host' }, { ...strict, allowHostNamespaces: true }, { isAdmin: false }).refusals).toEqual(
      [],
    );
  });

  it('limits, healthchecks, default confinement and a SELinux level stay allowed', () => {
    const body: CreateContainerBody = { ...hardened, seccomp: 'default', seccompProfile: undefined, selinux: { level: 's0:c1' } };
    delete body.seccompProfile;
    expect(checkPolicy(body, strict, { isAdmin: false }).refusals).toEqual([]);
  });

  it('judges an existing container once per option (exec, joins) and honours allowUnconfined', () => {
    const inspect = { HostConfig: { SecurityOpt: ['seccomp=unconfined'], UsernsMode: 'host' } };
    const r = checkContainerPolicy(inspect, strict, { isAdmin: false });
    expect(r.refusals).toHaveLength(2);
    expect(
      checkContainerPolicy(inspect, { ...strict, allowUnconfined: true, allowHostNamespaces: true }, { isAdmin: false }).refusals,
    ).toEqual([]);
  });
});
