import { describe, expect, it } from 'vitest';
import type { SecurityFinding } from '@mirador/contract';
import { containerRules, type ContainerFacts, type EngineContext } from '../../src/advisor/docker-container-rules.js';
import { engineRules, type EngineFacts } from '../../src/advisor/docker-engine-rules.js';
import { imageRules, type ImageUse } from '../../src/advisor/docker-image-rules.js';
import { releaseAge } from '../../src/advisor/docker-releases.js';
import { DOCKER_RULES, dockerRuleInfos } from '../../src/advisor/docker-rule-catalog.js';
import { findingId } from '../../src/advisor/finding-id.js';
import { fleetScore, scoreOf } from '../../src/advisor/scores.js';
import { csvCell, findingsCsv } from '../../src/advisor/findings-csv.js';
import { FIX_KINDS, hardenedBody } from '../../src/advisor/finding-fix.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const ENGINE = { kind: 'engine' as const, id: 'h1', name: 'lab' };
const CTX: EngineContext = { apparmor: true, usernsRemap: false };

/** A container with every hardening the rules look for: no container rule fires on it. */
const HARDENED: ContainerFacts = {
  Name: '/web',
  Config: { User: '1000:1000', Image: 'nginx:1.27', Healthcheck: { Test: ['CMD', 'true'] } },
  HostConfig: {
    Privileged: false,
    CapAdd: ['NET_BIND_SERVICE'],
    SecurityOpt: ['no-new-privileges:true'],
    Memory: 256 * 1024 * 1024,
    NanoCpus: 500_000_000,
    PidsLimit: 100,
    ReadonlyRootfs: true,
    NetworkMode: 'bridge',
    PidMode: '',
    IpcMode: 'private',
  },
  AppArmorProfile: 'docker-default',
  Mounts: [
    { Type: 'volume', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data', RW: true },
    { Type: 'bind', Source: '/etc/localtime', Destination: '/etc/localtime', RW: false },
    { Type: 'bind', Source: '/srv/www', Destination: '/usr/share/nginx/html', RW: false },
  ],
};

const withHost = (h: Partial<NonNullable<ContainerFacts['HostConfig']>>, more: Partial<ContainerFacts> = {}): ContainerFacts => ({
  ...HARDENED,
  ...more,
  HostConfig: { ...HARDENED.HostConfig, ...h },
});
const rulesOf = (c: ContainerFacts, ctx = CTX) => containerRules(c, ctx).map((d) => d.ruleId);
const one = (c: ContainerFacts, ruleId: string, ctx = CTX) => {
  const found = containerRules(c, ctx).filter((d) => d.ruleId === ruleId);
  expect(found, ruleId).toHaveLength(1);
  return found[0]!;
};

describe('container rules (OWASP Docker D1–D8)', () => {
  it('a hardened container is not flagged by any container rule', () => {
    expect(rulesOf(HARDENED)).toEqual([]);
  });

  it('D1: the Docker socket (or a directory holding it) bind-mounted', () => {
    const sock = withHost(
      {},
      { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', RW: false }] },
    );
    const d = one(sock, 'docker.container.docker-socket');
    expect(d.severity).toBe('critical');
    expect(d.evidence).toContain('/var/run/docker.sock');
    expect(d.why).toMatch(/^OWASP Docker D1/);
    expect(
      one(
        withHost({}, { Mounts: [{ Type: 'bind', Source: '/run', Destination: '/host-run', RW: true }] }),
        'docker.container.docker-socket',
      ).evidence,
    ).toContain('contains /run/docker.sock');
    // A named volume called like the socket is not a bind of the host's socket.
    expect(rulesOf(withHost({}, { Mounts: [{ Type: 'volume', Source: '/var/run/docker.sock', Destination: '/x', RW: true }] }))).toEqual(
      [],
    );
  });

  it('D8: sensitive host paths bind-mounted; harmless read-only files below them are not', () => {
    const root = one(
      withHost({}, { Mounts: [{ Type: 'bind', Source: '/', Destination: '/host', RW: false }] }),
      'docker.container.sensitive-mount',
    );
    expect(root.severity).toBe('critical');
    for (const p of ['/etc', '/proc', '/sys', '/root', '/boot', '/dev', '/var/lib/docker'])
      expect(
        one(withHost({}, { Mounts: [{ Type: 'bind', Source: p, Destination: '/x', RW: false }] }), 'docker.container.sensitive-mount')
          .severity,
        p,
      ).toBe('high');
    expect(
      one(
        withHost({}, { Mounts: [{ Type: 'bind', Source: '/etc/nginx', Destination: '/x', RW: true }] }),
        'docker.container.sensitive-mount',
      ).severity,
    ).toBe('medium');
    expect(rulesOf(withHost({}, { Mounts: [{ Type: 'bind', Source: '/etc/nginx', Destination: '/x', RW: false }] }))).toEqual([]);
  });

  it('D3: privileged, with a fix button; its LSM and no-new-privileges findings are folded into it', () => {
    const c = withHost({ Privileged: true, SecurityOpt: ['seccomp=unconfined'] });
    const d = one(c, 'docker.container.privileged');
    expect(d.evidence).toBe('HostConfig.Privileged = true');
    expect(d.fixAction?.kind).toBe('container.drop-privileged');
    expect(rulesOf(c)).not.toContain('docker.container.seccomp-unconfined');
    expect(rulesOf(c)).not.toContain('docker.container.no-new-privileges');
  });

  it('D2: running as root (no USER, 0, root, root:group), lower when the engine remaps users', () => {
    for (const user of ['', '0', 'root', '0:0', 'root:staff'])
      expect(one(withHost({}, { Config: { ...HARDENED.Config, User: user } }), 'docker.container.root-user').severity).toBe('medium');
    expect(
      one(withHost({}, { Config: { ...HARDENED.Config, User: '' } }), 'docker.container.root-user', { ...CTX, usernsRemap: true }).severity,
    ).toBe('low');
    expect(rulesOf(withHost({}, { Config: { ...HARDENED.Config, User: 'nginx' } }))).toEqual([]);
  });

  it('D3: capabilities beyond the default set (ALL and SYS_ADMIN are critical); default ones are fine', () => {
    const d = one(withHost({ CapAdd: ['CAP_NET_ADMIN', 'CHOWN'] }), 'docker.container.cap-add');
    expect(d.severity).toBe('high');
    expect(d.params.capabilities).toBe('NET_ADMIN');
    expect(d.fixAction?.kind).toBe('container.drop-added-caps');
    expect(one(withHost({ CapAdd: ['SYS_ADMIN'] }), 'docker.container.cap-add').severity).toBe('critical');
    expect(one(withHost({ CapAdd: ['ALL'] }), 'docker.container.cap-add').severity).toBe('critical');
    expect(rulesOf(withHost({ CapAdd: ['CHOWN', 'KILL'] }))).toEqual([]);
  });

  it('D4: no-new-privileges missing (any of its spellings counts as set)', () => {
    expect(one(withHost({ SecurityOpt: [] }), 'docker.container.no-new-privileges').fixAction?.kind).toBe('container.no-new-privileges');
    for (const o of ['no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:true'])
      expect(rulesOf(withHost({ SecurityOpt: [o] }))).toEqual([]);
  });

  it('D6: seccomp and AppArmor unconfined', () => {
    expect(
      one(withHost({ SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'] }), 'docker.container.seccomp-unconfined').evidence,
    ).toContain('seccomp=unconfined');
    expect(rulesOf(withHost({ SecurityOpt: ['no-new-privileges', 'apparmor:unconfined'] }))).toEqual([
      'docker.container.apparmor-unconfined',
    ]);
    expect(rulesOf(withHost({}, { AppArmorProfile: 'unconfined' }))).toEqual(['docker.container.apparmor-unconfined']);
    // Without AppArmor on the engine an empty/unconfined profile is the normal state, not a finding.
    expect(rulesOf(withHost({}, { AppArmorProfile: 'unconfined' }), { ...CTX, apparmor: false })).toEqual([]);
    expect(rulesOf(withHost({ SecurityOpt: ['no-new-privileges', 'seccomp=/etc/docker/custom.json'] }))).toEqual([]);
  });

  it('D7: no memory, CPU or pids limit, each with its fix button', () => {
    expect(one(withHost({ Memory: 0 }), 'docker.container.no-memory-limit').fixAction?.kind).toBe('container.set-memory-limit');
    expect(one(withHost({ NanoCpus: 0 }), 'docker.container.no-cpu-limit').fixAction?.kind).toBe('container.set-cpu-limit');
    expect(rulesOf(withHost({ NanoCpus: 0, CpuQuota: 50000 }))).toEqual([]);
    expect(rulesOf(withHost({ NanoCpus: 0, CpusetCpus: '0' }))).toEqual([]);
    for (const pids of [0, -1, null])
      expect(one(withHost({ PidsLimit: pids }), 'docker.container.no-pids-limit').fixAction?.kind).toBe('container.set-pids-limit');
  });

  it('D8: writable root filesystem (no button: images often write at run time)', () => {
    const d = one(withHost({ ReadonlyRootfs: false }), 'docker.container.writable-rootfs');
    expect(d.fixAction).toBeNull();
    expect(d.fix).toContain('--read-only');
  });

  it('host network (D5), PID and IPC (D3) namespaces', () => {
    expect(rulesOf(withHost({ NetworkMode: 'host' }))).toEqual(['docker.container.host-network']);
    expect(rulesOf(withHost({ PidMode: 'host' }))).toEqual(['docker.container.host-pid']);
    expect(rulesOf(withHost({ IpcMode: 'host' }))).toEqual(['docker.container.host-ipc']);
    expect(rulesOf(withHost({ NetworkMode: 'container:other', IpcMode: 'shareable' }))).toEqual([]);
  });

  it('a container with nothing set trips the rules of every weakness at once', () => {
    const bare: ContainerFacts = { Name: '/bare', Config: { User: '', Image: 'alpine' }, HostConfig: {}, Mounts: [] };
    expect(rulesOf(bare).sort()).toEqual(
      [
        'docker.container.no-cpu-limit',
        'docker.container.no-memory-limit',
        'docker.container.no-new-privileges',
        'docker.container.no-pids-limit',
        'docker.container.root-user',
        'docker.container.writable-rootfs',
      ].sort(),
    );
  });

  it('never reads the environment: a canary there cannot reach any finding', () => {
    const canary = 'CANARY-rules-5f1e0c';
    const c = {
      ...withHost({ Privileged: true, Memory: 0 }),
      Config: { ...HARDENED.Config, User: '', Env: [`DB_PASSWORD=${canary}`] },
    } as ContainerFacts;
    expect(JSON.stringify(containerRules(c, CTX))).not.toContain(canary);
  });
});

describe('engine rules (D0, D1, D2, D5, D10)', () => {
  const facts = (info: EngineFacts['info'], icc: string | null = 'false'): EngineFacts => ({
    info,
    defaultBridge: { Name: 'bridge', Options: icc === null ? {} : { 'com.docker.network.bridge.enable_icc': icc } },
  });
  const good: EngineFacts['info'] = {
    ServerVersion: '29.0.1',
    SecurityOptions: ['name=seccomp,profile=default', 'name=userns'],
    Warnings: [],
    Debug: false,
  };
  const ids = (f: EngineFacts) => engineRules(ENGINE, f, NOW).map((d) => d.ruleId);

  it('a current, locked-down engine is not flagged', () => {
    expect(ids(facts(good))).toEqual([]);
    expect(ids(facts({ ...good, SecurityOptions: ['name=rootless'] }))).toEqual([]);
  });

  it('D0: an engine on a superseded release line, graded by how long ago it was replaced', () => {
    const d = engineRules(ENGINE, facts({ ...good, ServerVersion: '20.10.24+dfsg1' }), NOW).find(
      (x) => x.ruleId === 'docker.engine.version-age',
    )!;
    expect(d.severity).toBe('high');
    expect(d.evidence).toContain('ServerVersion = 20.10.24+dfsg1');
    expect(d.evidence).toContain('23.0');
    expect(engineRules(ENGINE, facts({ ...good, ServerVersion: '28.5.1' }), new Date('2025-12-01T00:00:00Z'))[0]?.severity).toBe('low');
    expect(ids(facts({ ...good, ServerVersion: '31.2.0' }))).toEqual([]); // newer than the table: current
    expect(ids(facts({ ...good, ServerVersion: 'dev' }))).toEqual([]);
  });

  it('releaseAge reads the line and its successor', () => {
    expect(releaseAge('24.0.7', NOW)).toMatchObject({ line: '24.0', released: '2023-05-16', supersededBy: { line: '25.0' } });
    expect(releaseAge('29.0.0', NOW)?.supersededBy).toBeNull();
  });

  it('D1: the API on TCP without TLS, from the warning the engine itself gives', () => {
    const warn = 'WARNING: API is accessible on http://0.0.0.0:2375 without encryption.';
    const d = engineRules(ENGINE, facts({ ...good, Warnings: [warn] }), NOW)[0]!;
    expect(d.ruleId).toBe('docker.engine.tcp-without-tls');
    expect(d.params.listen).toBe('0.0.0.0:2375');
    expect(ids(facts({ ...good, Warnings: ['WARNING: bridge-nf-call-iptables is disabled'] }))).toEqual([]);
  });

  it('D2: userns-remap off; D5: ICC on the default bridge; D10: debug', () => {
    expect(ids(facts({ ...good, SecurityOptions: ['name=seccomp,profile=default'] }))).toEqual(['docker.engine.userns-remap-off']);
    expect(ids(facts(good, 'true'))).toEqual(['docker.engine.icc']);
    expect(ids(facts(good, null))).toEqual(['docker.engine.icc']);
    expect(ids({ info: good, defaultBridge: null })).toEqual([]);
    expect(ids(facts({ ...good, Debug: true }))).toEqual(['docker.engine.debug']);
  });
});

describe('image rules (D9, CIS 4.6)', () => {
  const use = (container: string, reference: string, check: string[] | null = null, image: string[] | null = null): ImageUse => ({
    container,
    reference,
    healthcheck: check,
    imageHealthcheck: image,
  });
  const ids = (uses: ImageUse[]) => imageRules(uses).map((d) => `${d.ruleId} ${d.target.id}`);

  it('latest, written or implied, one finding per image naming its containers', () => {
    const out = imageRules([use('a', 'nginx', ['CMD', 'true']), use('b', 'nginx:latest', ['CMD', 'true'])]);
    expect(out.map((d) => d.ruleId)).toEqual(['docker.image.latest-tag']);
    expect(out[0]!.target).toEqual({ kind: 'image', id: 'nginx:latest', name: 'nginx:latest' });
    expect(out[0]!.params.containers).toBe('a, b');
    expect(ids([use('a', 'nginx:1.27', ['CMD', 'true']), use('b', 'nginx@sha256:' + 'a'.repeat(64), ['CMD', 'true'])])).toEqual([]);
    expect(ids([use('a', 'sha256:' + 'b'.repeat(64))])).toEqual([]);
  });

  it('no healthcheck in the image nor the container; NONE counts as none', () => {
    expect(ids([use('a', 'redis:7')])).toEqual(['docker.image.no-healthcheck redis:7']);
    expect(ids([use('a', 'redis:7', ['NONE'])])).toEqual(['docker.image.no-healthcheck redis:7']);
    expect(ids([use('a', 'redis:7', null, ['CMD-SHELL', 'redis-cli ping'])])).toEqual([]);
    expect(ids([use('a', 'redis:7', ['CMD', 'true'])])).toEqual([]);
  });
});

describe('catalog, ids, scores, export, fixes', () => {
  it('every rule has a reference, a severity and a title', () => {
    const infos = dockerRuleInfos();
    expect(infos.length).toBe(Object.keys(DOCKER_RULES).length);
    for (const r of infos) expect(r.reference && r.title && r.severity, r.ruleId).toBeTruthy();
  });

  it('finding ids are stable, differ per target and match the contract pattern', () => {
    const a = findingId('docker.container.privileged', 'h1', 'container', 'web');
    expect(a).toBe(findingId('docker.container.privileged', 'h1', 'container', 'web'));
    expect(a).not.toBe(findingId('docker.container.privileged', 'h1', 'container', 'web2'));
    expect(a).not.toBe(findingId('docker.container.privileged', 'h2', 'container', 'web'));
    expect(a).toMatch(/^[a-f0-9]{16,64}$/);
  });

  const finding = (severity: SecurityFinding['severity'], acknowledged = false) =>
    ({ severity, acknowledged: acknowledged ? { by: 'a', at: '', reason: 'r' } : null }) as SecurityFinding;

  it('scores: critical 25, high 10, medium 4, low 1, info 0, acknowledged free, floor 0; the fleet is the mean of hosts', () => {
    expect(scoreOf([]).score).toBe(100);
    expect(scoreOf([finding('critical'), finding('high'), finding('medium'), finding('low'), finding('info')]).score).toBe(60);
    expect(scoreOf([finding('critical', true)])).toMatchObject({ score: 100, acknowledged: 1 });
    expect(scoreOf(Array.from({ length: 5 }, () => finding('critical'))).score).toBe(0);
    const fleet = fleetScore([scoreOf([finding('critical')]), scoreOf([])]);
    expect(fleet.score).toBe(87);
    expect(fleet.open.critical).toBe(1);
    expect(fleetScore([]).score).toBe(100);
  });

  it('CSV cells are quoted and formula-like cells defused', () => {
    for (const evil of ['=cmd|calc', '+1', '-2', '@SUM(A1)', '\tx']) expect(csvCell(evil).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell(null)).toBe('');
    const csv = findingsCsv([
      {
        ...finding('high'),
        id: 'a'.repeat(32),
        ruleId: 'r',
        reference: 'x',
        hostId: 'h',
        hostName: '=HYPERLINK("http://evil")',
        target: { kind: 'container', id: 'c', name: 'c' },
        title: 't',
        evidence: 'e',
        why: 'w',
        fix: 'f',
        params: {},
        fixAction: null,
        detectedAt: 'now',
      },
    ]);
    expect(csv.split('\r\n')[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('each fix changes only its own setting', () => {
    const base = { image: 'nginx:1.27', name: 'web', privileged: true, capAdd: ['NET_ADMIN', 'CHOWN'], env: ['A=1'] };
    expect(hardenedBody('container.drop-privileged', base)).not.toHaveProperty('privileged');
    expect(hardenedBody('container.drop-added-caps', base).capAdd).toEqual(['CHOWN']);
    expect(hardenedBody('container.no-new-privileges', base).noNewPrivileges).toBe(true);
    expect(hardenedBody('container.set-memory-limit', base).memory).toBe('1g');
    expect(hardenedBody('container.set-cpu-limit', base).cpus).toBe(1);
    expect(hardenedBody('container.set-pids-limit', base).pidsLimit).toBe(1024);
    for (const k of FIX_KINDS) expect(hardenedBody(k, base).env).toEqual(['A=1']);
  });
});
