import fp from 'fastify-plugin';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { createPrismaClient, type PrismaClient } from '../db/client.js';
import { createSecretBox, deriveKey, loadKeyMaterial, type SecretBox } from '../lib/secret-box.js';
import { knownSecrets } from '../audit/redact.js';
import { createEventBus, type EventBus } from './bus.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: PrismaClient;
    secrets: SecretBox;
    /** Keys the audit chain (HMAC); derived from the same material as the secrets key, never stored. */
    auditKey: Buffer;
    bus: EventBus;
  }
}

/**
 * Every secret Mirador seals (stores) or opens (uses) is remembered for redaction by value, so
 * it is hidden from the audit log, task records and the server log wherever it turns up.
 */
function rememberingSecrets(box: SecretBox): SecretBox {
  return {
    seal(plaintext, context) {
      knownSecrets.addPlaintext(plaintext);
      return box.seal(plaintext, context);
    },
    open(envelope, context) {
      const plaintext = box.open(envelope, context);
      knownSecrets.addPlaintext(plaintext);
      return plaintext;
    },
  };
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
    const keyMaterial = loadKeyMaterial(config.secret, join(config.dataDir, 'secret.key'));
    app.decorate('secrets', rememberingSecrets(createSecretBox(keyMaterial)));
    app.decorate('auditKey', deriveKey(keyMaterial, 'audit-chain-v1'));
    app.decorate(
      'bus',
      createEventBus((err) => app.log.error({ err }, 'event listener failed')),
    );
  },
  { name: 'infra' },
);
