import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createIdentityWatch, type IdentityWatch } from './identity-watch.js';

declare module 'fastify' {
  interface FastifyInstance {
    identityWatch: IdentityWatch;
  }
}

/** Revocation reaches open websockets: see identity-watch.ts. */
export default fp(
  async function identityWatchPlugin(app: FastifyInstance) {
    const watch = createIdentityWatch({
      recheck: (identity, opts) => app.auth.recheck(identity, opts),
      audit: (input) => app.audit.append(input),
      onError: (err) => app.log.error({ err }, 'identity re-check failed'),
    });
    app.decorate('identityWatch', watch);
    app.addHook('onClose', async () => watch.stop());
  },
  { name: 'identity-watch', dependencies: ['auth', 'audit'] },
);
