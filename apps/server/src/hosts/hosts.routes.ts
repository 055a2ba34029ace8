import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreateHostBody, Host, HostListQuery, HostTestResult, IdParams, UpdateHostBody, errorResponses } from '@mirador/contract';
import { createHostsService } from './hosts.service.js';
import { assertMayChangeHostFields } from './host-access.js';
import { startHostMonitor } from './host-monitor.js';

const hostTarget = { type: 'host', id: 'params.id', hostId: 'params.id' } as const;
const hostFromResult = { id: 'id', name: 'name', hostId: 'id' } as const;

/** A failed connection test's record: the host's own words, inside a sentence the audit page translates. */
function hostTestFailure(result: HostTestResult) {
  const message = result.error?.message ?? 'connection test failed';
  return { message, code: 'host.testFailed', params: { detail: message } };
}

export default async function hostsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const hosts = createHostsService({ db: app.db, secrets: app.secrets, bus: app.bus, localDockerSocket: app.config.dockerSocket });
  const tags = ['hosts'];

  if (app.config.hostCheckIntervalSeconds > 0) {
    const monitor = startHostMonitor({ hosts, intervalMs: app.config.hostCheckIntervalSeconds * 1000, log: app.log });
    app.addHook('onClose', async () => monitor.stop());
  }

  app.addHook('onReady', async () => {
    const local = await hosts.ensureLocalEndpoint(app.config.dockerSocket);
    if (local) {
      app.log.info({ socket: app.config.dockerSocket }, 'added the local Docker endpoint to the inventory');
      await app.audit.append({
        actor: { type: 'system', id: null, name: 'mirador' },
        action: 'host.create',
        target: { type: 'host', id: local.id, name: local.name },
        params: { kind: 'local', dockerSocket: app.config.dockerSocket },
        result: 'ok',
      });
    }
    for (const h of await hosts.list()) {
      if (h.libvirtProblem) app.log.warn({ host: h.name }, h.libvirtProblem);
    }
  });

  app.get(
    '/hosts',
    {
      schema: { tags, summary: 'List hosts', querystring: HostListQuery, response: { 200: Type.Array(Host), ...errorResponses } },
    },
    async (req) => hosts.list(req.query),
  );

  // Adding a host defines how Mirador reaches it as root (address, credentials, libvirt, Docker): admin only.
  app.post(
    '/hosts',
    {
      config: { role: 'admin' },
      audit: { action: 'host.create', target: { type: 'host', name: 'body.name', fromResult: hostFromResult } },
      schema: { tags, summary: 'Add a host reached over SSH', body: CreateHostBody, response: { 201: Host, ...errorResponses } },
    },
    async (req, reply) => reply.status(201).send(await hosts.create(req.body)),
  );

  // Connects to a host that is not saved yet (address, credentials, libvirt, Docker from the add form):
  // as powerful as adding it, so the same role and the same schema rules; nothing is stored.
  app.post(
    '/hosts/test',
    {
      config: { role: 'admin' },
      audit: { action: 'host.test', target: { type: 'host', name: 'body.name' } },
      schema: {
        tags,
        summary: 'Test an unsaved host: the SSH host key it presents and what it offers (stores nothing)',
        body: CreateHostBody,
        response: { 200: HostTestResult, ...errorResponses },
      },
    },
    async (req) => {
      const result = await hosts.testUnsaved(req.body);
      req.auditParams = { address: req.body.address, port: req.body.port ?? 22, hostKey: result.hostKey, facts: result.facts };
      if (!result.ok) req.auditFailure = hostTestFailure(result);
      return result;
    },
  );

  app.get(
    '/hosts/:id',
    {
      schema: { tags, summary: 'One host', params: IdParams, response: { 200: Host, ...errorResponses } },
    },
    async (req) => hosts.get(req.params.id),
  );

  app.patch(
    '/hosts/:id',
    {
      audit: { action: 'host.update', target: { ...hostTarget, fromResult: hostFromResult } },
      schema: {
        tags,
        summary: 'Change a host (secrets are replaced only when sent; operators may change only name, tags and notes)',
        params: IdParams,
        body: UpdateHostBody,
        response: { 200: Host, ...errorResponses },
      },
      preValidation: async (req) => assertMayChangeHostFields(req.identity?.user.role, req.body),
    },
    async (req) => hosts.update(req.params.id, req.body),
  );

  // Removing a host drops its pinned key and credentials: re-adding it is an admin's call, so is this.
  app.delete(
    '/hosts/:id',
    {
      config: { role: 'admin' },
      audit: { action: 'host.delete', target: hostTarget },
      schema: {
        tags,
        summary: 'Remove a host from the inventory (nothing on the host is touched)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const h = await hosts.remove(req.params.id);
      req.auditNames({ id: h.id, name: h.name, hostId: h.id });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/hosts/:id/test',
    {
      audit: { action: 'host.test', target: hostTarget },
      schema: {
        tags,
        summary: 'Connect, pin the SSH host key on first use, and report what the host offers',
        params: IdParams,
        response: { 200: HostTestResult, ...errorResponses },
      },
    },
    async (req) => {
      const { host, result } = await hosts.test(req.params.id);
      req.auditNames({ id: host.id, name: host.name, hostId: host.id });
      req.auditParams = { hostKey: result.hostKey, facts: result.facts };
      if (!result.ok) req.auditFailure = hostTestFailure(result);
      return result;
    },
  );

  app.post(
    '/hosts/:id/forget-host-key',
    {
      config: { role: 'admin' },
      audit: { action: 'host.hostkey.forget', target: { ...hostTarget, fromResult: hostFromResult } },
      schema: {
        tags,
        summary: 'Forget the pinned SSH host key; the next connection pins a new one',
        params: IdParams,
        response: { 200: Host, ...errorResponses },
      },
    },
    async (req) => hosts.forgetHostKey(req.params.id),
  );
}
