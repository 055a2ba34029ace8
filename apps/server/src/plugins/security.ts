import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { judgePath } from '../http/canonical-path.js';
import { HttpError } from '../lib/http-errors.js';

export const SESSION_COOKIE = 'mirador_session';

/** True when the request's Origin (or Referer) names this very server. */
export function sameOrigin(req: FastifyRequest): boolean {
  const source = req.headers.origin ?? req.headers.referer;
  if (!source || source === 'null') return false;
  try {
    // Through URL on both sides so default ports (":80", ":443") compare equal.
    return new URL(source).host === new URL(`${req.protocol}://${req.host}`).host;
  } catch {
    return false;
  }
}

/**
 * Canonical paths, security headers and cookie parsing (the CSRF origin check lives in the auth plugin).
 * The path check is the very first hook of every request, websocket upgrades included: a path the
 * router would match only after decoding it is refused before anything else looks at it.
 */
export default fp(
  async function security(app: FastifyInstance) {
    app.addHook('onRequest', async (req) => {
      const verdict = judgePath(req.url);
      if (!verdict.ok) {
        throw new HttpError(400, `Refused: ${verdict.reason}. Send the path in its canonical form.`, { code: 'non_canonical_path' });
      }
    });
    await app.register(cookie);
    await app.register(helmet, {
      // The UI's HTML carries a hash-based script CSP (SvelteKit); this header adds the rest.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          formAction: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'", "'unsafe-inline'"],
          connectSrc: ["'self'"],
        },
      },
      strictTransportSecurity: false, // labs often run plain HTTP on a LAN; a reverse proxy sets HSTS
      crossOriginEmbedderPolicy: false,
    });

  },
  { name: 'security' },
);
