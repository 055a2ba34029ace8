import { describe, expect, it } from 'vitest';
import { expandCpuset, formatCpuset } from './pinning';

describe('CPU lists in the topology grid', () => {
  it('expands ranges and exclusions and writes them back canonically', () => {
    expect(expandCpuset('0-3,^2')).toEqual([0, 1, 3]);
    expect(formatCpuset(expandCpuset('0-3,^2'))).toBe('0-1,3');
    expect(formatCpuset([5, 0, 1, 2])).toBe('0-2,5');
  });
  it('treats anything else as no list', () => {
    expect(expandCpuset('1;reboot')).toEqual([]);
    expect(expandCpuset(undefined)).toEqual([]);
  });
});
