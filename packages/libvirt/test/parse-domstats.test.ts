import { describe, expect, it } from 'vitest';
import { computeVmRates, parseDomstatsRaw } from '../src/index.js';
import { captureMeta, fixture } from './helpers.js';

describe('parseDomstatsRaw', () => {
  it('reads the test driver output', () => {
    const stats = parseDomstatsRaw(fixture('test-domstats-raw.txt'));
    expect([...stats.keys()]).toEqual(['test']);
    expect(stats.get('test')).toEqual({ 'state.state': 1, 'state.reason': 0 });
  });

  it('reads a real qemu sample: numbers stay numbers, names and paths stay strings', () => {
    const { richName, volumes } = captureMeta();
    const s = parseDomstatsRaw(fixture('qemu-rich-domstats-1.txt')).get(richName)!;
    expect(s['state.state']).toBe(1);
    expect(typeof s['cpu.time']).toBe('number');
    expect(s['vcpu.current']).toBe(2);
    expect(s['net.0.name']).toMatch(/^vnet\d+$/);
    expect(s['block.0.name']).toBe('vda');
    expect(s['block.0.path']).toBe(`/var/lib/libvirt/images/${volumes[0]}`);
    expect(s['dirtyrate.calc_mode']).toBe('page-sampling');
  });

  it('separates several domains', () => {
    const text = "Domain: 'a'\n  state.state=1\n  cpu.time=10\n\nDomain: 'b'\n  state.state=5\n\n";
    const stats = parseDomstatsRaw(text);
    expect(stats.get('a')).toEqual({ 'state.state': 1, 'cpu.time': 10 });
    expect(stats.get('b')).toEqual({ 'state.state': 5 });
  });
});

describe('computeVmRates', () => {
  it('gives sane numbers for two real samples of a running TCG VM', () => {
    const { vmName, vmSampleElapsedMs } = captureMeta();
    const prev = parseDomstatsRaw(fixture('qemu-vm-domstats-1.txt')).get(vmName)!;
    const curr = parseDomstatsRaw(fixture('qemu-vm-domstats-2.txt')).get(vmName)!;
    const r = computeVmRates(prev, curr, vmSampleElapsedMs);
    expect(r.cpuPercent).toBeGreaterThan(0);
    expect(r.cpuPercent).toBeLessThanOrEqual(100);
    expect(r.cpuPercentHost).toBeGreaterThan(0);
    // No balloon driver stats in the lab guest, so memory falls back to QEMU's RSS, capped at the VM's RAM.
    expect(r.memorySource).toBe('rss');
    expect(r.memoryTotalKiB).toBe(131072);
    expect(r.memoryUsedKiB).toBeGreaterThan(0);
    expect(r.memoryUsedKiB).toBeLessThanOrEqual(131072);
    expect(r).toMatchObject({ diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 });
  });

  it('sums block and net counters of a VM with a disk and a NIC', () => {
    const { richName, richSampleElapsedMs } = captureMeta();
    const prev = parseDomstatsRaw(fixture('qemu-rich-domstats-1.txt')).get(richName)!;
    const curr = parseDomstatsRaw(fixture('qemu-rich-domstats-2.txt')).get(richName)!;
    const r = computeVmRates(prev, curr, richSampleElapsedMs);
    expect(r.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(r.cpuPercent).toBeLessThanOrEqual(100);
    for (const k of ['diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const) {
      expect(r[k]).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(r[k])).toBe(true);
    }
  });

  it('computes exact rates and normalises CPU to the VM’s vCPUs', () => {
    const prev = {
      'cpu.time': 1_000_000_000,
      'vcpu.current': 2,
      'block.count': 2,
      'block.0.rd.bytes': 1000,
      'block.0.wr.bytes': 0,
      'block.1.rd.bytes': 0,
      'block.1.wr.bytes': 500,
      'net.count': 1,
      'net.0.rx.bytes': 100,
      'net.0.tx.bytes': 100,
      'balloon.current': 1048576,
      'balloon.unused': 524288,
      'balloon.rss': 900000,
    };
    const curr = {
      ...prev,
      'cpu.time': 2_000_000_000, // one CPU-second in a two-second window on 2 vCPUs → 25 %
      'block.0.rd.bytes': 3000,
      'block.1.wr.bytes': 4500,
      'net.0.rx.bytes': 2100,
      'net.0.tx.bytes': 100,
      'balloon.unused': 262144,
    };
    expect(computeVmRates(prev, curr, 2000)).toEqual({
      cpuPercent: 25,
      cpuPercentHost: 50,
      memoryUsedKiB: 786432,
      memoryTotalKiB: 1048576,
      memorySource: 'guest',
      diskReadBps: 1000,
      diskWriteBps: 2000,
      netRxBps: 1000,
      netTxBps: 0,
    });
  });

  it('returns 0, not negative rates, when counters reset (VM restarted) or there is no previous sample', () => {
    const prev = { 'cpu.time': 9e9, 'vcpu.current': 1, 'block.count': 1, 'block.0.rd.bytes': 1e6, 'net.count': 0 };
    const curr = { 'cpu.time': 1e8, 'vcpu.current': 1, 'block.count': 1, 'block.0.rd.bytes': 10, 'net.count': 0 };
    const r = computeVmRates(prev, curr, 1000);
    expect(r).toMatchObject({ cpuPercent: 0, cpuPercentHost: 0, diskReadBps: 0, netRxBps: 0, memorySource: 'none' });
    expect(computeVmRates(undefined, curr, 1000).cpuPercent).toBe(0);
    expect(computeVmRates(prev, prev, 0).cpuPercent).toBe(0);
  });

  it('clamps CPU above 100 % of the vCPUs (emulator threads count too)', () => {
    const r = computeVmRates({ 'cpu.time': 0, 'vcpu.current': 1 }, { 'cpu.time': 3e9, 'vcpu.current': 1 }, 1000);
    expect(r.cpuPercent).toBe(100);
    expect(r.cpuPercentHost).toBe(300);
  });
});
