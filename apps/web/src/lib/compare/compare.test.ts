import { describe, expect, it } from 'vitest';
import type { CompareHost } from '@mirador/contract';
import { measurementChoices, openFindings, startRatio } from './compare';

const host = (id: string, vms: boolean, containers: boolean) =>
  ({ hostId: id, hostName: `h-${id}`, vms: vms ? {} : null, containers: containers ? {} : null }) as unknown as CompareHost;

describe('compare helpers', () => {
  it('offers hosts whose libvirt answered for the VM and engines that answered for the container', () => {
    expect(measurementChoices([host('a', true, false), host('b', false, true), host('c', true, true)])).toEqual({
      vmHosts: [
        { id: 'a', name: 'h-a' },
        { id: 'c', name: 'h-c' },
      ],
      engines: [
        { id: 'b', name: 'h-b' },
        { id: 'c', name: 'h-c' },
      ],
    });
  });

  it('says how many times faster the container started, only when it was', () => {
    expect(startRatio({ vm: { bootMs: 9000 }, container: { startMs: 300 } } as never)).toBe(30);
    expect(startRatio({ vm: { bootMs: 900 }, container: { startMs: 300 } } as never)).toBe(3);
    expect(startRatio({ vm: { bootMs: 1000 }, container: { startMs: 1200 } } as never)).toBeNull();
  });

  it("counts one host's open findings per side, acknowledged ones left out", () => {
    const f = (hostId: string, kind: string, acknowledged: boolean) => ({
      hostId,
      target: { kind, id: 'x', name: 'x' },
      acknowledged: acknowledged ? {} : null,
    });
    const items = [f('a', 'host', false), f('a', 'vm', false), f('a', 'container', false), f('a', 'image', true), f('b', 'engine', false)];
    expect(openFindings(items as never, 'a')).toEqual({ vm: 2, container: 1 });
    expect(openFindings(items as never, 'b')).toEqual({ vm: 0, container: 1 });
  });
});
