import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createConnectionPool, type ConnectionPool } from './connection-pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    connections: ConnectionPool;
  }
}

export default fp(
  async function connectionsPlugin(app: FastifyInstance) {
    const pool = createConnectionPool({ db: app.db, secrets: app.secrets, bus: app.bus, log: app.log });
    app.decorate('connections', pool);
    app.addHook('preClose', async () => pool.close());
  },
  { name: 'connections', dependencies: ['infra'] },
);
