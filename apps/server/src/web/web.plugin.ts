import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isApiPath } from '../http/canonical-path.js';

/**
 * Serves the built UI on the API's origin. Client-side routes (/hosts/…) fall back to
 * index.html; anything under /api/ keeps its JSON 404.
 */
export default fp(
  async function web(app: FastifyInstance, opts: { webDir: string | null }) {
    const dir = opts.webDir;
    // The UI's files are public (the login page is one of them). Said here, route by route, because
    // the auth guard denies every route that does not say so. Only reads: a UI file never changes state.
    app.addHook('onRoute', (route) => {
      const methods = [route.method].flat();
      if (methods.some((m) => m !== 'GET' && m !== 'HEAD'))
        throw new Error(`the web plugin serves files only, not ${methods.join(',')} ${route.url}`);
      route.config = { ...route.config, public: true };
    });
    const hasUi = Boolean(dir && existsSync(join(dir, 'index.html')));
    if (hasUi) {
      await app.register(fastifyStatic, {
        root: dir!,
        prefix: '/',
        wildcard: false,
        index: ['index.html'],
        setHeaders(reply, path) {
          // Hashed build assets never change; the HTML must always be revalidated.
          reply.header('cache-control', path.includes('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
    } else {
      app.log.warn({ webDir: dir }, 'no built UI found; serving the API only (run the build first)');
    }

    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0]!;
      // Missing build assets must stay 404s: an HTML answer for a .js file breaks the page confusingly.
      if (hasUi && (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(path) && !path.startsWith('/_app/')) {
        return reply.header('cache-control', 'no-cache').sendFile('index.html');
      }
      return reply
        .status(404)
        .send({ statusCode: 404, error: 'Not Found', code: 'not_found', message: `No such endpoint: ${req.method} ${path}` });
    });
  },
  { name: 'web' },
);
