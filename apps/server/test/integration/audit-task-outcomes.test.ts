import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditPage, AuditVerify, Task, TaskDetail } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';

/**
 * A request answered with a task is recorded as what it is — accepted, "started as task …" — and the
 * task's end as the outcome, both naming the task, so the log never reads a failed build as a success.
 * Real builds on the lab's dockerd (one failing on `RUN false`, one succeeding), a cancelled task, a
 * task left running by a dead process, and a record written by an older version.
 */
const lab = readLab();
const RUN = `mia${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const tags: string[] = [];

let t: TestApp;
let admin: string;
let hostId: string;
let firstDataDir = '';

async function get<T>(url: string): Promise<T> {
  const res = await t.call({ method: 'GET', url, cookie: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
}

async function waitTask(id: string): Promise<TaskDetail> {
  const end = Date.now() + 60_000;
  for (;;) {
    const task = await get<TaskDetail>(`/api/tasks/${id}`);
    if (task.status !== 'queued' && task.status !== 'running') return task;
    if (Date.now() > end) throw new Error(`task ${id} still ${task.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The records of one task, oldest first, once its end is written. */
async function recordsOf(taskId: string): Promise<AuditEntry[]> {
  for (let i = 0; i < 50; i++) {
    const page = await get<AuditPage>(`/api/audit?taskId=${taskId}`);
    if (page.items.some((e) => e.action.startsWith('task.') && e.result !== 'accepted')) return [...page.items].reverse();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no outcome record for task ${taskId}`);
}

async function build(tag: string, dockerfile: string): Promise<{ task: TaskDetail; request: AuditEntry; end: AuditEntry }> {
  tags.push(tag);
  const res = await t.call({
    method: 'POST',
    url: `/api/hosts/${hostId}/images/build?tag=${encodeURIComponent(tag)}`,
    cookie: admin,
    payload: dockerfile,
    headers: { 'content-type': 'text/plain' },
  });
  expect(res.statusCode, res.body).toBe(202);
  const task = await waitTask(res.json<Task>().id);
  const [request, end, ...rest] = await recordsOf(task.id);
  expect(rest).toEqual([]);
  return { task, request: request!, end: end! };
}

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket }, { keepDataDir: true });
  firstDataDir = t.dataDir;
  admin = await t.setupAdmin();
  const hosts = await get<Array<{ id: string; kind: string }>>('/api/hosts');
  hostId = hosts.find((h) => h.kind === 'local')!.id;
});

afterAll(async () => {
  for (const tag of tags) {
    try {
      docker('rmi', '-f', tag);
    } catch {
      /* never built */
    }
  }
  await t?.close();
  // The first app kept its data dir for the restart; gone already when the restart ran.
  rmSync(firstDataDir, { recursive: true, force: true });
});

describe('a request that starts a task, and the task’s end', () => {
  it('a failing build (RUN false): the request reads accepted, the task’s end failed with the reason, linked both ways', async () => {
    const { task, request, end } = await build(`mirador-test/${RUN}-fails:1`, 'FROM labbox:latest\nRUN false\n');
    expect(task.status).toBe('error');
    expect(request).toMatchObject({ action: 'image.build', result: 'accepted', statusCode: 202, taskId: task.id, errorMessage: null });
    expect(request.params).toMatchObject({ taskId: task.id, taskType: 'image.build', upload: 'Dockerfile' });
    expect(end).toMatchObject({ action: 'task.image.build', result: 'error', taskId: task.id, requestSeq: request.seq });
    expect(end.errorMessage).toMatch(/returned a non-zero code: 1/);
    expect(request.outcome).toEqual({
      seq: end.seq,
      at: end.at,
      action: 'task.image.build',
      result: 'error',
      errorMessage: end.errorMessage,
      // The code the audit page translates the reason with (the engine's words are its value).
      errorCode: 'task.failed',
      errorParams: { detail: end.errorMessage },
    });

    // Filters: the request is accepted, not ok; the end is an error.
    const accepted = await get<AuditPage>(`/api/audit?action=image.build&result=accepted`);
    expect(accepted.items.map((e) => e.seq)).toContain(request.seq);
    expect((await get<AuditPage>(`/api/audit?action=image.build&result=ok`)).items.map((e) => e.seq)).not.toContain(request.seq);
    expect((await get<AuditPage>(`/api/audit?action=task.image.build&result=error`)).items.map((e) => e.seq)).toContain(end.seq);
  });

  it('a succeeding build: accepted, then succeeded', async () => {
    const { task, request, end } = await build(`mirador-test/${RUN}-works:1`, 'FROM labbox:latest\nRUN true\n');
    expect(task.status, JSON.stringify(task.log.slice(-5))).toBe('ok');
    expect(request).toMatchObject({ action: 'image.build', result: 'accepted', taskId: task.id, outcome: { seq: end.seq, result: 'ok' } });
    expect(end).toMatchObject({ action: 'task.image.build', result: 'ok', errorMessage: null, taskId: task.id, requestSeq: request.seq });
  });

  it('a cancelled task ends as cancelled, not as an error', async () => {
    const res = await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 100, intervalMs: 100 } });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<Task>().id;
    const cancel = await t.call({ method: 'POST', url: `/api/tasks/${id}/cancel`, cookie: admin });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const [request, end] = await recordsOf(id);
    expect(request).toMatchObject({ action: 'task.selftest.start', result: 'accepted', outcome: { result: 'cancelled' } });
    expect(end).toMatchObject({ action: 'task.selftest', result: 'cancelled', taskId: id, requestSeq: request!.seq });
  });

  it('exports carry the result and the task id', async () => {
    const { task } = await build(`mirador-test/${RUN}-export:1`, 'FROM labbox:latest\nRUN false\n');
    const csv = await t.call({ method: 'GET', url: `/api/audit/export?format=csv&taskId=${task.id}`, cookie: admin });
    expect(csv.statusCode).toBe(200);
    const [header, ...rows] = csv.body.trim().split('\r\n');
    const cols = header!.split(',');
    expect(cols.at(-1)).toBe('taskId');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.endsWith(`,${task.id}`)).toBe(true);
    expect(rows[0]!.split(',')[cols.indexOf('result')]).toBe('accepted');
    expect(rows[1]!.split(',')[cols.indexOf('result')]).toBe('error');
    const json = await t.call({ method: 'GET', url: `/api/audit/export?format=json&taskId=${task.id}`, cookie: admin });
    expect(json.json<AuditEntry[]>().map((e) => [e.action, e.result, e.taskId])).toEqual([
      ['image.build', 'accepted', task.id],
      ['task.image.build', 'error', task.id],
    ]);
  });

  it('a record of an older version (202 written as ok) reads as accepted, and the chain still verifies', async () => {
    const old = await t.app.audit.append({
      actor: { type: 'user', id: null, name: 'admin' },
      action: 'vm.create',
      params: { body: { name: 'legacy' } },
      result: 'ok',
      statusCode: 202,
    });
    const page = await get<AuditPage>(`/api/audit?action=vm.create&result=accepted`);
    expect(page.items.find((e) => e.seq === old.seq)).toMatchObject({ result: 'accepted', taskId: null });
    expect((await get<AuditPage>(`/api/audit?action=vm.create&result=ok`)).items.some((e) => e.seq === old.seq)).toBe(false);
    expect(await get<AuditVerify>('/api/audit/verify')).toMatchObject({ intact: true, reason: null });
  });

  it('a task a dead process left running gets its end recorded at the next start', async () => {
    const row = await t.app.db.task.create({
      data: {
        id: crypto.randomUUID(),
        type: 'image.pull',
        status: 'running',
        createdAt: new Date(),
        startedAt: new Date(),
        targetType: 'image',
        targetName: 'labbox:latest',
        userName: 'admin',
        cancellable: true,
        progress: 0,
      },
    });
    const dataDir = t.dataDir;
    await t.close();
    t = await startTestApp({ dockerSocket: lab.dockerSocket }, { dataDir });
    admin = await t.login('admin', 'correct horse battery');
    const page = await get<AuditPage>(`/api/audit?taskId=${row.id}`);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ action: 'task.image.pull', result: 'error', taskId: row.id });
    expect(page.items[0]!.errorMessage).toMatch(/^Interrupted/);
    expect(await get<AuditVerify>('/api/audit/verify')).toMatchObject({ intact: true });
  });
});
