import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createVmsService, type VmsService } from './vms.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    vms: VmsService;
  }
}

export default fp(
  async function vmsPlugin(app: FastifyInstance) {
    const vms = createVmsService({ db: app.db, bus: app.bus, connections: app.connections, tasks: app.tasks, log: app.log });
    app.decorate('vms', vms);
    app.addHook('onReady', async () => {
      if (app.config.warmInventories) await vms.warmUp();
    });
    app.addHook('preClose', async () => vms.close());
  },
  { name: 'vms', dependencies: ['infra', 'connections', 'tasks'] },
);
