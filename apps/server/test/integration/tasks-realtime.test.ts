import type { ServerMessage } from '@mirador/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { wsConnect } from '../helpers/ws-client.js';

type Msg = ServerMessage;
const connect = (url: string, cookie: string | null, origin?: string) => wsConnect<Msg>(url, cookie, origin);

describe('tasks and realtime', () => {
  let t: TestApp;
  let admin: string;
  let wsUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address() as { port: number };
    wsUrl = `ws://127.0.0.1:${addr.port}/api/ws`;
  });
  afterAll(async () => t.close());

  it('refuses unauthenticated and cross-origin websockets', async () => {
    await expect(connect(wsUrl, null)).rejects.toThrow(/401/);
    await expect(connect(wsUrl, admin, 'http://evil.example')).rejects.toThrow(/403/);
  });

  it('pushes host changes to subscribers', async () => {
    const c = await connect(wsUrl, admin);
    await c.waitFor((m) => m.type === 'hello');
    c.send({ type: 'subscribe', topic: 'hosts' });
    await c.waitFor((m) => m.type === 'subscribed');
    const created = (
      await t.call({
        method: 'POST',
        url: '/api/hosts',
        cookie: admin,
        payload: { name: 'pushed', address: '10.1.1.1', authMethod: 'generate' },
      })
    ).json();
    const msg = await c.waitFor((m) => m.type === 'host.updated');
    expect(msg).toMatchObject({ type: 'host.updated', host: { id: created.id, name: 'pushed' } });
    expect(JSON.stringify(msg)).not.toContain('PRIVATE');
    await t.call({ method: 'DELETE', url: `/api/hosts/${created.id}`, cookie: admin });
    expect(await c.waitFor((m) => m.type === 'host.removed')).toMatchObject({ id: created.id });
    c.send({ type: 'subscribe', topic: 'nonsense; drop' });
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/malformed/) });
    c.ws.close();
  });

  it('keeps the audit topic for admins', async () => {
    const viewer = await t.userSession('viewer', 'val');
    const c = await connect(wsUrl, viewer);
    c.send({ type: 'subscribe', topic: 'audit' });
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ topic: 'audit' });
    c.ws.close();
  });

  it('runs a task with live progress and log lines, detached from the request, and audits its end', async () => {
    const c = await connect(wsUrl, admin);
    c.send({ type: 'subscribe', topic: 'tasks' });
    await c.waitFor((m) => m.type === 'subscribed');
    const res = await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 3, intervalMs: 50 } });
    expect(res.statusCode).toBe(202);
    const task = res.json();
    expect(task).toMatchObject({ type: 'selftest', status: 'running', user: { name: 'admin' }, cancellable: true });
    c.send({ type: 'subscribe', topic: `task:${task.id}` });

    const done = await c.waitFor((m) => m.type === 'task.updated' && m.task.id === task.id && m.task.status === 'ok');
    expect(done).toMatchObject({ task: { progress: 1, message: 'Completed 3 steps' } });
    const progress = c.messages.filter((m) => m.type === 'task.updated' && m.topic === 'tasks' && m.task.id === task.id);
    expect(progress.length).toBeGreaterThanOrEqual(3);

    const detail = (await t.call({ method: 'GET', url: `/api/tasks/${task.id}`, cookie: admin })).json();
    expect(detail.status).toBe('ok');
    expect(detail.log.map((l: { line: string }) => l.line)).toEqual(['step 1 of 3 done', 'step 2 of 3 done', 'step 3 of 3 done']);
    const audit = (await t.call({ method: 'GET', url: '/api/audit?action=task.selftest', cookie: admin })).json();
    expect(audit.items[0]).toMatchObject({ action: 'task.selftest', result: 'ok', actor: { name: 'admin' } });
    c.ws.close();
  });

  it('cancels a running task, and reports a failing one with its message', async () => {
    const slow = (
      await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 50, intervalMs: 200 } })
    ).json();
    const cancelled = await t.call({ method: 'POST', url: `/api/tasks/${slow.id}/cancel`, cookie: admin });
    expect(cancelled.json().status).toBe('cancelled');
    expect((await t.call({ method: 'POST', url: `/api/tasks/${slow.id}/cancel`, cookie: admin })).statusCode).toBe(409);

    const failing = (
      await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 3, intervalMs: 20, failAtStep: 2 } })
    ).json();
    await expect
      .poll(async () => (await t.call({ method: 'GET', url: `/api/tasks/${failing.id}`, cookie: admin })).json().status, { timeout: 5000 })
      .toBe('error');
    const detail = (await t.call({ method: 'GET', url: `/api/tasks/${failing.id}`, cookie: admin })).json();
    expect(detail.error).toMatch(/failed on purpose at step 2/);
    const active = (await t.call({ method: 'GET', url: '/api/tasks?status=active', cookie: admin })).json();
    expect(active).toHaveLength(0);
  });

  it('marks tasks left running by a previous process as interrupted', async () => {
    const row = await t.app.db.task.create({ data: { id: 'ghost-task', type: 'selftest', status: 'running', startedAt: new Date() } });
    expect(await t.app.tasks.recoverInterrupted()).toBe(1);
    const detail = (await t.call({ method: 'GET', url: `/api/tasks/${row.id}`, cookie: admin })).json();
    expect(detail).toMatchObject({ status: 'error', error: expect.stringMatching(/Interrupted/) });
  });
});
