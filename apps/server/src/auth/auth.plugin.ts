import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE, sameOrigin } from '../plugins/security.js';
import { forbidden, unauthorized } from '../lib/http-errors.js';
import { createAuthService, roleAtLeast, type AuthService } from './auth.service.js';
import { createFailureLimiter, type FailureLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthService;
    loginLimits: { perUser: FailureLimiter; perIp: FailureLimiter };
  }
}

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves who is calling (session cookie or Bearer token) and enforces the route's
 * minimum role before the body is even validated. Websocket upgrades pass through here too.
 */
export default fp(
  async function authPlugin(app: FastifyInstance) {
    app.decorate('auth', createAuthService({
      db: app.db,
      policy: { ttlHours: app.config.sessionTtlHours, idleHours: app.config.sessionIdleHours },
    }));
    app.decorate('loginLimits', {
      perUser: createFailureLimiter({ max: 5, windowMs: 15 * 60_000 }),
      perIp: createFailureLimiter({ max: 20, windowMs: 15 * 60_000 }),
    });
    app.decorateRequest('identity', null);

    app.addHook('onRequest', async (req) => {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (bearer) req.identity = await app.auth.resolveToken(bearer);
      else if (req.cookies[SESSION_COOKIE]) {
        // SameSite=Strict already keeps the cookie off cross-site requests; the Origin check
        // also covers old browsers and websocket hijacking. Tokens carry no ambient authority.
        const isUpgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
        if ((!READ.has(req.method) || isUpgrade) && !sameOrigin(req)) {
          throw forbidden('Cross-site request refused: the Origin header does not match this server');
        }
        req.identity = await app.auth.resolveSession(req.cookies[SESSION_COOKIE]);
      }

      const config = req.routeOptions.config;
      if (!req.routeOptions.url || config.public) return;
      if (!req.url.startsWith('/api/') || req.url.startsWith('/api/docs')) return;
      if (!req.identity) {
        throw unauthorized(bearer ? 'The API token is invalid, expired or revoked' : 'Log in first (your session may have expired)');
      }
      const min = config.role ?? (READ.has(req.method) ? 'viewer' : 'operator');
      if (!roleAtLeast(req.identity.user.role, min)) {
        throw forbidden(`This needs the ${min} role; you are ${req.identity.user.role}`);
      }
    });

    const purge = setInterval(() => void app.auth.purgeExpired().catch(() => {}), 3600_000);
    purge.unref();
    app.addHook('onClose', async () => clearInterval(purge));
  },
  { name: 'auth', dependencies: ['infra', 'security'] },
);
