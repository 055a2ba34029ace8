import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAuditService, type Actor, type AuditService } from './audit.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditService;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function actorOf(req: FastifyRequest): Actor {
  if (req.auditActor) return req.auditActor;
  const id = req.identity;
  if (!id) return { type: 'anonymous', id: null, name: null };
  return { type: id.via === 'token' ? 'token' : 'user', id: id.user.id, name: id.user.username };
}

function errorMessageOf(payload: unknown): string | null {
  if (typeof payload !== 'string') return null;
  try {
    const parsed = JSON.parse(payload) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : null;
  } catch {
    return null;
  }
}

/**
 * Audits every mutating API call — accepted, refused or failed — before its response
 * leaves the server, so a client that saw an answer can always find the record.
 */
export default fp(
  async function auditPlugin(app: FastifyInstance) {
    app.decorate('audit', createAuditService({ db: app.db, bus: app.bus, onError: (err) => app.log.error({ err }, 'audit append failed') }));
    app.decorateRequest('auditTarget', null);
    app.decorateRequest('auditActor', null);
    app.decorateRequest('auditParams', undefined);
    app.decorateRequest('auditFailure', null);

    app.addHook('onSend', async (req, reply, payload) => {
      if (!MUTATING.has(req.method) || !req.url.startsWith('/api/')) return payload;
      const spec = req.routeOptions.config?.audit;
      if (spec === false) return payload;
      const params = req.params as Record<string, string> | undefined;
      const ok = reply.statusCode < 400 && !req.auditFailure;
      try {
        await app.audit.append({
          actor: actorOf(req),
          sourceIp: req.ip,
          action: spec?.action ?? `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
          target: req.auditTarget ?? { type: spec?.targetType ?? null, id: params?.id ?? null },
          params: req.auditParams !== undefined ? req.auditParams : { params: req.params, query: req.query, body: req.body },
          result: ok ? 'ok' : 'error',
          errorMessage: ok ? null : (req.auditFailure ?? errorMessageOf(payload) ?? `HTTP ${reply.statusCode}`),
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
