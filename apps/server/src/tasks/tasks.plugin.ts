import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createTaskManager, type TaskManager } from './task-manager.js';

declare module 'fastify' {
  interface FastifyInstance {
    tasks: TaskManager;
  }
}

export default fp(
  async function tasksPlugin(app: FastifyInstance) {
    const tasks = createTaskManager({ db: app.db, bus: app.bus, audit: app.audit, log: app.log });
    const interrupted = await tasks.recoverInterrupted();
    if (interrupted) app.log.warn({ interrupted }, 'marked tasks left running by the previous process as interrupted');
    app.decorate('tasks', tasks);
    app.addHook('preClose', async () => tasks.close());
  },
  { name: 'tasks', dependencies: ['infra', 'audit'] },
);
