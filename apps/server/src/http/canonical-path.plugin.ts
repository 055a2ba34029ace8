import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../lib/http-errors.js';
import { judgePath } from './canonical-path.js';

/**
 * Refuses every request whose path is not canonical (see canonical-path.ts) before auth, audit or
 * any handler looks at it, websocket upgrades included. Registered right after @fastify/websocket:
 * that plugin's own onRequest hook marks upgrade requests so that a refused upgrade's socket is
 * destroyed after the answer; a hook that threw before it would leave the socket open.
 */
export default fp(
  async function canonicalPaths(app: FastifyInstance) {
    app.addHook('onRequest', async (req) => {
      const verdict = judgePath(req.url);
      if (!verdict.ok) {
        throw new HttpError(400, `Refused: ${verdict.reason}. Send the path in its canonical form.`, { code: 'non_canonical_path' });
      }
    });
  },
  { name: 'canonical-paths', dependencies: ['security'] },
);
