import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  BuildImageQuery,
  DockerCommand,
  DockerHostParams,
  ImageDetail,
  ImageList,
  ImageParams,
  ImportImageQuery,
  PruneQuery,
  PruneResult,
  PullImageBody,
  PushImageBody,
  RemoveImageQuery,
  RemoveImageResult,
  Task,
  TagImageBody,
  errorResponses,
} from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { badRequest } from '../lib/http-errors.js';
import { tarOneFile } from './tar-one-file.js';
import { createUploadStaging, type StagedKind } from './upload-staging.js';

/** Uploads (build contexts, image archives) may be large; they stream to disk, never into memory. */
const UPLOAD_LIMIT = 8 * 1024 * 1024 * 1024;
const DOCKERFILE_LIMIT = 1024 * 1024;

const userOf = (req: FastifyRequest) => ({ id: req.identity!.user.id, name: req.identity!.user.username });
const readerOf = (req: FastifyRequest) => ({ isOperator: roleAtLeast(req.identity!.user.role, 'operator') });
const imageTarget = { type: 'image', id: 'params.image', name: 'params.image', hostId: 'params.hostId' } as const;
/**
 * Upload routes: the body is a stream (or a Dockerfile), never audit material. Left to the default
 * ({params, query, body}), the audit plugin would serialize the request stream with its buffered
 * bytes, one key per byte: megabytes per record, and seconds of blocked event loop.
 */
async function auditUpload(req: FastifyRequest) {
  const body = req.body;
  req.auditParams = {
    query: req.query,
    upload: typeof body === 'string' ? 'Dockerfile' : (req.headers['content-type'] ?? null),
    ...(typeof body === 'string' ? { dockerfile: body } : {}),
  };
}

export default async function imagesRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const images = app.docker.images;
  const tags = ['images'];
  const staging = createUploadStaging(app.config.dataDir, app.log);
  // Nothing is staged yet at startup: what is there was left by a server that died mid-upload.
  await staging.sweep();

  // Tarballs arrive as raw streams; the handler decides where they go.
  app.addContentTypeParser(
    ['application/x-tar', 'application/octet-stream', 'application/gzip', 'application/x-gzip'],
    { bodyLimit: UPLOAD_LIMIT },
    (_req, payload, done) => done(null, payload),
  );

  async function saveUpload(body: unknown, contentType: string | undefined, kind: StagedKind): Promise<string> {
    const file = await staging.path(kind);
    try {
      if (typeof body === 'string') {
        // A lone Dockerfile (text/plain) becomes a one-file build context.
        if (Buffer.byteLength(body) > DOCKERFILE_LIMIT)
          throw badRequest('The Dockerfile is larger than 1 MiB; send a context tarball instead');
        await writeFile(file, tarOneFile('Dockerfile', Buffer.from(body, 'utf8')), { mode: 0o600 });
      } else if (body && typeof (body as Readable).pipe === 'function') {
        await pipeline(body as Readable, createWriteStream(file, { mode: 0o600 }));
      } else {
        throw badRequest(`Send the file as the request body (Content-Type application/x-tar${contentType ? `, not ${contentType}` : ''})`);
      }
      return file;
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  app.get(
    '/hosts/:hostId/images',
    {
      schema: {
        tags,
        summary: 'Images (with the containers using each)',
        params: DockerHostParams,
        response: { 200: ImageList, ...errorResponses },
      },
    },
    async (req) => ({ items: await images.list(req.params.hostId) }),
  );

  app.get(
    '/hosts/:hostId/images/prune',
    {
      schema: {
        tags,
        summary: 'What an image prune would delete (nothing is deleted)',
        params: DockerHostParams,
        querystring: PruneQuery,
        response: { 200: PruneResult, ...errorResponses },
      },
    },
    async (req) => images.prunePreview(req.params.hostId, req.query.all ?? false),
  );

  app.post(
    '/hosts/:hostId/images/prune',
    {
      audit: { action: 'image.prune', target: { type: 'host', id: 'params.hostId', hostId: 'params.hostId' } },
      schema: {
        tags,
        summary: 'Delete unused images (dangling only unless all=true)',
        params: DockerHostParams,
        querystring: PruneQuery,
        response: { 200: PruneResult, ...errorResponses },
      },
    },
    async (req) => images.prune(req.params.hostId, req.query.all ?? false),
  );

  app.post(
    '/hosts/:hostId/images/pull',
    {
      audit: { action: 'image.pull', target: { type: 'image', id: 'body.image', name: 'body.image', hostId: 'params.hostId' } },
      schema: {
        tags,
        summary: 'Pull an image (a task; per-layer progress on task:<id>)',
        params: DockerHostParams,
        body: PullImageBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const task = await images.pull(req.params.hostId, req.body.image, req.body.registryId, userOf(req));
      return reply.status(202).send(task);
    },
  );

  app.post(
    '/hosts/:hostId/images/build',
    {
      audit: { action: 'image.build', target: { type: 'image', id: 'query.tag', name: 'query.tag', hostId: 'params.hostId' } },
      bodyLimit: UPLOAD_LIMIT,
      // Before validation, so refused uploads are audited without their body too.
      preValidation: auditUpload,
      schema: {
        tags,
        summary: 'Build from a Dockerfile (text/plain) or a context tarball (application/x-tar); output in the task log',
        params: DockerHostParams,
        querystring: BuildImageQuery,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const file = await saveUpload(req.body, req.headers['content-type'], 'context');
      const source = typeof req.body === 'string' ? 'dockerfile' : 'context';
      const task = await images.build(req.params.hostId, req.query, source, file, userOf(req)).catch(async (err) => {
        await rm(file, { force: true });
        throw err;
      });
      return reply.status(202).send(task);
    },
  );

  app.post(
    '/hosts/:hostId/images/import',
    {
      audit: { action: 'image.import', target: { type: 'image', id: 'query.tag', name: 'query.tag', hostId: 'params.hostId' } },
      bodyLimit: UPLOAD_LIMIT,
      preValidation: auditUpload,
      schema: {
        tags,
        summary: 'Load a `docker save` archive (format=load) or import a root filesystem tarball (format=rootfs&tag=…)',
        params: DockerHostParams,
        querystring: ImportImageQuery,
        response: { 200: Type.Object({ loaded: Type.Array(Type.String()), command: Type.String() }), ...errorResponses },
      },
    },
    async (req) => {
      // An archive names its own images: the record says so rather than naming none.
      if (!req.query.tag) req.auditNames({ id: '(archive)', name: '(archive)' });
      if (typeof req.body === 'string') throw badRequest('Send the archive as application/x-tar, not text');
      const file = await saveUpload(req.body, req.headers['content-type'], 'archive');
      return images.importArchive(req.params.hostId, req.query, file);
    },
  );

  app.get(
    '/hosts/:hostId/images/:image',
    {
      schema: {
        tags,
        summary:
          'One image with its history and layers (image = ID or URL-encoded reference; environment and build-argument values hidden from viewers unless the engine policy allows)',
        params: ImageParams,
        response: { 200: ImageDetail, ...errorResponses },
      },
    },
    async (req) => images.detail(req.params.hostId, req.params.image, readerOf(req)),
  );

  app.get(
    '/hosts/:hostId/images/:image/export',
    {
      schema: {
        tags,
        summary: 'Download the image as a `docker save` archive (viewers only where the engine policy lets them read environment values)',
        params: ImageParams,
      },
    },
    async (req, reply) => {
      const { stream, name, command } = await images.exportImage(req.params.hostId, req.params.image, readerOf(req));
      const file = name.replace(/[^A-Za-z0-9._-]+/g, '_');
      return reply
        .header('content-type', 'application/x-tar')
        .header('content-disposition', `attachment; filename="${file}.tar"`)
        .header('x-docker-command', command)
        .send(stream);
    },
  );

  app.post(
    '/hosts/:hostId/images/:image/tag',
    {
      audit: { action: 'image.tag', target: imageTarget },
      schema: { tags, summary: 'Add a tag', params: ImageParams, body: TagImageBody, response: { 200: DockerCommand, ...errorResponses } },
    },
    async (req) => images.tag(req.params.hostId, req.params.image, req.body.target),
  );

  app.post(
    '/hosts/:hostId/images/:image/push',
    {
      audit: { action: 'image.push', target: imageTarget },
      schema: {
        tags,
        summary: 'Push to its registry (a task; per-layer progress on task:<id>)',
        params: ImageParams,
        body: Type.Optional(PushImageBody),
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const task = await images.push(req.params.hostId, req.params.image, req.body?.registryId, userOf(req));
      return reply.status(202).send(task);
    },
  );

  app.delete(
    '/hosts/:hostId/images/:image',
    {
      audit: { action: 'image.remove', target: imageTarget },
      schema: {
        tags,
        summary: 'Remove (untag, and delete when no tag is left); untag=true removes only that tag, never another',
        params: ImageParams,
        querystring: RemoveImageQuery,
        response: { 200: RemoveImageResult, ...errorResponses },
      },
    },
    async (req) => images.remove(req.params.hostId, req.params.image, req.query.force ?? false, req.query.untag ?? false),
  );
}
