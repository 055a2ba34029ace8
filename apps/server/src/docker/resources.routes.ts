import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateNetworkBody,
  CreateVolumeBody,
  DockerHostParams,
  NetworkConnectBody,
  NetworkDetail,
  NetworkList,
  NetworkParams,
  NetworkSummary,
  PruneResult,
  RemoveResult,
  RemoveVolumeQuery,
  VolumeDetail,
  VolumeList,
  VolumeParams,
  VolumeSummary,
  errorResponses,
} from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';

const volumeTarget = { type: 'volume', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;
const networkTarget = { type: 'network', id: 'params.network', name: 'params.network', hostId: 'params.hostId' } as const;
const hostTarget = { type: 'host', id: 'params.hostId', hostId: 'params.hostId' } as const;

/** Volumes and networks: small CRUD surfaces over the warm inventory. */
export default async function resourcesRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { volumes, networks } = app.docker;

  app.get(
    '/hosts/:hostId/volumes',
    {
      schema: {
        tags: ['volumes'],
        summary: 'Volumes (with the containers using each)',
        params: DockerHostParams,
        response: { 200: VolumeList, ...errorResponses },
      },
    },
    async (req) => ({ items: await volumes.list(req.params.hostId) }),
  );

  app.post(
    '/hosts/:hostId/volumes',
    {
      audit: { action: 'volume.create', target: { type: 'volume', id: 'body.name', name: 'body.name', hostId: 'params.hostId' } },
      schema: {
        tags: ['volumes'],
        summary: 'Create a volume',
        params: DockerHostParams,
        body: CreateVolumeBody,
        response: { 201: VolumeSummary, ...errorResponses },
      },
    },
    async (req, reply) => {
      return reply
        .status(201)
        .send(await volumes.create(req.params.hostId, req.body, { isAdmin: roleAtLeast(req.identity!.user.role, 'admin') }));
    },
  );

  app.get(
    '/hosts/:hostId/volumes/prune',
    {
      schema: {
        tags: ['volumes'],
        summary: 'What a volume prune would delete (unused anonymous volumes; nothing is deleted)',
        params: DockerHostParams,
        response: { 200: PruneResult, ...errorResponses },
      },
    },
    async (req) => volumes.prunePreview(req.params.hostId),
  );

  app.post(
    '/hosts/:hostId/volumes/prune',
    {
      audit: { action: 'volume.prune', target: hostTarget },
      schema: {
        tags: ['volumes'],
        summary: 'Delete unused anonymous volumes',
        params: DockerHostParams,
        response: { 200: PruneResult, ...errorResponses },
      },
    },
    async (req) => volumes.prune(req.params.hostId),
  );

  app.get(
    '/hosts/:hostId/volumes/:name',
    {
      schema: { tags: ['volumes'], summary: 'Inspect a volume', params: VolumeParams, response: { 200: VolumeDetail, ...errorResponses } },
    },
    async (req) => volumes.detail(req.params.hostId, req.params.name),
  );

  app.delete(
    '/hosts/:hostId/volumes/:name',
    {
      audit: { action: 'volume.remove', target: volumeTarget },
      schema: {
        tags: ['volumes'],
        summary: 'Remove a volume (its data is gone)',
        params: VolumeParams,
        querystring: RemoveVolumeQuery,
        response: { 200: RemoveResult, ...errorResponses },
      },
    },
    async (req) => volumes.remove(req.params.hostId, req.params.name, req.query.force ?? false),
  );

  app.get(
    '/hosts/:hostId/networks',
    {
      schema: {
        tags: ['networks'],
        summary: 'Networks (with their containers)',
        params: DockerHostParams,
        response: { 200: NetworkList, ...errorResponses },
      },
    },
    async (req) => ({ items: await networks.list(req.params.hostId) }),
  );

  app.post(
    '/hosts/:hostId/networks',
    {
      audit: { action: 'network.create', target: { type: 'network', id: 'body.name', name: 'body.name', hostId: 'params.hostId' } },
      schema: {
        tags: ['networks'],
        summary: 'Create a network (icc=false isolates its containers from each other)',
        params: DockerHostParams,
        body: CreateNetworkBody,
        response: { 201: NetworkSummary, ...errorResponses },
      },
    },
    async (req, reply) => {
      return reply
        .status(201)
        .send(await networks.create(req.params.hostId, req.body, { isAdmin: roleAtLeast(req.identity!.user.role, 'admin') }));
    },
  );

  app.get(
    '/hosts/:hostId/networks/:network',
    {
      schema: {
        tags: ['networks'],
        summary: 'Inspect a network',
        params: NetworkParams,
        response: { 200: NetworkDetail, ...errorResponses },
      },
    },
    async (req) => networks.detail(req.params.hostId, req.params.network),
  );

  app.delete(
    '/hosts/:hostId/networks/:network',
    {
      audit: { action: 'network.remove', target: networkTarget },
      schema: {
        tags: ['networks'],
        summary: 'Remove a network',
        params: NetworkParams,
        response: { 200: RemoveResult, ...errorResponses },
      },
    },
    async (req) => networks.remove(req.params.hostId, req.params.network),
  );

  app.post(
    '/hosts/:hostId/networks/:network/connect',
    {
      audit: { action: 'network.connect', target: networkTarget },
      schema: {
        tags: ['networks'],
        summary: 'Connect a container',
        params: NetworkParams,
        body: NetworkConnectBody,
        response: { 200: NetworkSummary, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { container: req.body.container, aliases: req.body.aliases ?? [] };
      return (await networks.connect(req.params.hostId, req.params.network, req.body.container, req.body.aliases)).network;
    },
  );

  app.post(
    '/hosts/:hostId/networks/:network/disconnect',
    {
      audit: { action: 'network.disconnect', target: networkTarget },
      schema: {
        tags: ['networks'],
        summary: 'Disconnect a container',
        params: NetworkParams,
        body: NetworkConnectBody,
        response: { 200: NetworkSummary, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { container: req.body.container, force: req.body.force ?? false };
      return (await networks.disconnect(req.params.hostId, req.params.network, req.body.container, req.body.force ?? false)).network;
    },
  );
}
