import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { VncScreens } from './vnc-screens.js';

declare module 'fastify' {
  interface FastifyInstance {
    screens: VncScreens;
  }
}

/** The graphical consoles: tickets and tunnelled sessions, over the hosts' pinned connections. */
export default fp(
  async function vncPlugin(app: FastifyInstance) {
    const screens = new VncScreens({
      runner: (hostId) => app.connections.runner(hostId),
      vm: (hostId, name) => app.vms.detail(hostId, name),
    });
    app.decorate('screens', screens);
  },
  { name: 'vnc', dependencies: ['vms', 'connections'] },
);
