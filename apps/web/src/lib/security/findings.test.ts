import type { SecurityFinding } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import {
  filterFromQuery,
  groupFindings,
  matchesFilter,
  NO_FILTER,
  scoreTone,
  securityHref,
  summariseByHost,
  summariseByTarget,
  targetHref,
  targetKey,
  withAck,
  worstSeverity,
} from './findings';

let n = 0;
function finding(over: Partial<SecurityFinding> & Pick<SecurityFinding, 'severity'>): SecurityFinding {
  n++;
  return {
    id: n.toString(16).padStart(16, '0'),
    ruleId: 'docker.container.privileged',
    reference: 'OWASP Docker D3',
    hostId: 'h1',
    hostName: 'lab-1',
    target: { kind: 'container', id: 'web', name: 'web' },
    title: 'Container runs privileged',
    evidence: 'HostConfig.Privileged=true',
    why: 'A privileged container is root on the host.',
    fix: 'docker run … without --privileged',
    params: {},
    fixAction: null,
    acknowledged: null,
    detectedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}
const ack = { by: 'admin', at: '2026-01-02T00:00:00.000Z', reason: 'lab only' };

describe('findings display logic', () => {
  const a = finding({ severity: 'high' });
  const b = finding({ severity: 'critical', ruleId: 'docker.container.socket-mount', target: { kind: 'container', id: 'ci', name: 'ci' } });
  const c = finding({
    severity: 'medium',
    hostId: 'h2',
    hostName: 'lab-2',
    ruleId: 'libvirt.vnc-listen',
    target: { kind: 'vm', id: 'vm1', name: 'vm1' },
  });
  const d = finding({ severity: 'critical', acknowledged: ack, target: { kind: 'container', id: 'web', name: 'web' } });
  const all = [a, b, c, d];

  test('worst severity', () => {
    expect(worstSeverity([])).toBe(null);
    expect(worstSeverity([a, c])).toBe('high');
    expect(worstSeverity(all)).toBe('critical');
  });

  test('filters: open by default, by host, severity, kind, target, rule, acknowledged', () => {
    expect(all.filter((f) => matchesFilter(f, NO_FILTER))).toEqual([a, b, c]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, ack: 'acknowledged' }))).toEqual([d]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, ack: 'all' }))).toHaveLength(4);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, hostId: 'h2' }))).toEqual([c]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, severity: 'critical', ack: 'all' }))).toEqual([b, d]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, targetKind: 'vm' }))).toEqual([c]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, targetKind: 'container', targetId: 'web', ack: 'all' }))).toEqual([a, d]);
    expect(all.filter((f) => matchesFilter(f, { ...NO_FILTER, ruleId: 'libvirt.vnc-listen' }))).toEqual([c]);
  });

  test('the filter round-trips through the URL; junk values are ignored', () => {
    const href = securityHref({ hostId: 'h1', targetKind: 'container', targetId: 'my web', severity: 'high', ack: 'all' });
    expect(href).toBe('/security?host=h1&severity=high&kind=container&target=my+web&ack=all');
    const back = filterFromQuery(new URL(href, 'http://x').searchParams);
    expect(back).toEqual({ ...NO_FILTER, hostId: 'h1', targetKind: 'container', targetId: 'my web', severity: 'high', ack: 'all' });
    expect(securityHref()).toBe('/security');
    expect(filterFromQuery(new URLSearchParams('severity=bad&kind=x&ack=maybe'))).toEqual(NO_FILTER);
  });

  test('groups: worst group first; by severity in severity order; acknowledged last within a group', () => {
    const byHost = groupFindings(all, 'host');
    expect(byHost.map((g) => [g.key, g.worst, g.items.length])).toEqual([
      ['h1', 'critical', 3],
      ['h2', 'medium', 1],
    ]);
    expect(byHost[0]?.items.map((f) => f.id)).toEqual([b.id, a.id, d.id]);
    expect(groupFindings(all, 'severity').map((g) => g.key)).toEqual(['critical', 'high', 'medium']);
    const byTarget = groupFindings(all, 'target');
    expect(byTarget.map((g) => g.label)).toEqual(['ci', 'web', 'vm1']);
    expect(byTarget[1]?.target).toEqual({ kind: 'container', id: 'web', name: 'web', hostId: 'h1' });
    expect(groupFindings(all, 'rule').map((g) => g.key)).toEqual([
      'docker.container.socket-mount',
      'docker.container.privileged',
      'libvirt.vnc-listen',
    ]);
  });

  test('badges: open findings per target, acknowledged ones counted apart', () => {
    const map = summariseByTarget(all);
    const web = map.get(targetKey('container', 'h1', 'web'));
    expect(web).toMatchObject({ total: 1, worst: 'high', acknowledged: 1 });
    expect(web?.open.high).toBe(1);
    expect(map.get(targetKey('vm', 'h2', 'vm1'))?.worst).toBe('medium');
    expect(summariseByHost(all).get('h1')).toMatchObject({ total: 2, worst: 'critical', acknowledged: 1 });
    expect(summariseByHost(all).get('h2')).toMatchObject({ total: 1, worst: 'medium' });
    // Same name on another host is another target.
    expect(map.get(targetKey('container', 'h2', 'web'))).toBeUndefined();
  });

  test('score tones and target links', () => {
    expect([100, 90, 89, 70, 69, 0].map(scoreTone)).toEqual(['green', 'green', 'amber', 'amber', 'red', 'red']);
    expect(targetHref(a)).toBe('/containers/h1/web');
    expect(targetHref(c)).toBe('/vms/h2/vm1');
    expect(targetHref({ hostId: 'h 1', target: { kind: 'host', id: 'h 1', name: 'x' } })).toBe('/hosts/h%201');
    expect(targetHref({ hostId: 'h1', target: { kind: 'engine', id: 'h1', name: 'x' } })).toBe('/docker/h1');
    expect(targetHref({ hostId: 'h1', target: { kind: 'image', id: 'nginx:latest', name: 'nginx:latest' } })).toBe(
      '/images/h1/nginx%3Alatest',
    );
  });

  test('acknowledging patches one finding', () => {
    const next = withAck(all, a.id, ack);
    expect(next.find((f) => f.id === a.id)?.acknowledged).toEqual(ack);
    expect(next.filter((f) => f.acknowledged !== null)).toHaveLength(2);
    expect(all[0]?.acknowledged).toBe(null);
  });
});
