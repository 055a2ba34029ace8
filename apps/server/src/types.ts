import type { MessageParams } from '@mirador/contract';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { Role } from '@mirador/contract';
import type { Actor } from './audit/audit.service.js';
import type { AuditSpec, RouteAudit, TargetNames } from './audit/audit-target.js';
import type { Identity } from './auth/identity.js';

export interface AuditTarget {
  type?: string | null;
  id?: string | null;
  name?: string | null;
  hostId?: string | null;
}

declare module 'fastify' {
  // The type parameters, names included, must repeat Fastify's declaration for the two to merge; most go unused here.
  /* eslint-disable @typescript-eslint/no-unused-vars */
  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /* eslint-enable @typescript-eslint/no-unused-vars */
    /**
     * How a mutating call is named in the audit log: its action and what it acts on, checked
     * against this route's schemas (see audit/audit-target.ts). The audit plugin moves it into
     * `config.audit` when the route is registered.
     */
    audit?: RouteAudit<TypeProvider, NoInfer<SchemaCompiler>>;
  }

  interface FastifyContextConfig {
    /** Reachable without logging in (login, setup, health). */
    public?: boolean;
    /** Minimum role; default viewer for reads, operator for mutations. */
    role?: Role;
    /** The route's `audit` option, once registered; false only for calls audited by hand. */
    audit?: AuditSpec | false;
  }
  interface FastifyRequest {
    identity: Identity | null;
    /** Adds what only the handler learned (e.g. the name of a row it deleted) to the route's declared target. */
    auditNames(names: TargetNames): void;
    auditActor: Actor | null;
    auditParams: unknown;
    /**
     * Set when the call answered 2xx but the action itself failed (e.g. a connection test): the English
     * text, or the text with the code (and values) the audit page translates it with.
     */
    auditFailure: string | { message: string; code: string; params?: MessageParams } | null;
  }
}
