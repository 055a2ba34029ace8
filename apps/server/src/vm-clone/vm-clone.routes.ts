import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ClonePreview, CloneVmBody, Task, VmParams, errorResponses } from '@mirador/contract';
import { createVmCloneService } from './vm-clone.service.js';

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

export default async function vmCloneRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const clones = createVmCloneService({ vms: app.vms, tasks: app.tasks });
  const tags = ['vms'];

  app.post(
    '/hosts/:hostId/vms/:name/clone/preview',
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'What a clone would do: the virt-clone line, the virsh steps, each disk (nothing runs)',
        params: VmParams,
        body: CloneVmBody,
        response: { 200: ClonePreview, ...errorResponses },
      },
    },
    async (req) => clones.preview(req.params.hostId, req.params.name, req.body),
  );

  app.post(
    '/hosts/:hostId/vms/:name/clone',
    {
      audit: { action: 'vm.clone', target: vmTarget },
      schema: {
        tags,
        summary: 'Clone a VM like virt-clone: new name, UUID and MACs, disks copied or linked (runs as a task)',
        params: VmParams,
        body: CloneVmBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = {
        clone: req.body.name,
        disks: req.body.disks,
        start: req.body.start ?? false,
        allowRunningSource: req.body.allowRunningSource ?? false,
      };
      const user = req.identity!.user;
      return reply.status(202).send(await clones.clone(req.params.hostId, req.params.name, req.body, { id: user.id, name: user.username }));
    },
  );
}
