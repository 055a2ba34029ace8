import fp from 'fastify-plugin';
import type { MessageParams } from '@mirador/contract';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAuditService, type Actor, type AuditService } from './audit.service.js';
import { judgePath } from '../http/canonical-path.js';
import { createRefusalThrottle } from './refusal-throttle.js';
import { resolveTarget, type TargetNames } from './audit-target.js';
import { withoutEnvValues } from './redact.js';
import type { DeclaredRoute } from './audit-catalog.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditService;
    /** Every route's declared audit action, as routes are registered (the catalog: audit-catalog.ts). */
    auditDeclarations: DeclaredRoute[];
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function actorOf(req: FastifyRequest): Actor {
  if (req.auditActor) return req.auditActor;
  const id = req.identity;
  if (!id) return { type: 'anonymous', id: null, name: null };
  return { type: id.via === 'token' ? 'token' : 'user', id: id.user.id, name: id.user.username };
}

interface Failure {
  message: string;
  code?: string;
  params?: MessageParams;
}

const isParams = (v: unknown): v is MessageParams =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number');

/** Why an error answer failed, as the client read it: its English text with the code and values the UI translates. */
function failureOf(payload: unknown): Failure | null {
  if (typeof payload !== 'string') return null;
  try {
    const parsed = JSON.parse(payload) as { message?: unknown; code?: unknown; params?: unknown };
    if (typeof parsed.message !== 'string') return null;
    return {
      message: parsed.message,
      ...(typeof parsed.code === 'string' ? { code: parsed.code } : {}),
      ...(isParams(parsed.params) ? { params: parsed.params } : {}),
    };
  } catch {
    return null;
  }
}

/** The record's outcome fields for a failed call. */
function failureFields(req: FastifyRequest, payload: unknown, statusCode: number) {
  const f: Failure = (typeof req.auditFailure === 'string' ? { message: req.auditFailure } : req.auditFailure) ??
    failureOf(payload) ?? { message: `HTTP ${statusCode}` };
  return { errorMessage: f.message, errorCode: f.code ?? null, errorParams: f.params ?? null };
}

/** The task a 202 answer started (every such route answers with the Task). */
function acceptedTask(answer: unknown): { taskId: string; taskType: string } | null {
  if (answer === null || typeof answer !== 'object') return null;
  const { id, type } = answer as { id?: unknown; type?: unknown };
  return typeof id === 'string' && typeof type === 'string' ? { taskId: id, taskType: type } : null;
}

/** The request's parameters with the task it started beside them (top level: the log finds it there). */
function withTask(params: unknown, task: { taskId: string; taskType: string } | null): unknown {
  if (!task) return params;
  return params !== null && typeof params === 'object' && !Array.isArray(params)
    ? { ...params, ...task }
    : { request: params ?? null, ...task };
}

/**
 * Audits every mutating API call — accepted, refused or failed — before its response
 * leaves the server, so a client that saw an answer can always find the record.
 */
export default fp(
  async function auditPlugin(app: FastifyInstance) {
    app.decorate(
      'audit',
      createAuditService({
        db: app.db,
        bus: app.bus,
        key: app.auditKey,
        headFile: join(app.config.dataDir, 'audit-head.json'),
        onError: (err) => app.log.error({ err }, 'audit append failed'),
      }),
    );
    // What handlers add to their route's declared target, and the 2xx answers that name it (fromResult).
    const named = new WeakMap<FastifyRequest, TargetNames>();
    const answers = new WeakMap<FastifyRequest, unknown>();
    app.decorateRequest('auditNames', function (this: FastifyRequest, names: TargetNames) {
      named.set(this, { ...named.get(this), ...names });
    });
    app.decorateRequest('auditActor', null);
    app.decorateRequest('auditParams', undefined);
    app.decorateRequest('auditFailure', null);

    const budget = app.config.auditAnonymousRefusalsPerMinute;
    const refusals = createRefusalThrottle({ perMinute: budget });
    const appendFolded = (ip: string, count: number, since: number) =>
      app.audit
        .append({
          actor: { type: 'anonymous', id: null, name: null },
          sourceIp: ip,
          action: 'audit.suppressed',
          params: {
            count,
            since: new Date(since).toISOString(),
            why: `more than ${budget} refused requests without a session from this address in a minute; counted, not written one by one`,
          },
          result: 'error',
          errorMessage: `${count} more refused requests without a session from ${ip}`,
        })
        .catch((err) => app.log.error({ err }, 'audit append failed'));
    const flush = setInterval(() => {
      for (const f of refusals.drain()) void appendFolded(f.ip, f.count, f.since);
    }, 60_000);
    flush.unref();
    app.addHook('onClose', async () => {
      clearInterval(flush);
      for (const f of refusals.drain(Number.POSITIVE_INFINITY)) await appendFolded(f.ip, f.count, f.since);
    });

    // The typed `audit` route option (see types.ts) becomes `config.audit`, where every hook can read it.
    const declarations: DeclaredRoute[] = [];
    app.decorate('auditDeclarations', declarations);
    app.addHook('onRoute', (route) => {
      if (route.audit !== undefined) route.config = { ...route.config, audit: route.audit };
      if (route.audit) {
        const responses = (route.schema?.response ?? {}) as Record<string, unknown>;
        declarations.push({ action: route.audit.action, startsTask: Object.hasOwn(responses, '202') });
      }
    });
    // The answer before serialization (objects only), for targets named by what the handler returned.
    // A 202's answer is the task it started: the record names it (see acceptedTask).
    app.addHook('preSerialization', async (req, reply, payload) => {
      const spec = req.routeOptions.config?.audit;
      if (reply.statusCode === 202 || (spec && spec.target?.fromResult && reply.statusCode < 300)) answers.set(req, payload);
      return payload;
    });

    app.addHook('onSend', async (req, reply, payload) => {
      if (!MUTATING.has(req.method)) return payload;
      // The same path judgement as routing and auth: canonical API paths are audited, and so is every
      // mutation refused for a non-canonical path (an attempt worth a record, wherever it aimed).
      const verdict = judgePath(req.url);
      if (verdict.ok && !verdict.isApi) return payload;
      const spec = verdict.ok ? req.routeOptions.config?.audit : undefined;
      // Handlers that audit by hand never ran when the guard refused the call: record the refusal here.
      if (spec === false && reply.statusCode !== 401 && reply.statusCode !== 403) return payload;
      const declared = spec || undefined; // false (audited by hand) names nothing here
      const actor = actorOf(req);
      const ok = reply.statusCode < 400 && !req.auditFailure;
      // Taken on, not done: the task's own record (`task.<kind>`, same task id) says how it ended.
      const accepted = ok && reply.statusCode === 202;
      const task = accepted ? acceptedTask(answers.get(req)) : null;
      // Refused before anyone was identified: the record says who (the address), what and why;
      // the body and query of an unauthenticated caller are not worth storing, and such refusals
      // are folded into counts past a budget per address (see refusal-throttle.ts).
      const anonymousRefusal = actor.type === 'anonymous' && reply.statusCode >= 400 && reply.statusCode < 500;
      if (anonymousRefusal) {
        const { write, folded } = refusals.admit(req.ip);
        if (folded) await appendFolded(req.ip, folded.count, folded.since);
        if (!write) return payload;
      }
      try {
        await app.audit.append({
          actor,
          sourceIp: req.ip,
          action:
            declared?.action ??
            (verdict.ok
              ? `${req.method} ${req.routeOptions.url ?? verdict.path}`
              : `request.refused ${req.method} ${verdict.path.slice(0, 200)}`),
          target: resolveTarget(declared?.target, { req, trusted: !anonymousRefusal, result: answers.get(req), named: named.get(req) }),
          params: withTask(
            req.auditParams !== undefined
              ? req.auditParams
              : anonymousRefusal
                ? { params: req.params }
                : { params: req.params, query: req.query, body: withoutEnvValues(req.body) },
            task,
          ),
          result: accepted ? 'accepted' : ok ? 'ok' : 'error',
          ...(ok ? { errorMessage: null } : failureFields(req, payload, reply.statusCode)),
          statusCode: reply.statusCode,
          durationMs: reply.elapsedTime,
        });
      } catch (err) {
        req.log.error({ err }, 'could not write the audit record');
      }
      return payload;
    });
  },
  { name: 'audit', dependencies: ['infra'] },
);
