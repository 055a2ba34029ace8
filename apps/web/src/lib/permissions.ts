/**
 * What each role may do, as the server enforces it (apps/server: a route's `config.role`, else
 * viewer for reads and operator for changes). The UI asks `session.can(action)` before offering a
 * button, so a viewer is never shown something that would answer 403.
 */
import type { Role } from '@mirador/contract';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** The minimum role of each thing the UI offers; named for what the user does, not for routes. */
export const ACTION_ROLES = {
  /** Start/stop/delete VMs and containers, run tasks, create resources on hosts. */
  operate: 'operator',
  /** A shell in a container (exec), the serial console's input. */
  'container.exec': 'operator',
  /** Add or remove hosts, test unsaved hosts, change how Mirador reaches one. */
  'hosts.manage': 'admin',
  /** Store, change, test registry credentials. */
  'registries.manage': 'admin',
  /** Read, verify and export the audit log. */
  'audit.read': 'admin',
  'audit.export': 'admin',
  'users.manage': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTION_ROLES;

export function can(role: Role | null | undefined, action: Action): boolean {
  return !!role && RANK[role] >= RANK[ACTION_ROLES[action]];
}
