import { describe, expect, it } from 'vitest';
import { parseTopic, topics, type FindingAck, type ServerMessage } from '@mirador/contract';
import { createEventBus } from '../../src/plugins/bus.js';
import { createAdvisorService, rootCauses, type HostRuleChecker } from '../../src/advisor/advisor.service.js';
import type { DockerAdvisor } from '../../src/advisor/docker-advisor.js';
import type { FindingAcks } from '../../src/advisor/finding-acks.js';
import type { FindingDraft, RuleRun } from '../../src/advisor/finding-draft.js';
import { engineRules } from '../../src/advisor/docker-engine-rules.js';

/** The advisor service with typed fakes for its rule families: caching, recompute triggers, stale runs, acknowledgements. */
const draft = (ruleId: string, target: string, severity: FindingDraft['severity'] = 'high'): FindingDraft => ({
  ruleId,
  reference: 'OWASP Docker D3',
  severity,
  target: { kind: 'container', id: target, name: target },
  title: ruleId,
  evidence: 'e',
  why: 'w',
  fix: 'f',
  params: {},
  fixAction: null,
});

function setup(opts: { hostRules?: HostRuleChecker | null } = {}) {
  const calls = { docker: 0 };
  let dockerRun: RuleRun | null = {
    findings: [draft('docker.container.privileged', 'web', 'critical')],
    checkedAt: new Date(),
    stale: null,
  };
  const docker = {
    check: async () => {
      calls.docker++;
      return dockerRun;
    },
    forget: () => {},
    engineChanged: () => {},
    containerChanged: () => {},
  } as unknown as DockerAdvisor;
  const acks = new Map<string, FindingAck>();
  const ackStore = {
    all: async () => new Map(acks),
    set: async (a: { findingId: string; reason: string; user: { name: string } }) => {
      const ack = { by: a.user.name, at: new Date().toISOString(), reason: a.reason };
      acks.set(a.findingId, ack);
      return ack;
    },
    remove: async (id: string) => acks.delete(id),
  } as unknown as FindingAcks;
  const bus = createEventBus();
  const messages: ServerMessage[] = [];
  bus.subscribe('security', (m) => messages.push(m));
  const service = createAdvisorService({
    hosts: async () => [{ id: 'h1', name: 'lab' }],
    docker,
    hostRules: opts.hostRules ?? null,
    acks: ackStore,
    bus,
    log: { warn: () => {} },
    rules: [],
    debounceMs: 20,
  });
  return { service, calls, messages, setDocker: (r: RuleRun | null) => (dockerRun = r) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('advisor service', () => {
  it('computes once, then answers from memory: page views do not recompute', async () => {
    const { service, calls, messages } = setup();
    const first = await service.list();
    expect(first.items.map((f) => f.ruleId)).toEqual(['docker.container.privileged']);
    expect(first.hosts[0]).toMatchObject({ hostName: 'lab', score: 75, stale: null });
    for (let i = 0; i < 5; i++) await service.list();
    expect(calls.docker).toBe(1);
    expect(messages.filter((m) => m.type === 'security.changed')).toHaveLength(1);
  });

  it('a burst of inventory changes makes one recompute, and a change is announced', async () => {
    const { service, calls, messages, setDocker } = setup();
    await service.list();
    setDocker({ findings: [], checkedAt: new Date(), stale: null });
    for (let i = 0; i < 10; i++) service.changed({ id: 'h1' }, ['docker']);
    await sleep(120);
    expect(calls.docker).toBe(2);
    expect((await service.list()).items).toEqual([]);
    expect(messages.filter((m) => m.type === 'security.changed')).toHaveLength(2);
  });

  it('nothing is computed for changes before anyone asked', async () => {
    const { service, calls } = setup();
    service.changed({ id: 'h1' }, ['docker']);
    await sleep(60);
    expect(calls.docker).toBe(0);
  });

  it('rules that cannot run keep the last known findings, marked stale with the reason', async () => {
    const { service, setDocker } = setup();
    await service.list();
    setDocker({ findings: [], checkedAt: new Date(), stale: 'Cannot reach the Docker engine: connect ENOENT' });
    await service.recheck('h1', ['docker']);
    const list = await service.list();
    expect(list.items.map((f) => f.ruleId)).toEqual(['docker.container.privileged']);
    expect(list.hosts[0]!.stale).toContain('connect ENOENT');
  });

  it('host rules join in; one that throws is reported, not fatal', async () => {
    const hostRules: HostRuleChecker = {
      check: async () => {
        throw new Error('ssh: connection refused');
      },
    };
    const { service } = setup({ hostRules });
    await service.list();
    await sleep(50);
    const list = await service.list();
    expect(list.items).toHaveLength(1);
    expect(list.hosts[0]!.stale).toContain('ssh: connection refused');
  });

  it('acknowledgements are kept by the stable id, count as accepted, and can be withdrawn', async () => {
    const { service } = setup();
    const [f] = (await service.list()).items;
    const acked = await service.acknowledge(f!.id, 'lab only', { id: 'u1', name: 'ada' });
    expect(acked.acknowledged).toMatchObject({ by: 'ada', reason: 'lab only' });
    const list = await service.list();
    expect(list.hosts[0]).toMatchObject({ score: 100, acknowledged: 1 });
    expect(list.items[0]!.id).toBe(f!.id);
    expect((await service.list({ includeAcknowledged: false })).items).toEqual([]);
    await service.unacknowledge(f!.id);
    await expect(service.unacknowledge(f!.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(service.acknowledge('0'.repeat(32), 'x', { id: null, name: 'x' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('the Docker API on TCP seen by the engine and by the host probe is one finding, acknowledged once', async () => {
    const warning = 'WARNING: API is accessible on http://0.0.0.0:2375 without encryption.';
    const engine = { kind: 'engine' as const, id: 'h1', name: 'lab' };
    const fromEngine = engineRules(
      engine,
      { info: { ServerVersion: '29.0.0', SecurityOptions: ['name=userns'], Warnings: [warning] }, defaultBridge: null },
      new Date(),
    );
    const fromHost: FindingDraft = {
      ...draft('host.docker-tcp-without-tls', 'h1', 'critical'),
      target: { kind: 'host', id: 'h1', name: 'lab' },
      evidence: 'dockerd (pid 900): /usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375',
      params: { hosts: '0.0.0.0:2375' },
    };
    const hostRules: HostRuleChecker = { check: async () => ({ findings: [fromHost], checkedAt: new Date(), stale: null }) };
    const { service, setDocker } = setup({ hostRules });
    setDocker({ findings: fromEngine, checkedAt: new Date(), stale: null });
    await service.list();
    await sleep(50);
    const [f, ...rest] = (await service.list()).items;
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ ruleId: 'docker.engine.tcp-without-tls', target: engine });
    expect(f!.evidence).toContain(warning);
    expect(f!.evidence).toContain('host probe: dockerd (pid 900)');
    const acked = await service.acknowledge(f!.id, 'lab network only', { id: 'u1', name: 'ada' });
    expect((await service.list()).hosts[0]).toMatchObject({ score: 100, acknowledged: 1 });
    // After a restart with the engine unreachable, the probe's sighting alone has the same id (so the same acknowledgement).
    const restarted = setup({ hostRules });
    restarted.setDocker({ findings: [], checkedAt: new Date(), stale: 'Cannot read the Docker engine: connect ECONNREFUSED' });
    await restarted.service.list();
    await sleep(50);
    const again = (await restarted.service.list()).items;
    expect(again.map((x) => [x.id, x.ruleId, x.evidence])).toEqual([
      [acked.id, 'docker.engine.tcp-without-tls', `host probe: ${fromHost.evidence}`],
    ]);
  });

  it('a host that cannot be reached is said once in its stale reason, not once per rule family', async () => {
    const down = 'Host "nohost" is not reachable: Cannot resolve nohost.invalid: no DNS or /etc/hosts entry for that name';
    const hostRules: HostRuleChecker = { check: async () => ({ findings: [], checkedAt: new Date(), stale: down }) };
    const { service, setDocker } = setup({ hostRules });
    setDocker({ findings: [], checkedAt: new Date(), stale: `Cannot read the Docker engine: ${down}` });
    await service.list();
    await sleep(50);
    expect((await service.list()).hosts[0]!.stale).toBe(down);
    expect(rootCauses(['engine down', 'probe timed out', 'engine down'])).toEqual(['engine down', 'probe timed out']);
  });

  it('its realtime topic is `security`', () => {
    expect(parseTopic(topics.security)).toEqual({ kind: 'security' });
  });

  it('a removed host disappears from findings and scores', async () => {
    const { service } = setup();
    await service.list();
    service.removed('h1');
    const list = await service.list();
    expect(list.items).toEqual([]);
    expect(list.hosts).toEqual([]);
    expect(list.fleet.score).toBe(100);
  });
});
