import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';

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

/** Security headers and cookie parsing (the CSRF origin check lives in the auth plugin). */
export default fp(
  async function security(app: FastifyInstance) {
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
