import fp from 'fastify-plugin';
import { parseLibvirtUri } from '@mirador/libvirt';
import type { FastifyInstance } from 'fastify';
import { createVmsService, type VmsService } from './vms.service.js';
import { createStatsCollector } from './stats-collector.js';
import { READY_FOR_BACKGROUND } from '../hosts/host-trust.js';

declare module 'fastify' {
  interface FastifyInstance {
    vms: VmsService;
  }
}

export default fp(
  async function vmsPlugin(app: FastifyInstance) {
    const vms = createVmsService({
      db: app.db,
      bus: app.bus,
      connections: app.connections,
      tasks: app.tasks,
      log: app.log,
      undo: app.undoJournal,
    });
    app.decorate('vms', vms);
    // One domstats per host per interval feeds live charts and the stored history.
    const vmStats = createStatsCollector({
      db: app.db,
      bus: app.bus,
      log: app.log,
      runnerFor: (hostId) => app.connections.runner(hostId),
      hosts: async () =>
        (
          await app.db.host.findMany({
            where: { NOT: { libvirtUri: null }, ...READY_FOR_BACKGROUND },
            select: { id: true, libvirtUri: true },
          })
        )
          // A stored URI Mirador did not build is never sampled (the host's page says why).
          .filter((h) => parseLibvirtUri(h.libvirtUri) !== null)
          .map((h) => ({ id: h.id, libvirtUri: h.libvirtUri! })),
    });
    app.decorate('vmStats', vmStats);
    app.addHook('onReady', async () => {
      if (app.config.warmInventories) vmStats.start();
    });
    app.addHook('preClose', async () => vmStats.stop());
    app.addHook('onReady', async () => {
      if (app.config.warmInventories) await vms.warmUp();
    });
    app.addHook('preClose', async () => vms.close());
  },
  { name: 'vms', dependencies: ['infra', 'connections', 'tasks', 'recovery'] },
);
