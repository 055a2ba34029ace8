import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Readable } from 'node:stream';
import { VOLUME_BYTES_MAX } from '@mirador/libvirt';
import {
  CreatePoolBody,
  CreatePoolPreview,
  CreateStorageVolumeBody,
  HostIdParams,
  PoolActionResult,
  PoolAutostartBody,
  StoragePoolParams,
  ResizeVolumeBody,
  StorageActionResult,
  StoragePoolDetail,
  StoragePoolList,
  StorageVolumeList,
  VolumeActionResult,
  StorageVolumeParams,
  UploadVolumeQuery,
  errorResponses,
} from '@mirador/contract';
import { HttpError, badRequest, notFound } from '../lib/http-errors.js';
import { usableLibvirtUri } from '../hosts/libvirt-endpoint.js';
import { createStorageService } from './storage.service.js';
import { actorOf } from '../audit/audit.plugin.js';

const PoolActionParams = Type.Object({
  ...StoragePoolParams.properties,
  action: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('refresh')]),
});

const poolTarget = { type: 'storage-pool', id: 'params.pool', name: 'params.pool', hostId: 'params.hostId' } as const;
const volumeTarget = { type: 'storage-volume', id: 'params.volume', name: 'params.volume', hostId: 'params.hostId' } as const;

/** The upload's size, before a byte of it is read: a client must say it (no chunked uploads). */
function contentLength(header: string | undefined): number {
  if (header === undefined)
    throw new HttpError(411, 'content-length: say the size of the file in the content-length header', { field: 'content-length' });
  const n = /^\d{1,16}$/.test(header) ? Number(header) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > VOLUME_BYTES_MAX)
    throw badRequest(`content-length: must be a whole number of bytes from 1 to ${VOLUME_BYTES_MAX}`, 'content-length');
  return n;
}

/** `/api/hosts/:hostId/storage-pools`: libvirt storage pools and their volumes (issue #10). */
export default async function storageRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const storage = createStorageService({
    async host(hostId) {
      const h = await app.db.host.findUnique({ where: { id: hostId } });
      if (!h) throw notFound('Host');
      if (!h.libvirtUri) throw new HttpError(400, `Host "${h.name}" has no libvirt connection configured`, { field: 'libvirtUri' });
      return { name: h.name, uri: usableLibvirtUri(h.libvirtUri) };
    },
    runner: (hostId) => app.connections.runner(hostId),
    undo: app.undoJournal,
    async vmsOn(hostId) {
      const { items, hosts } = await app.vms.list({ hostId });
      // Refusals ("used by a VM") must not pass just because the VM list is not known yet.
      if (!hosts[0]?.ok) {
        throw new HttpError(503, `Which VMs use this storage is not known yet: ${hosts[0]?.error ?? 'the VM list is still loading'}`, {
          code: 'inventory_unavailable',
        });
      }
      return items;
    },
  });
  const tags = ['storage'];
  const base = '/hosts/:hostId/storage-pools';

  app.get(
    base,
    { schema: { tags, summary: "The host's storage pools", params: HostIdParams, response: { 200: StoragePoolList, ...errorResponses } } },
    async (req) => ({ items: await storage.list(req.params.hostId) }),
  );

  app.get(
    `${base}/:pool`,
    {
      schema: {
        tags,
        summary: 'One pool with its XML and the virsh line of each action',
        params: StoragePoolParams,
        response: { 200: StoragePoolDetail, ...errorResponses },
      },
    },
    async (req) => storage.detail(req.params.hostId, req.params.pool),
  );

  app.post(
    `${base}/preview`,
    {
      // Names a host directory: admins only, like the create itself.
      config: { role: 'admin' },
      audit: false,
      schema: {
        tags,
        summary: 'The XML and virsh lines a dir pool create would run (nothing runs)',
        params: HostIdParams,
        body: CreatePoolBody,
        response: { 200: CreatePoolPreview, ...errorResponses },
      },
    },
    async (req) => storage.preview(req.params.hostId, req.body),
  );

  app.post(
    base,
    {
      config: { role: 'admin' },
      audit: {
        action: 'storage-pool.create',
        target: { type: 'storage-pool', id: 'body.name', name: 'body.name', hostId: 'params.hostId' },
      },
      schema: {
        tags,
        summary: 'Create a dir pool (pool-define, pool-build if the directory is missing, pool-start, pool-autostart)',
        params: HostIdParams,
        body: CreatePoolBody,
        response: { 201: PoolActionResult, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await storage.create(req.params.hostId, req.body)),
  );

  app.post(
    `${base}/:pool/:action`,
    {
      audit: { action: 'storage-pool.action', target: poolTarget },
      schema: {
        tags,
        summary: 'start | stop (pool-destroy: the files stay) | refresh',
        params: PoolActionParams,
        response: { 200: PoolActionResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { action: req.params.action };
      const { hostId, pool, action } = req.params;
      return storage[action](hostId, pool);
    },
  );

  app.put(
    `${base}/:pool/autostart`,
    {
      audit: { action: 'storage-pool.autostart', target: poolTarget },
      schema: {
        tags,
        summary: 'Turn autostart on or off',
        params: StoragePoolParams,
        body: PoolAutostartBody,
        response: { 200: PoolActionResult, ...errorResponses },
      },
    },
    async (req) => storage.setAutostart(req.params.hostId, req.params.pool, req.body.enabled),
  );

  app.delete(
    `${base}/:pool`,
    {
      audit: { action: 'storage-pool.delete', target: poolTarget },
      schema: {
        tags,
        summary: 'Stop and undefine a pool (refused while VMs use its volumes; the directory and its files stay)',
        params: StoragePoolParams,
        response: { 200: StorageActionResult, ...errorResponses },
      },
    },
    async (req) => storage.remove(req.params.hostId, req.params.pool),
  );

  app.get(
    `${base}/:pool/volumes`,
    {
      schema: {
        tags,
        summary: "A pool's volumes with their format and the VMs that use them",
        params: StoragePoolParams,
        response: { 200: StorageVolumeList, ...errorResponses },
      },
    },
    async (req) => ({ items: await storage.volumes(req.params.hostId, req.params.pool) }),
  );

  app.post(
    `${base}/:pool/volumes`,
    {
      audit: {
        action: 'storage-volume.create',
        target: { type: 'storage-volume', id: 'body.name', name: 'body.name', hostId: 'params.hostId' },
      },
      schema: {
        tags,
        summary: 'Create a qcow2 or raw volume (vol-create-as)',
        params: StoragePoolParams,
        body: CreateStorageVolumeBody,
        response: { 201: VolumeActionResult, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await storage.createVolume(req.params.hostId, req.params.pool, req.body)),
  );

  app.post(
    `${base}/:pool/volumes/:volume/resize`,
    {
      audit: { action: 'storage-volume.resize', target: volumeTarget },
      schema: {
        tags,
        summary: 'Grow a volume (vol-resize; never shrinks)',
        params: StorageVolumeParams,
        body: ResizeVolumeBody,
        response: { 200: VolumeActionResult, ...errorResponses },
      },
    },
    async (req) => storage.resizeVolume(req.params.hostId, req.params.pool, req.params.volume, req.body.capacityBytes),
  );

  app.delete(
    `${base}/:pool/volumes/:volume`,
    {
      audit: { action: 'storage-volume.delete', target: volumeTarget },
      schema: {
        tags,
        summary: 'Delete a volume (refused while any VM uses it)',
        params: StorageVolumeParams,
        response: { 200: StorageActionResult, ...errorResponses },
      },
    },
    async (req) => storage.removeVolume(req.params.hostId, req.params.pool, req.params.volume),
  );

  // The upload's body is the file as a raw stream; only this scope accepts octet-stream.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { bodyLimit: VOLUME_BYTES_MAX }, (_req, payload, done) => done(null, payload));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      `${base}/:pool/upload`,
      {
        bodyLimit: VOLUME_BYTES_MAX,
        audit: {
          action: 'storage.volume.upload',
          target: { type: 'storage-volume', id: 'query.name', name: 'query.name', hostId: 'params.hostId' },
        },
        // Before validation, so refused uploads are audited too, and never with the request stream as their body.
        preValidation: async (req) => {
          const q = req.query as Partial<UploadVolumeQuery>;
          req.auditParams = {
            pool: (req.params as { pool?: string }).pool,
            name: q.name,
            size: req.headers['content-length'] ?? null,
            format: q.format,
          };
        },
        schema: {
          tags,
          summary: 'Upload a file (the body, application/octet-stream with content-length) into a new volume (vol-create-as, vol-upload)',
          params: StoragePoolParams,
          querystring: UploadVolumeQuery,
          response: { 201: VolumeActionResult, ...errorResponses },
        },
      },
      async (req, reply) => {
        const sizeBytes = contentLength(req.headers['content-length']);
        const body = req.body as Readable | undefined;
        if (!body || typeof body.pipe !== 'function')
          throw badRequest('Send the file as the body, with content-type application/octet-stream');
        const { hostId, pool } = req.params;
        const result = await storage.upload(hostId, pool, { ...req.query, sizeBytes }, body, actorOf(req));
        return reply.status(201).send(result);
      },
    );
  });

  app.get(
    `${base}/:pool/volumes/:volume/download`,
    {
      // A disk image holds the guest's secrets (password hashes, keys): more than a viewer reads.
      config: { role: 'operator' },
      schema: { tags, summary: "The volume's bytes (vol-download), streamed from the host", params: StorageVolumeParams },
    },
    async (req, reply) => {
      const { stream, length, command } = await storage.download(req.params.hostId, req.params.pool, req.params.volume);
      reply.raw.once('close', () => stream.destroy());
      reply.header('content-type', 'application/octet-stream');
      // Volume names are [A-Za-z0-9._+-] only (the params schema): safe inside the quotes.
      reply.header('content-disposition', `attachment; filename="${req.params.volume}"`);
      reply.header('x-mirador-command', command);
      if (length !== null) reply.header('content-length', String(length));
      return reply.send(stream);
    },
  );
}
