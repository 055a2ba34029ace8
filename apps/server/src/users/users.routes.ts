import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreateUserBody, IdParams, ResetPasswordBody, UpdateUserBody, User, errorResponses } from '@mirador/contract';
import { createUsersService } from './users.service.js';

/** User administration: admins only. */
export default async function usersRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const users = createUsersService(app.db);
  const tags = ['users'];

  app.get('/users', {
    config: { role: 'admin' },
    schema: { tags, summary: 'List users', response: { 200: Type.Array(User), ...errorResponses } },
  }, async () => users.list());

  app.post('/users', {
    config: { role: 'admin', audit: { action: 'user.create', targetType: 'user' } },
    schema: { tags, summary: 'Create a user', body: CreateUserBody, response: { 201: User, ...errorResponses } },
  }, async (req, reply) => {
    req.auditTarget = { type: 'user', name: req.body.username };
    const user = await users.create(req.body);
    req.auditTarget = { type: 'user', id: user.id, name: user.username };
    return reply.status(201).send(user);
  });

  app.patch('/users/:id', {
    config: { role: 'admin', audit: { action: 'user.update', targetType: 'user' } },
    schema: { tags, summary: 'Change role or disable/enable', params: IdParams, body: UpdateUserBody, response: { 200: User, ...errorResponses } },
  }, async (req) => {
    const user = await users.update(req.identity!.user.id, req.params.id, req.body);
    req.auditTarget = { type: 'user', id: user.id, name: user.username };
    return user;
  });

  app.post('/users/:id/password', {
    config: { role: 'admin', audit: { action: 'user.password.reset', targetType: 'user' } },
    schema: { tags, summary: "Reset a user's password (ends their sessions)", params: IdParams, body: ResetPasswordBody, response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    await users.resetPassword(req.params.id, req.body.password);
    return reply.status(204).send(null);
  });

  app.delete('/users/:id', {
    config: { role: 'admin', audit: { action: 'user.delete', targetType: 'user' } },
    schema: { tags, summary: 'Delete a user', params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    const u = await users.remove(req.identity!.user.id, req.params.id);
    req.auditTarget = { type: 'user', id: u.id, name: u.username };
    return reply.status(204).send(null);
  });
}
