import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AuditActionInfo, AuditExportQuery, AuditPage, AuditQuery, AuditVerify, errorResponses, type AuditEntry } from '@mirador/contract';
import { auditCatalog } from './audit-catalog.js';

const CSV_COLUMNS = [
  'seq',
  'at',
  'actorType',
  'actor',
  'sourceIp',
  'action',
  'targetType',
  'targetId',
  'targetName',
  'hostId',
  'result',
  'errorMessage',
  'statusCode',
  'durationMs',
  'params',
  'prevHash',
  'hash',
  // Later additions go last, so the columns of older exports keep their places.
  'taskId',
] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  // Spreadsheet apps execute cells starting with these characters; prefixing keeps exports inert.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(e: AuditEntry): string {
  const values = [
    e.seq,
    e.at,
    e.actor.type,
    e.actor.name,
    e.sourceIp,
    e.action,
    e.target.type,
    e.target.id,
    e.target.name,
    e.target.hostId,
    e.result,
    e.errorMessage,
    e.statusCode,
    e.durationMs,
    e.params,
    e.prevHash,
    e.hash,
    e.taskId,
  ];
  return values.map(csvCell).join(',') + '\r\n';
}

/** Reading the audit log is for admins: it shows everyone's actions and source addresses. */
export default async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['audit'];

  app.get(
    '/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Search the audit log (newest first, paged by `before`)',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (req) => app.audit.query(req.query),
  );

  app.get(
    '/audit/actions',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Every action the server can record (for filters and labels)',
        response: { 200: Type.Array(AuditActionInfo), ...errorResponses },
      },
    },
    async () => auditCatalog(app.auditDeclarations),
  );

  app.get(
    '/audit/verify',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Recompute the hash chain and report whether it is intact',
        response: { 200: AuditVerify, ...errorResponses },
      },
    },
    async () => app.audit.verify(),
  );

  app.get(
    '/audit/export',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Export matching entries as CSV or JSON (oldest first)', querystring: AuditExportQuery },
    },
    async (req, reply) => {
      const { format, ...filters } = req.query;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const entries = app.audit.iterate(filters);
      reply.header('content-disposition', `attachment; filename="mirador-audit-${stamp}.${format}"`);
      async function* body() {
        if (format === 'csv') {
          yield CSV_COLUMNS.join(',') + '\r\n';
          for await (const e of entries) yield csvRow(e);
        } else {
          yield '[';
          let first = true;
          for await (const e of entries) {
            yield (first ? '\n' : ',\n') + JSON.stringify(e);
            first = false;
          }
          yield '\n]\n';
        }
      }
      reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      const { Readable } = await import('node:stream');
      return reply.send(Readable.from(body()));
    },
  );
}
