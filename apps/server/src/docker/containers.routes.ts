import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ContainerAction,
  ContainerActionBody,
  ContainerActionResult,
  ContainerDetail,
  ContainerList,
  ContainerListQuery,
  ContainerParams,
  ContainerStatsPoint,
  ContainerTop,
  CreateContainerBody,
  CreateContainerPreview,
  CreateContainerResult,
  DockerHostParams,
  FleetStats,
  LogsQuery,
  RemoveContainerQuery,
  RemoveResult,
  RenameContainerBody,
  errorResponses,
} from '@mirador/contract';
import { dockerCommands } from '@mirador/docker';
import { roleAtLeast } from '../auth/auth.service.js';
import { streamLogsAsText } from './container-logs.js';

const ActionParams = Type.Object({ ...ContainerParams.properties, action: ContainerAction });

const containerTarget = { type: 'container', id: 'params.id', name: 'params.id', hostId: 'params.hostId' } as const;

const callerOf = (req: FastifyRequest) => ({ isAdmin: roleAtLeast(req.identity!.user.role, 'admin') });

export default async function containersRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const containers = app.docker.containers;
  const tags = ['containers'];

  app.get(
    '/docker/containers',
    {
      schema: {
        tags,
        summary: 'Containers of every engine (served from the live inventory)',
        querystring: ContainerListQuery,
        response: { 200: ContainerList, ...errorResponses },
      },
    },
    async (req) => containers.list(null, req.query),
  );

  app.get(
    '/hosts/:hostId/containers',
    {
      schema: {
        tags,
        summary: "One engine's containers",
        params: DockerHostParams,
        querystring: ContainerListQuery,
        response: { 200: ContainerList, ...errorResponses },
      },
    },
    async (req) => containers.list(req.params.hostId, req.query),
  );

  app.post(
    '/hosts/:hostId/containers/preview',
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The `docker run` line, warnings and policy refusals for a create body (nothing runs)',
        params: DockerHostParams,
        body: CreateContainerBody,
        response: { 200: CreateContainerPreview, ...errorResponses },
      },
    },
    async (req) => containers.preview(req.params.hostId, req.body, callerOf(req)),
  );

  app.post(
    '/hosts/:hostId/containers',
    {
      audit: {
        action: 'container.create',
        target: { type: 'container', id: 'body.name', name: 'body.name', hostId: 'params.hostId', fromResult: { id: 'id', name: 'name' } },
      },
      schema: {
        tags,
        summary: 'Create (and by default start) a container, pulling its image when missing',
        params: DockerHostParams,
        body: CreateContainerBody,
        response: { 201: CreateContainerResult, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { ...req.body, env: req.body.env?.map((e) => `${e.split('=')[0]}=…`) };
      return reply.status(201).send(await containers.create(req.params.hostId, req.body, callerOf(req)));
    },
  );

  app.get(
    '/hosts/:hostId/containers/:id',
    {
      schema: {
        tags,
        summary: 'One container: summary, its settings (create-body shape), inspect, and the `docker run` that recreates it',
        params: ContainerParams,
        response: { 200: ContainerDetail, ...errorResponses },
      },
    },
    async (req) => containers.detail(req.params.hostId, req.params.id, { isOperator: roleAtLeast(req.identity!.user.role, 'operator') }),
  );

  app.get(
    '/hosts/:hostId/containers/:id/top',
    {
      schema: { tags, summary: 'Processes (`docker top`)', params: ContainerParams, response: { 200: ContainerTop, ...errorResponses } },
    },
    async (req) => containers.top(req.params.hostId, req.params.id),
  );

  app.get(
    '/hosts/:hostId/containers/:id/stats',
    {
      schema: {
        tags,
        summary: 'One stats sample (live samples: realtime topic container-stats:<hostId>:<id>)',
        params: ContainerParams,
        response: { 200: ContainerStatsPoint, ...errorResponses },
      },
    },
    async (req) => app.docker.stats.sample(req.params.hostId, req.params.id),
  );

  app.get(
    '/docker/fleet-stats',
    {
      schema: {
        tags,
        summary: 'Latest CPU/memory of every running container (live: realtime topic docker-fleet)',
        response: { 200: FleetStats, ...errorResponses },
      },
    },
    async () => app.docker.stats.fleetSnapshot(),
  );

  app.get(
    '/hosts/:hostId/containers/:id/logs',
    {
      schema: {
        tags,
        summary: 'Logs as a plain-text download (stderr lines marked when both streams are asked for)',
        params: ContainerParams,
        querystring: LogsQuery,
      },
    },
    async (req, reply) => {
      const { engine, id, name } = await containers.resolve(req.params.hostId, req.params.id);
      const stream = await streamLogsAsText(engine, id, req.query);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}-${stamp}.log"`)
        .header('x-docker-command', dockerCommands.logs(name, req.query))
        .send(stream);
    },
  );

  app.post(
    '/hosts/:hostId/containers/:id/:action',
    {
      audit: { action: 'container.action', target: containerTarget },
      schema: {
        tags,
        summary: 'start | stop | restart | kill | pause | unpause (answers once the engine has)',
        params: ActionParams,
        body: Type.Optional(ContainerActionBody),
        response: { 200: ContainerActionResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { action: req.params.action, ...(req.body ?? {}) };
      return containers.action(req.params.hostId, req.params.id, req.params.action, req.body ?? {}, callerOf(req));
    },
  );

  app.post(
    '/hosts/:hostId/containers/:id/rename',
    {
      audit: { action: 'container.rename', target: containerTarget },
      schema: {
        tags,
        summary: 'Rename',
        params: ContainerParams,
        body: RenameContainerBody,
        response: { 200: ContainerActionResult, ...errorResponses },
      },
    },
    async (req) => containers.rename(req.params.hostId, req.params.id, req.body.name),
  );

  app.post(
    '/hosts/:hostId/containers/:id/recreate',
    {
      audit: { action: 'container.recreate', target: containerTarget },
      schema: {
        tags,
        summary: 'Recreate with changed settings, keeping its volumes (rolls back if the new one fails)',
        params: ContainerParams,
        body: CreateContainerBody,
        response: { 200: CreateContainerResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { ...req.body, env: req.body.env?.map((e) => `${e.split('=')[0]}=…`) };
      return containers.recreate(req.params.hostId, req.params.id, req.body, callerOf(req));
    },
  );

  app.delete(
    '/hosts/:hostId/containers/:id',
    {
      audit: { action: 'container.remove', target: containerTarget },
      schema: {
        tags,
        summary: 'Remove (force: also when running; volumes: its anonymous volumes too)',
        params: ContainerParams,
        querystring: RemoveContainerQuery,
        response: { 200: RemoveResult, ...errorResponses },
      },
    },
    async (req) =>
      containers.remove(req.params.hostId, req.params.id, { force: req.query.force ?? false, volumes: req.query.volumes ?? false }),
  );
}
