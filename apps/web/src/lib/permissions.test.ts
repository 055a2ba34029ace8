import { describe, expect, it } from 'vitest';
import { can } from './permissions';

/** The UI's role checks mirror the server's guard (apps/server/test/security/routes.ts pins the admin routes). */
describe('can(role, action)', () => {
  it('viewers may only look', () => {
    for (const a of [
      'operate',
      'container.exec',
      'hosts.manage',
      'registries.manage',
      'audit.read',
      'audit.export',
      'users.manage',
    ] as const)
      expect(can('viewer', a), a).toBe(false);
  });

  it('operators act on VMs and containers and open shells, but manage no hosts, registries, users or audit', () => {
    expect(can('operator', 'operate')).toBe(true);
    expect(can('operator', 'container.exec')).toBe(true);
    for (const a of ['hosts.manage', 'registries.manage', 'audit.read', 'audit.export', 'users.manage'] as const)
      expect(can('operator', a), a).toBe(false);
  });

  it('admins may do everything; nobody signed in may do nothing', () => {
    expect(can('admin', 'audit.export')).toBe(true);
    expect(can('admin', 'hosts.manage')).toBe(true);
    expect(can(null, 'operate')).toBe(false);
    expect(can(undefined, 'audit.read')).toBe(false);
  });
});
