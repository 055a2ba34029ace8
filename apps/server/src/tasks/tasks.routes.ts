import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, SelfTestTaskBody, Task, TaskDetail, TaskListQuery, errorResponses } from '@mirador/contract';
import { selfTestTask } from './selftest.task.js';

export default async function tasksRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tasks'];

  app.get(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'Running and recent tasks, newest first',
        querystring: TaskListQuery,
        response: { 200: Type.Array(Task), ...errorResponses },
      },
    },
    async (req) => app.tasks.list(req.query),
  );

  app.get(
    '/tasks/:id',
    {
      schema: { tags, summary: 'One task with its log', params: IdParams, response: { 200: TaskDetail, ...errorResponses } },
    },
    async (req) => app.tasks.get(req.params.id),
  );

  app.post(
    '/tasks/:id/cancel',
    {
      audit: { action: 'task.cancel', target: { type: 'task', id: 'params.id' } },
      schema: {
        tags,
        summary: 'Cancel a running task (where the operation allows it)',
        params: IdParams,
        response: { 200: TaskDetail, ...errorResponses },
      },
    },
    async (req) => app.tasks.cancel(req.params.id),
  );

  app.post(
    '/tasks/selftest',
    {
      // The task's own target is always named "self-test".
      audit: { action: 'task.selftest.start', target: { type: 'task', fromResult: { id: 'id', name: 'target.name' } } },
      schema: {
        tags,
        summary: 'Start a harmless demo task (progress, log, cancel, optional failure)',
        body: SelfTestTaskBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const user = req.identity!.user;
      const task = await app.tasks.start({
        type: 'selftest',
        target: { type: 'mirador', name: 'self-test' },
        user: { id: user.id, name: user.username },
        cancellable: true,
        params: req.body,
        run: selfTestTask(req.body),
      });
      return reply.status(202).send(task);
    },
  );
}
