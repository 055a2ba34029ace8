import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

/** Server messages carry a stable code + params for the UI to translate; the English text stays. */
describe('server message codes', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    // Kept on close: the last case restarts the server on the same database.
    t = await startTestApp({}, { keepDataDir: true });
    admin = await t.setupAdmin();
  });
  afterAll(async () => {
    await t.close();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('schema validation errors name the rule, the field and the limit', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'x'.repeat(200), address: '10.0.0.1', authMethod: 'generate' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation.maxLength', field: 'name', params: { field: 'name', limit: expect.any(Number) } });
    expect(res.json().message).toMatch(/^name must be at most \d+ characters$/);

    const missing = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload: { name: 'ok' } });
    expect(missing.json()).toMatchObject({ code: 'validation.required', params: { field: expect.any(String) } });
  });

  it('not-found and name clashes get their own codes', async () => {
    const gone = await t.call({ method: 'GET', url: '/api/tasks/nope', cookie: admin });
    expect(gone.json()).toMatchObject({ statusCode: 404, code: 'notFound.task', message: 'Task not found' });

    const body = { name: 'codes-dup', address: '10.0.0.9', authMethod: 'generate' };
    const first = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload: body });
    const dup = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload: body });
    expect(dup.json()).toMatchObject({ statusCode: 409, code: 'host.nameTaken', field: 'name', params: { name: 'codes-dup' } });
    await t.call({ method: 'DELETE', url: `/api/hosts/${first.json().id}`, cookie: admin });
  });

  it('tasks carry codes for their progress, end, failure and cancellation', async () => {
    const start = (payload: object) => t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload }).then((r) => r.json());
    const settled = async (id: string) => {
      await expect
        .poll(async () => (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie: admin })).json().status, { timeout: 5000 })
        .not.toBe('running');
      return (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie: admin })).json();
    };
    const ok = await settled((await start({ steps: 2, intervalMs: 10 })).id);
    expect(ok).toMatchObject({
      status: 'ok',
      message: 'Completed 2 steps',
      messageCode: 'task.completedSteps',
      messageParams: { count: 2 },
    });

    const failed = await settled((await start({ steps: 3, intervalMs: 10, failAtStep: 2 })).id);
    expect(failed).toMatchObject({ status: 'error', errorCode: 'task.failed', errorParams: { detail: failed.error } });
    // Read back from the list too (the database keeps only the text; the codes come along).
    const listed = (await t.call({ method: 'GET', url: '/api/tasks?limit=5', cookie: admin })).json() as {
      id: string;
      errorCode?: string;
    }[];
    expect(listed.find((x) => x.id === failed.id)?.errorCode).toBe('task.failed');

    const slow = await start({ steps: 50, intervalMs: 200 });
    await t.call({ method: 'POST', url: `/api/tasks/${slow.id}/cancel`, cookie: admin });
    expect(await settled(slow.id)).toMatchObject({ status: 'cancelled', message: 'Cancelled', messageCode: 'task.cancelled' });
    const again = await t.call({ method: 'POST', url: `/api/tasks/${slow.id}/cancel`, cookie: admin });
    expect(again.json()).toMatchObject({ statusCode: 409, code: 'task.alreadyFinished', params: { status: 'cancelled' } });
  });

  it('audit records keep the code and values of a refusal, and task codes survive a restart', async () => {
    const refused = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'y'.repeat(200), address: '10.0.0.1', authMethod: 'generate' },
    });
    expect(refused.statusCode).toBe(400);
    const page = (await t.call({ method: 'GET', url: '/api/audit?action=host.create&result=error&limit=1', cookie: admin })).json() as {
      items: { errorMessage: string; errorCode?: string; errorParams?: Record<string, unknown> }[];
    };
    expect(page.items[0]).toMatchObject({
      errorMessage: refused.json().message,
      errorCode: 'validation.maxLength',
      errorParams: { field: 'name', limit: expect.any(Number) },
    });
    // The code is part of what the record's MAC covers: the chain still verifies.
    expect((await t.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json()).toMatchObject({ intact: true });

    const failed = (
      await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 2, intervalMs: 10, failAtStep: 1 } })
    ).json();
    await expect
      .poll(async () => (await t.call({ method: 'GET', url: `/api/tasks/${failed.id}`, cookie: admin })).json().status, { timeout: 5000 })
      .toBe('error');
    const ok = (await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 2, intervalMs: 10 } })).json();
    await expect
      .poll(async () => (await t.call({ method: 'GET', url: `/api/tasks/${ok.id}`, cookie: admin })).json().status, { timeout: 5000 })
      .toBe('ok');

    await t.close();
    t = await startTestApp({}, { dataDir: t.dataDir, keepDataDir: true });
    admin = await t.login('admin', 'correct horse battery');
    const again = (await t.call({ method: 'GET', url: `/api/tasks/${failed.id}`, cookie: admin })).json();
    expect(again).toMatchObject({ status: 'error', errorCode: 'task.failed', errorParams: { detail: again.error } });
    const listed = (await t.call({ method: 'GET', url: '/api/tasks?limit=10', cookie: admin })).json() as {
      id: string;
      messageCode?: string;
    }[];
    expect(listed.find((x) => x.id === ok.id)).toMatchObject({ messageCode: 'task.completedSteps' });
    const end = (await t.call({ method: 'GET', url: `/api/audit?taskId=${failed.id}&result=error`, cookie: admin })).json() as {
      items: { errorCode?: string }[];
    };
    expect(end.items[0]?.errorCode).toBe('task.failed');
  });
});
