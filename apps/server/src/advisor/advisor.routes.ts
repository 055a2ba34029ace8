import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AcknowledgeFindingBody,
  FindingParams,
  SecurityExportQuery,
  SecurityFinding,
  SecurityFindingList,
  SecurityFindingsQuery,
  Task,
  errorResponses,
} from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { findingsCsv } from './findings-csv.js';

const userOf = (req: FastifyRequest) => ({ id: req.identity!.user.id, name: req.identity!.user.username });

/**
 * The security advisor's API. Everyone may read findings (they say what is weak, not how to get in);
 * accepting a risk is a decision about the fleet, so acknowledging is the admins'; pressing a fix
 * button recreates a container, which operators may do anyway (under the engine's policy).
 */
export default async function advisorRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { findings, fixer } = app.advisor;
  const tags = ['security'];
  const findingTarget = { type: 'security-finding', id: 'params.id', fromResult: { name: 'target.name', hostId: 'hostId' } } as const;

  app.get(
    '/security/findings',
    {
      schema: {
        tags,
        summary: 'Security findings (Docker and host rules) with the fleet and per-host scores; recomputed when the inventory changes',
        querystring: SecurityFindingsQuery,
        response: { 200: SecurityFindingList, ...errorResponses },
      },
    },
    async (req) => findings.list(req.query),
  );

  app.get(
    '/security/findings/export',
    {
      schema: { tags, summary: 'Export the findings as JSON or CSV (acknowledged ones included)', querystring: SecurityExportQuery },
    },
    async (req, reply) => {
      const list = await findings.list(req.query.hostId ? { hostId: req.query.hostId } : {});
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply.header('content-disposition', `attachment; filename="mirador-security-${stamp}.${req.query.format}"`);
      if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(findingsCsv(list.items));
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(list, null, 2));
    },
  );

  app.post(
    '/security/findings/:id/acknowledge',
    {
      config: { role: 'admin' },
      audit: { action: 'security.finding.acknowledge', target: findingTarget },
      schema: {
        tags,
        summary: 'Accept a finding with a reason: it stays listed but no longer counts against the score',
        params: FindingParams,
        body: AcknowledgeFindingBody,
        response: { 200: SecurityFinding, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { reason: req.body.reason };
      const f = await findings.acknowledge(req.params.id, req.body.reason.trim(), userOf(req));
      req.auditParams = { reason: req.body.reason, ruleId: f.ruleId, target: `${f.target.kind} ${f.target.id}` };
      return f;
    },
  );

  app.delete(
    '/security/findings/:id/acknowledge',
    {
      config: { role: 'admin' },
      audit: { action: 'security.finding.unacknowledge', target: findingTarget },
      schema: {
        tags,
        summary: 'Withdraw the acknowledgement of a finding: it counts against the score again',
        params: FindingParams,
        response: { 200: SecurityFinding, ...errorResponses },
      },
    },
    async (req) => {
      const f = await findings.unacknowledge(req.params.id);
      req.auditParams = { ruleId: f.ruleId, target: `${f.target.kind} ${f.target.id}` };
      return f;
    },
  );

  app.post(
    '/security/findings/:id/fix',
    {
      audit: {
        action: 'security.finding.fix',
        target: { type: 'security-finding', id: 'params.id', fromResult: { name: 'target.name', hostId: 'target.hostId' } },
      },
      schema: {
        tags,
        summary: "Apply a finding's fix (a task): re-checks the finding, then recreates the container with the hardening added",
        params: FindingParams,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { task, finding } = await fixer.fix(req.params.id, { isAdmin: roleAtLeast(req.identity!.user.role, 'admin') }, userOf(req));
      req.auditParams = { ruleId: finding.ruleId, fix: finding.fixAction?.kind ?? null };
      return reply.status(202).send(task);
    },
  );
}
