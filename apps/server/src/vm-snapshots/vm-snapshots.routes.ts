import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateSnapshotBody,
  DeleteSnapshotQuery,
  SnapshotPreview,
  Task,
  VmParams,
  VmSnapshotList,
  VmSnapshotParams,
  errorResponses,
} from '@mirador/contract';
import { createVmSnapshotsService } from './vm-snapshots.service.js';

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

/** A VM's snapshots (virsh snapshot-*): the tree for everyone, create / revert / delete as tasks for operators. */
export default async function vmSnapshotsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const snapshots = createVmSnapshotsService({ target: (hostId, name) => app.vms.target(hostId, name), tasks: app.tasks });
  const tags = ['vm-snapshots'];
  const base = '/hosts/:hostId/vms/:name/snapshots';
  const userOf = (req: FastifyRequest) => ({
    id: req.identity!.user.id,
    name: req.identity!.user.username,
  });

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "The VM's snapshots in tree order, the current one marked, and whether one can be taken now",
        params: VmParams,
        response: { 200: VmSnapshotList, ...errorResponses },
      },
    },
    async (req) => snapshots.list(req.params.hostId, req.params.name),
  );

  app.post(
    `${base}/preview`,
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The virsh line a snapshot request would run, and what to know first (nothing runs)',
        params: VmParams,
        body: CreateSnapshotBody,
        response: { 200: SnapshotPreview, ...errorResponses },
      },
    },
    async (req) => snapshots.preview(req.params.hostId, req.params.name, req.body),
  );

  app.post(
    base,
    {
      audit: { action: 'vm.snapshot.create', target: vmTarget },
      schema: {
        tags,
        summary: 'Take a snapshot (internal, in the qcow2 disks; with the memory when running) as a task',
        params: VmParams,
        body: CreateSnapshotBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { snapshot: req.body.name };
      return reply.status(202).send(await snapshots.create(req.params.hostId, req.params.name, req.body, userOf(req)));
    },
  );

  app.post(
    `${base}/:snapshot/revert`,
    {
      audit: { action: 'vm.snapshot.revert', target: vmTarget },
      schema: {
        tags,
        summary: 'Go back to a snapshot, discarding everything since (as a task)',
        params: VmSnapshotParams,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { snapshot: req.params.snapshot };
      return reply.status(202).send(await snapshots.revert(req.params.hostId, req.params.name, req.params.snapshot, userOf(req)));
    },
  );

  app.delete(
    `${base}/:snapshot`,
    {
      audit: { action: 'vm.snapshot.delete', target: vmTarget },
      schema: {
        tags,
        summary: 'Delete a snapshot; its children move to its parent unless children=true deletes them too (as a task)',
        params: VmSnapshotParams,
        querystring: DeleteSnapshotQuery,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const children = req.query.children ?? false;
      req.auditParams = { snapshot: req.params.snapshot, children };
      return reply.status(202).send(await snapshots.remove(req.params.hostId, req.params.name, req.params.snapshot, children, userOf(req)));
    },
  );
}
