import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ApiToken,
  ChangePasswordBody,
  CreatedToken,
  CreateTokenBody,
  LoginBody,
  Me,
  SessionInfo,
  SetupBody,
  SetupStatus,
  errorResponses,
} from '@mirador/contract';
import { SESSION_COOKIE } from '../plugins/security.js';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { toMe, tokenDto } from './auth.service.js';
import { createFirstAdmin } from '../users/users.service.js';

const HandleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export default async function authRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  async function startSession(req: FastifyRequest, reply: FastifyReply, userId: string) {
    const { secret, maxAgeSeconds } = await app.auth.createSession(userId, { ip: req.ip, userAgent: req.headers['user-agent'] ?? null });
    reply.setCookie(SESSION_COOKIE, secret, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.protocol === 'https',
      maxAge: maxAgeSeconds,
    });
  }

  app.get(
    '/setup',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'Whether the first admin still has to be created', response: { 200: SetupStatus } },
    },
    async () => ({ needsSetup: (await app.db.user.count()) === 0, version: app.config.version }),
  );

  app.post(
    '/setup',
    {
      config: { public: true },
      audit: { action: 'auth.setup', target: { type: 'user', fromResult: { id: 'id', name: 'username' } } },
      schema: {
        tags: ['auth'],
        summary: 'Create the first admin (only while no user exists)',
        body: SetupBody,
        response: { 201: Me, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { username: req.body.username };
      const user = await createFirstAdmin(app.db, req.body.username, req.body.password);
      if (!user) throw conflict('Mirador is already set up: log in instead');
      req.auditActor = { type: 'user', id: user.id, name: user.username };
      await startSession(req, reply, user.id);
      return reply.status(201).send({ id: user.id, username: user.username, role: 'admin', authVia: 'session' });
    },
  );

  app.post(
    '/auth/login',
    {
      config: { public: true },
      audit: { action: 'auth.login', target: { type: 'user', fromResult: { id: 'id', name: 'username' } } },
      schema: { tags: ['auth'], summary: 'Log in; sets the session cookie', body: LoginBody, response: { 200: Me, ...errorResponses } },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      req.auditParams = { username };
      // Refusals (429/401) are audited with the name that was tried.
      req.auditActor = { type: 'anonymous', id: null, name: username };
      const user = await app.auth.login(username, password, req.ip);
      req.auditActor = { type: 'user', id: user.id, name: user.username };
      await startSession(req, reply, user.id);
      return { ...user, authVia: 'session' as const };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { public: true },
      audit: { action: 'auth.logout' },
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const secret = req.cookies[SESSION_COOKIE];
      if (secret) await app.identityWatch.changed({ cause: 'logout', sessionId: await app.auth.revokeSessionBySecret(secret) });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me, ...errorResponses } },
    },
    async (req) => toMe(req.identity!),
  );

  app.post(
    '/auth/password',
    {
      config: { role: 'viewer' },
      audit: { action: 'auth.password.change', target: { type: 'user', id: 'caller.id', name: 'caller.username' } },
      schema: {
        tags: ['auth'],
        summary: 'Change my password (ends my other sessions)',
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const me = req.identity!.user;
      await app.auth.changePassword(me.id, req.body.currentPassword, req.body.newPassword);
      // The session changing the password stays; the others end, and their open websockets with them.
      // API tokens stay: they are managed one by one (an admin reset revokes them too).
      await app.auth.revokeAllSessions(me.id, req.identity!.sessionId);
      await app.identityWatch.changed({ cause: 'password-changed', userId: me.id });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/sessions',
    {
      schema: { tags: ['auth'], summary: 'My active sessions', response: { 200: Type.Array(SessionInfo), ...errorResponses } },
    },
    async (req) => app.auth.listSessions(req.identity!.user.id, req.identity!.sessionId),
  );

  app.delete(
    '/auth/sessions/:id',
    {
      config: { role: 'viewer' },
      audit: { action: 'auth.session.revoke', target: { type: 'session', id: 'params.id' } },
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of my sessions',
        params: HandleParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const sessionId = await app.auth.revokeSessionByHandle(req.identity!.user.id, req.params.id);
      if (!sessionId) throw notFound('Session');
      await app.identityWatch.changed({ cause: 'session-revoked', sessionId });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/tokens',
    {
      schema: { tags: ['auth'], summary: 'My API tokens', response: { 200: Type.Array(ApiToken), ...errorResponses } },
    },
    async (req) => {
      return (await app.auth.listTokens(req.identity!.user.id)).map(tokenDto);
    },
  );

  app.post(
    '/auth/tokens',
    {
      config: { role: 'viewer' },
      audit: {
        action: 'auth.token.create',
        target: { type: 'token', name: 'body.name', fromResult: { id: 'token.id', name: 'token.name' } },
      },
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token (its secret is shown only in this answer)',
        body: CreateTokenBody,
        response: { 201: CreatedToken, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.identity!.via === 'token') throw badRequest('Create tokens from a logged-in session, not with another token');
      const { row, secret } = await app.auth.createToken(req.identity!.user.id, req.body.name, req.body.expiresInDays);
      return reply.status(201).send({ token: tokenDto(row), secret });
    },
  );

  app.delete(
    '/auth/tokens/:id',
    {
      config: { role: 'viewer' },
      audit: { action: 'auth.token.revoke', target: { type: 'token', id: 'params.id' } },
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of my API tokens',
        params: HandleParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const t = await app.auth.revokeToken(req.identity!.user.id, req.params.id);
      if (!t) throw notFound('Token');
      req.auditNames({ id: t.id, name: t.name });
      await app.identityWatch.changed({ cause: 'token-revoked', tokenId: t.id });
      return reply.status(204).send(null);
    },
  );
}
