import type { FastifyRequest, FastifySchema, FastifyTypeProvider } from 'fastify';
import type { AuditTarget } from '../types.js';

/**
 * What a mutating route acted on, declared next to its schema (the route option `audit`) and
 * resolved by the audit plugin for every outcome: accepted, refused before the handler ran (401,
 * 403, a body that failed validation) or failed inside it.
 *
 * A field names where its value is read: `params.<key>`, `query.<key>`, `body.<key>` or the caller's
 * own account (`caller.id`, `caller.username`). What only the answer knows (a created row's id, a
 * row's name) comes from `fromResult`, paths into the 2xx answer; what only the handler knows (the
 * name of a row it deleted) it hands over with `req.auditNames(...)`.
 *
 * A call refused by the auth guard was refused before its body was read: only its path and query
 * name the target then.
 */
export interface TargetSpec<Source extends string = string, ResultPath extends string = string> {
  type: string;
  id?: Source;
  name?: Source;
  hostId?: Source;
  fromResult?: { id?: ResultPath; name?: ResultPath; hostId?: ResultPath };
}

export interface AuditSpec<Source extends string = string, ResultPath extends string = string> {
  /** The record's action, e.g. `vm.delete`. */
  action: string;
  target?: TargetSpec<Source, ResultPath>;
}

// ---------------------------------------------------------------------------------------------
// Typing: a route's spec may only name string fields its own schemas declare.

type StringValued<T> = NonNullable<T> extends string ? true : false;
/** Keys of an object type whose values are strings (optional and nullable ones included). */
type StringKeys<T> = T extends object
  ? { [K in keyof T & string]-?: StringValued<T[K]> extends true ? K : never }[keyof T & string]
  : never;
/** String fields of the answer, and of its objects one level down (`token.id`). */
type AnswerPaths<T> = T extends object
  ? { [K in keyof T & string]-?: StringValued<T[K]> extends true ? K : `${K}.${StringKeys<NonNullable<T[K]>>}` }[keyof T & string]
  : never;

type Validated<P extends FastifyTypeProvider, S> = (P & { schema: S })['validator'];
type Serialized<P extends FastifyTypeProvider, S> = (P & { schema: S })['serializer'];
type Success = 200 | 201 | 202 | '200' | '201' | '202';
type Answer<P extends FastifyTypeProvider, R> = R extends object
  ? { [K in keyof R]: K extends Success ? Serialized<P, R[K]> : never }[keyof R]
  : never;

export type RequestSource<P extends FastifyTypeProvider, S extends FastifySchema> =
  | `params.${StringKeys<Validated<P, S['params']>>}`
  | `query.${StringKeys<Validated<P, S['querystring']>>}`
  | `body.${StringKeys<Validated<P, S['body']>>}`
  | 'caller.id'
  | 'caller.username';

/** The `audit` route option, checked against the route's own params, query, body and 2xx answers. */
export type RouteAudit<P extends FastifyTypeProvider, S extends FastifySchema> =
  | AuditSpec<RequestSource<P, S>, AnswerPaths<Answer<P, S['response']>>>
  /** Only for routes that audit by hand (or not at all): refusals by the auth guard are still recorded. */
  | false;

// ---------------------------------------------------------------------------------------------
// Resolving

/** Longer values only come from refused requests (every schema caps names below this). */
const MAX_LENGTH = 512;

function read(root: unknown, path: string[]): string | null {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value !== 'string') return null;
  return value.length > MAX_LENGTH ? `${value.slice(0, MAX_LENGTH)}…` : value;
}

export interface TargetInputs {
  req: FastifyRequest;
  /** Whether the body and query may be read: not for a caller refused before anyone was identified. */
  trusted: boolean;
  /** The handler's answer (2xx only), when it had one. */
  result?: unknown;
  /** What the handler handed over with `req.auditNames(...)`. */
  named?: TargetNames | null;
}

/** What a handler may add to its declared target: the type is the route's to say. */
export type TargetNames = Partial<Omit<AuditTarget, 'type'>>;

function fromRequest(source: string | undefined, { req, trusted }: TargetInputs): string | null {
  if (!source) return null;
  const [part, ...path] = source.split('.');
  switch (part) {
    case 'params':
      return read(req.params, path);
    case 'query':
      return trusted ? read(req.query, path) : null;
    case 'body':
      return trusted ? read(req.body, path) : null;
    case 'caller':
      return read(req.identity?.user, path);
    default:
      return null;
  }
}

/**
 * The record's target: what the request names, then what the answer and the handler add.
 * Values the request did not validate (a refusal) are taken only when they are strings.
 */
export function resolveTarget(spec: TargetSpec | undefined, inputs: TargetInputs): AuditTarget {
  // Routes that declare nothing (and requests no route matched) keep the long-standing default.
  if (!spec) return withNames({ type: null, id: read(inputs.req.params, ['id']) }, inputs.named);
  const target: AuditTarget = {
    type: spec.type,
    id: fromRequest(spec.id, inputs),
    name: fromRequest(spec.name, inputs),
    hostId: fromRequest(spec.hostId, inputs),
  };
  if (spec.fromResult && inputs.result !== undefined) {
    for (const field of ['id', 'name', 'hostId'] as const) {
      const path = spec.fromResult[field];
      const value = path ? read(inputs.result, path.split('.')) : null;
      if (value !== null) target[field] = value;
    }
  }
  return withNames(target, inputs.named);
}

function withNames(target: AuditTarget, named: TargetNames | null | undefined): AuditTarget {
  for (const field of ['id', 'name', 'hostId'] as const) if (named?.[field] !== undefined) target[field] = named[field];
  return target;
}
