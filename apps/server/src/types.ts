import type { Role } from '@mirador/contract';
import type { Actor } from './audit/audit.service.js';
import type { Identity } from './auth/identity.js';

export interface AuditTarget {
  type?: string | null;
  id?: string | null;
  name?: string | null;
  hostId?: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without logging in (login, setup, health). */
    public?: boolean;
    /** Minimum role; default viewer for reads, operator for mutations. */
    role?: Role;
    /** How a mutating call is named in the audit log; false only for calls audited by hand. */
    audit?: { action: string; targetType?: string } | false;
  }
  interface FastifyRequest {
    identity: Identity | null;
    /** Handlers fill these in so the audit record names what was acted on. */
    auditTarget: AuditTarget | null;
    auditActor: Actor | null;
    auditParams: unknown;
    /** Set when the call answered 2xx but the action itself failed (e.g. a connection test). */
    auditFailure: string | null;
  }
}
