import { describe, expect, it } from 'vitest';
import { VirshEventStream, parseEventLine, parseEventLines, stateAfterLifecycle } from '../src/index.js';
import { captureMeta, fixture } from './helpers.js';

describe('virsh event parsing', () => {
  it('parses real lifecycle and reboot lines from qemu:///system', () => {
    const { vmName, richName } = captureMeta();
    const events = parseEventLines(fixture('qemu-events.txt'));
    expect(events.length).toBeGreaterThanOrEqual(10);
    for (const e of events) {
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect([vmName, richName]).toContain(e.domain);
    }
    const ours = events.filter((e) => e.domain === vmName).map((e) => e.detail);
    // A start reports "Resumed Unpaused" just before "Started Booted".
    expect(ours).toEqual([
      'Resumed Unpaused',
      'Started Booted',
      'Suspended Paused',
      'Resumed Unpaused',
      'Shutdown Finished after host request',
      'Stopped Destroyed',
    ]);
    const rich = events.filter((e) => e.domain === richName);
    expect(rich[0]).toMatchObject({ event: 'lifecycle', lifecycle: { type: 'Defined', reason: 'Added' } });
    expect(rich.some((e) => e.event === 'reboot' && e.detail === '' && e.lifecycle === undefined)).toBe(true);
    expect(rich.at(-2)).toMatchObject({ lifecycle: { type: 'Stopped', reason: 'Shutdown' } });
    expect(rich.at(-1)).toMatchObject({ lifecycle: { type: 'Undefined', reason: 'Removed' } });
  });

  it('parses one line into its parts', () => {
    expect(parseEventLine("2026-11-29 18:00:00.123+0000: event 'lifecycle' for domain 'vm1': Started Booted")).toEqual({
      at: '2026-11-29T18:00:00.123Z',
      event: 'lifecycle',
      domain: 'vm1',
      detail: 'Started Booted',
      lifecycle: { type: 'Started', reason: 'Booted' },
    });
    expect(parseEventLine("event 'reboot' for domain 'vm1'")).toEqual({ event: 'reboot', domain: 'vm1', detail: '' });
    expect(parseEventLine("event 'device-removed' for domain 'vm1': net0")).toMatchObject({ event: 'device-removed', detail: 'net0' });
    expect(parseEventLine("event 'balloon-change' for domain 'vm1': 1048576KiB")).toMatchObject({ detail: '1048576KiB' });
    expect(parseEventLine("event 'tray-change' for domain 'vm1' disk sata0-0-0: opened")).toMatchObject({
      event: 'tray-change',
      disk: 'sata0-0-0',
      detail: 'opened',
    });
    expect(parseEventLine("event 'agent-lifecycle' for domain 'vm1': state: 'connected' reason: 'channel event'")).toMatchObject({
      domain: 'vm1',
      detail: "state: 'connected' reason: 'channel event'",
    });
    expect(parseEventLine("event 'lifecycle' for domain 'vm1': Shutdown Finished after guest request")?.lifecycle).toEqual({
      type: 'Shutdown',
      reason: 'Finished after guest request',
    });
    expect(parseEventLine('event loop interrupted')).toBeNull();
    expect(parseEventLine('')).toBeNull();
  });

  it('emits single-line events as soon as their line is complete', () => {
    const stream = new VirshEventStream();
    expect(stream.feed("2026-11-29 18:00:00.000+0000: event 'lifecycle' for domain 'vm1': Started Bo")).toEqual([]);
    expect(stream.feed('oted\n')).toEqual([
      {
        at: '2026-11-29T18:00:00.000Z',
        event: 'lifecycle',
        domain: 'vm1',
        detail: 'Started Booted',
        lifecycle: { type: 'Started', reason: 'Booted' },
      },
    ]);
    expect(stream.flush()).toEqual([]);
  });

  it('holds multi-line events until the next header or flush, across chunk boundaries', () => {
    const stream = new VirshEventStream();
    const out = [
      ...stream.feed("2026-11-29 18:00:00.000+0000: event 'tunable' for domain 'vm1':\n\tcputune.vcpu_quota: 1000"),
      ...stream.feed("0\n\tcputune.vcpu_period: 100000\n2026-11-29 18:00:01.000+0000: event 'reboot' for domain 'vm1'\n"),
    ];
    expect(out).toEqual([
      {
        at: '2026-11-29T18:00:00.000Z',
        event: 'tunable',
        domain: 'vm1',
        detail: '',
        extra: ['cputune.vcpu_quota: 10000', 'cputune.vcpu_period: 100000'],
      },
      { at: '2026-11-29T18:00:01.000Z', event: 'reboot', domain: 'vm1', detail: '' },
    ]);
    stream.feed("event 'memory-device-size-change' for domain 'vm1':\nalias: dimm0\nsize: 1048576\n");
    expect(stream.flush()).toEqual([
      { event: 'memory-device-size-change', domain: 'vm1', detail: '', extra: ['alias: dimm0', 'size: 1048576'] },
    ]);
    stream.feed('event loop interrupted\n');
    expect(stream.flush()).toEqual([]);
  });

  it('maps lifecycle events to run states', () => {
    expect(stateAfterLifecycle('Started')).toBe('running');
    expect(stateAfterLifecycle('Resumed')).toBe('running');
    expect(stateAfterLifecycle('Suspended')).toBe('paused');
    expect(stateAfterLifecycle('Stopped')).toBe('shut off');
    expect(stateAfterLifecycle('Crashed')).toBe('crashed');
    expect(stateAfterLifecycle('Defined')).toBeUndefined();
  });
});
