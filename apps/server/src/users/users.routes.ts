import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiToken, CreateUserBody, IdParams, ResetPasswordBody, UpdateUserBody, User, errorResponses } from '@mirador/contract';
import { createUsersService } from './users.service.js';
import { tokenDto } from '../auth/auth.service.js';

const TokenParams = Type.Object({ id: IdParams.properties.id, tokenId: Type.String({ minLength: 1, maxLength: 64 }) });

/** User administration: admins only. */
export default async function usersRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const users = createUsersService({ db: app.db, auth: app.auth, identityChanged: (c) => app.identityWatch.changed(c) });
  const tags = ['users'];

  app.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'List users', response: { 200: Type.Array(User), ...errorResponses } },
    },
    async () => users.list(),
  );

  app.post(
    '/users',
    {
      config: { role: 'admin' },
      audit: { action: 'user.create', target: { type: 'user', name: 'body.username', fromResult: { id: 'id', name: 'username' } } },
      schema: { tags, summary: 'Create a user', body: CreateUserBody, response: { 201: User, ...errorResponses } },
    },
    async (req, reply) => reply.status(201).send(await users.create(req.body)),
  );

  app.patch(
    '/users/:id',
    {
      config: { role: 'admin' },
      audit: { action: 'user.update', target: { type: 'user', id: 'params.id', fromResult: { id: 'id', name: 'username' } } },
      schema: {
        tags,
        summary: 'Change role or disable/enable',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...errorResponses },
      },
    },
    async (req) => users.update(req.identity!.user.id, req.params.id, req.body),
  );

  app.post(
    '/users/:id/password',
    {
      config: { role: 'admin' },
      audit: { action: 'user.password.reset', target: { type: 'user', id: 'params.id' } },
      schema: {
        tags,
        summary: "Reset a user's password (ends their sessions and revokes their API tokens)",
        params: IdParams,
        body: ResetPasswordBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const u = await users.resetPassword(req.params.id, req.body.password);
      req.auditNames({ id: u.id, name: u.username });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/users/:id/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: "A user's API tokens (never their secrets)",
        params: IdParams,
        response: { 200: Type.Array(ApiToken), ...errorResponses },
      },
    },
    async (req) => (await users.listTokens(req.params.id)).map(tokenDto),
  );

  app.delete(
    '/users/:id/tokens/:tokenId',
    {
      config: { role: 'admin' },
      audit: { action: 'user.token.revoke', target: { type: 'token', id: 'params.tokenId' } },
      schema: {
        tags,
        summary: "Revoke one of a user's API tokens",
        params: TokenParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const t = await users.revokeToken(req.params.id, req.params.tokenId);
      req.auditNames({ id: t.id, name: t.name });
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { role: 'admin' },
      audit: { action: 'user.delete', target: { type: 'user', id: 'params.id' } },
      schema: { tags, summary: 'Delete a user', params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      const u = await users.remove(req.identity!.user.id, req.params.id);
      req.auditNames({ id: u.id, name: u.username });
      return reply.status(204).send(null);
    },
  );
}
