import fp from 'fastify-plugin';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { createPrismaClient, type PrismaClient } from '../db/client.js';
import { createSecretBox, loadKeyMaterial, type SecretBox } from '../lib/secret-box.js';
import { createEventBus, type EventBus } from '../realtime/bus.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: PrismaClient;
    secrets: SecretBox;
    bus: EventBus;
  }
}

/** The infrastructure every domain uses: configuration, database, secret box, event bus. */
export default fp(
  async function infra(app: FastifyInstance, opts: { config: Config }) {
    const { config } = opts;
    app.decorate('config', config);
    const db = createPrismaClient(join(config.dataDir, 'mirador.db'));
    await db.$connect();
    app.decorate('db', db);
    app.addHook('onClose', async () => {
      await db.$disconnect();
    });
    app.decorate('secrets', createSecretBox(loadKeyMaterial(config.secret, join(config.dataDir, 'secret.key'))));
    app.decorate('bus', createEventBus((err) => app.log.error({ err }, 'event listener failed')));
  },
  { name: 'infra' },
);
