import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE, sameOrigin } from '../plugins/security.js';
import { forbidden, unauthorized } from '../lib/http-errors.js';
import { isApiPath, pathOf } from '../http/canonical-path.js';
import { createAuthService, roleAtLeast, type AuthService } from './auth.service.js';
import { createFailureLimiter } from './rate-limit.js';
import type { LoginLimits } from './login.js';

export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
  role: string | null;
  websocket: boolean;
}

/** The only routes that may change state without a login; anything else public is a read. */
const PUBLIC_MUTATIONS = new Set(['POST /api/setup', 'POST /api/auth/login', 'POST /api/auth/logout']);

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access rule, as registered (the security suite builds its matrix from it). */
    routeTable: RouteEntry[];
    auth: AuthService;
    /** Decorated so tests can reset a lock; the login flow in the auth service uses the same pair. */
    loginLimits: LoginLimits;
  }
}

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves who is calling (session cookie or Bearer token) and enforces the route's
 * minimum role before the body is even validated. Websocket upgrades pass through here too.
 */
export default fp(
  async function authPlugin(app: FastifyInstance) {
    // Two separate brakes, neither of which can lock a person out from everywhere: guessing one
    // account's password is limited per (account, address) pair, so an attacker who fails against
    // "admin" locks only their own address out of "admin"; spraying many accounts is limited per
    // address, briefly. req.ip honours MIRADOR_TRUST_PROXY, so behind a proxy the client's address
    // counts, not the proxy's.
    const loginLimits: LoginLimits = {
      perUser: createFailureLimiter({ max: 5, windowMs: 15 * 60_000 }),
      perIp: createFailureLimiter({ max: 20, windowMs: 60_000 }),
    };
    app.decorate('loginLimits', loginLimits);
    app.decorate(
      'auth',
      createAuthService({
        db: app.db,
        policy: { ttlHours: app.config.sessionTtlHours, idleHours: app.config.sessionIdleHours },
        loginLimits,
      }),
    );
    app.decorateRequest('identity', null);

    const routeTable: RouteEntry[] = [];
    app.decorate('routeTable', routeTable);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        routeTable.push({
          method,
          url: route.url,
          public: Boolean(route.config?.public),
          role: route.config?.role ?? null,
          websocket: Boolean((route as { websocket?: boolean }).websocket),
        });
      }
    });
    // A public route that changes state is a hole unless it is one of the few that must be: refuse to start.
    app.addHook('onReady', async () => {
      const bad = routeTable.filter((r) => r.public && !READ.has(r.method) && !PUBLIC_MUTATIONS.has(`${r.method} ${r.url}`));
      if (bad.length) throw new Error(`Public routes that change state: ${bad.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    });

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

      // Deny by default: every route needs a login unless it declares `config.public` (login, setup,
      // health, the UI's static files, the API docs). The only exception is a path no route matched
      // outside /api: the not-found handler serves the UI's index.html and nothing else. The security
      // plugin already refused non-canonical paths, so `req.url` is the path the router matched.
      const config = req.routeOptions.config ?? {};
      if (config.public) return;
      if (!req.routeOptions.url && !isApiPath(pathOf(req.url))) return;
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
