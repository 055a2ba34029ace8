import { describe, expect, it } from 'vitest';
import type { VmList } from '@mirador/contract';
import { createVmListBody } from '../../src/vms/vm-list-body.js';

type Item = VmList['items'][number];
const vm = (name: string, state: Item['state'] = 'running'): Item => ({
  hostId: 'h1',
  hostName: 'fleet-01',
  name,
  uuid: `uuid-${name}`,
  state,
  vcpus: 1,
  memoryMiB: 512,
  autostart: false,
  persistent: true,
  domainType: 'test',
  osinfoId: null,
  disks: [],
  nics: [],
  graphics: [],
  hasSerialConsole: false,
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const hosts: VmList['hosts'] = [{ hostId: 'h1', hostName: 'fleet-01', ok: true, loading: false, error: null, loadedAt: null }];

describe('the VM list body kept between requests', () => {
  function setup() {
    const calls: string[] = [];
    const compile = (schema: { [key: string]: unknown }) => (payload: unknown) => {
      calls.push((schema as { items?: { properties?: { name?: unknown; ok?: unknown } } }).items?.properties?.ok ? 'hosts' : 'items');
      return JSON.stringify(payload);
    };
    return { calls, body: createVmListBody(), compile };
  }

  it('serialises the items once while the same VM objects come back, hosts every time', () => {
    const { calls, body, compile } = setup();
    const a = vm('a');
    const b = vm('b');
    const first = body({ items: [a, b], hosts }, compile);
    expect(JSON.parse(first)).toEqual({ items: [a, b], hosts });
    expect(body({ items: [a, b], hosts }, compile)).toBe(first);
    expect(calls.filter((c) => c === 'items')).toHaveLength(1);
    expect(calls.filter((c) => c === 'hosts')).toHaveLength(2);
  });

  it('serialises again when a VM changed (a new object), was added, removed or reordered', () => {
    const { body, compile } = setup();
    const a = vm('a');
    const b = vm('b');
    body({ items: [a, b], hosts }, compile);
    const b2 = vm('b', 'shut off');
    expect(JSON.parse(body({ items: [a, b2], hosts }, compile)).items[1].state).toBe('shut off');
    expect(JSON.parse(body({ items: [a, b2, vm('c')], hosts }, compile)).items).toHaveLength(3);
    expect(JSON.parse(body({ items: [a], hosts }, compile)).items).toEqual([a]);
    expect(JSON.parse(body({ items: [b2, a], hosts }, compile)).items.map((x: Item) => x.name)).toEqual(['b', 'a']);
  });
});
