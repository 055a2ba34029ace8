import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MigrateVmBody, MigrationPreflight, Task, VmParams, errorResponses } from '@mirador/contract';
import { createVmMigrateService } from './vm-migrate.service.js';

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

export default async function vmMigrateRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const migrations = createVmMigrateService({ db: app.db, vms: app.vms, connections: app.connections, tasks: app.tasks });
  const tags = ['vms'];

  app.post(
    '/hosts/:hostId/vms/:name/migrate/preflight',
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'Pre-flight of a live migration to another inventory host: a checklist, each check run for real (nothing changes)',
        params: VmParams,
        body: MigrateVmBody,
        response: { 200: MigrationPreflight, ...errorResponses },
      },
    },
    async (req) => migrations.preflight(req.params.hostId, req.params.name, req.body),
  );

  app.post(
    '/hosts/:hostId/vms/:name/migrate',
    {
      audit: { action: 'vm.migrate', target: vmTarget },
      schema: {
        tags,
        summary:
          'Live-migrate a running VM to another inventory host (virsh migrate --live, runs as a task); refused unless the pre-flight passes',
        params: VmParams,
        body: MigrateVmBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = {
        destinationHostId: req.body.destinationHostId,
        undefineSource: req.body.undefineSource ?? true,
        copyStorage: req.body.copyStorage ?? false,
      };
      const user = req.identity!.user;
      return reply
        .status(202)
        .send(await migrations.migrate(req.params.hostId, req.params.name, req.body, { id: user.id, name: user.username }));
    },
  );
}
