import type { Role } from '@mirador/contract';
import type { RouteEntry } from '../../src/auth/auth.plugin.js';
import type { SecurityLab } from './fixtures.js';

export const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** The minimum role the server enforces for a route before its handler (the auth guard's rule). */
export function minRole(r: RouteEntry): Role {
  return (r.role as Role | null) ?? (READS.has(r.method) ? 'viewer' : 'operator');
}

/** Every route a login protects, once per method (HEAD mirrors GET), from the server's own route table. */
export function protectedRoutes(s: SecurityLab): RouteEntry[] {
  return s.live.test.app.routeTable.filter((r) => !r.public && r.method !== 'HEAD' && r.url.startsWith('/api/'));
}

/**
 * Fills a route's parameters with real targets, so that a request the guard failed to stop would
 * act on something real (and the snapshot would show it).
 */
export function concretePath(s: SecurityLab, r: RouteEntry): string {
  const url = r.url;
  const isVm = /\/vms|vm-stats|virt-resources/.test(url);
  const values: Record<string, string> = {
    hostId: isVm ? s.sshHostId : s.localHostId,
    name: isVm ? s.vmName : 'sec-no-such-volume',
    action: isVm ? 'start' : 'stop',
    image: encodeURIComponent(s.lab.dockerImage),
    network: 'bridge',
  };
  return url.replace(/:([A-Za-z]+)/g, (_m, p: string) => {
    if (p === 'id') {
      if (url.startsWith('/api/hosts/:id')) return s.sshHostId;
      if (url.startsWith('/api/users/:id')) return s.users.viewer.id;
      if (url.includes('/containers/:id')) return s.container.name;
      return 'sec-no-such-id';
    }
    return values[p] ?? `sec-${p}`;
  });
}

/** Routes whose minimum role is pinned here, so a change that weakens one fails the suite. */
export const PINNED_ADMIN: RegExp[] = [
  /^(GET|POST|PATCH|DELETE) \/api\/users/,
  /^GET \/api\/audit/,
  /^POST \/api\/hosts\/:id\/forget-host-key$/,
  // Testing an unsaved host connects wherever the body says, with the credentials it carries: as adding one.
  /^POST \/api\/hosts\/test$/,
  /^PUT \/api\/hosts\/:hostId\/docker\/policy$/,
  /^(POST|PATCH|DELETE) \/api\/registries/,
  // A storage pool names a host directory libvirt writes into.
  /^POST \/api\/hosts\/:hostId\/storage-pools(\/preview)?$/,
  // Accepting a security risk takes it off the score for everyone.
  /^(POST|DELETE) \/api\/security\/findings\/:id\/acknowledge$/,
];

/**
 * Mutations a viewer may make: about their own account, and asking for a screen ticket (it lets them
 * watch a VM's screen, which they may already do; the server drops a viewer's input on the screen).
 */
export const SELF_SERVICE = new Set([
  'POST /api/auth/password',
  'DELETE /api/auth/sessions/:id',
  'POST /api/auth/tokens',
  'DELETE /api/auth/tokens/:id',
  'POST /api/hosts/:hostId/vms/:name/vnc/ticket',
]);
