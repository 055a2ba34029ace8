import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CompareMeasureBody, CompareMeasurements, CompareOverview, Task, errorResponses } from '@mirador/contract';
import { createCompareOverview } from './compare-overview.js';
import { createCompareMeasure } from './compare-measure.js';
import { createCompareResults } from './compare-results.js';

/** The Compare page: VMs vs containers from the inventory, and measured on real runs (a task). */
export default async function compareRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['compare'];
  const results = createCompareResults(app.db);
  const overview = createCompareOverview({
    hosts: () => app.db.host.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, libvirtUri: true } }),
    vms: app.vms,
    runner: (hostId) => app.connections.runner(hostId),
    docker: app.docker,
    log: app.log,
  });
  const measure = createCompareMeasure({
    vms: app.vms,
    runner: (hostId) => app.connections.runner(hostId),
    engines: app.docker.engines,
    tasks: app.tasks,
    undo: app.undoJournal,
    results,
    hostOf: (id) => app.db.host.findUnique({ where: { id }, select: { name: true, libvirtUri: true } }),
    log: app.log,
  });

  app.get(
    '/compare',
    {
      schema: {
        tags,
        summary: 'VMs vs containers per host, from the inventory: footprints, shared image layers, density, isolation',
        response: { 200: CompareOverview, ...errorResponses },
      },
    },
    async () => overview.read(),
  );

  app.get(
    '/compare/measurements',
    {
      schema: {
        tags,
        summary: 'The last measurement (VM boot and container start times, both footprints), or null',
        response: { 200: CompareMeasurements, ...errorResponses },
      },
    },
    async () => ({ last: await results.last() }),
  );

  app.post(
    '/compare/measurements',
    {
      config: { role: 'operator' },
      audit: { action: 'compare.measure', target: { type: 'compare', hostId: 'body.vmHostId', fromResult: { name: 'target.name' } } },
      schema: {
        tags,
        summary: 'Measure a throwaway VM and container on a libvirt host and an engine, then remove both (runs as a task)',
        body: CompareMeasureBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { vmHostId: req.body.vmHostId, engineHostId: req.body.engineHostId, image: req.body.image ?? null };
      const user = req.identity!.user;
      return reply.status(202).send(await measure.start(req.body, { id: user.id, name: user.username }));
    },
  );
}
