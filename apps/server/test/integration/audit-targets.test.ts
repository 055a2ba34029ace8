import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Targets are declared by each route (its `audit` option) and resolved by the audit plugin, so a
 * request refused before its handler ran still names what it aimed at.
 */
describe('audit targets declared by the routes', () => {
  let t: TestApp;
  let admin: string;
  let operator: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.setupAdmin();
    operator = await t.userSession('operator', 'otto');
  });
  afterAll(async () => t.close());

  /** The newest record of an action. */
  async function last(action: string): Promise<AuditEntry> {
    const res = await t.call({ method: 'GET', url: `/api/audit?action=${action}&limit=1`, cookie: admin });
    expect(res.statusCode, res.body).toBe(200);
    const [entry] = res.json<{ items: AuditEntry[] }>().items;
    expect(entry, `no ${action} record`).toBeDefined();
    return entry!;
  }

  it('keeps only the names of env entries in the body of a refused container create', async () => {
    const canary = 'postgres://app:audit-canary-7f3c@db';
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts/h-123/containers',
      cookie: admin,
      payload: { image: 'labbox:latest', name: 'bad name!', env: [`DB_URL=${canary}`, 'MODE=prod'] },
    });
    expect(res.statusCode, res.body).toBe(400);
    const entry = await last('container.create');
    expect(entry).toMatchObject({ result: 'error', statusCode: 400 });
    expect(JSON.stringify(entry)).not.toContain('audit-canary-7f3c');
    expect(JSON.stringify(entry.params)).toContain('DB_URL=…');
  });

  it('names the target of a call refused with 403 (an operator on an admin route) from its path', async () => {
    const policy = await t.call({
      method: 'PUT',
      url: '/api/hosts/h-123/docker/policy',
      cookie: operator,
      payload: { allowPrivileged: true },
    });
    expect(policy.statusCode).toBe(403);
    expect(await last('docker.policy')).toMatchObject({
      actor: { type: 'user', name: 'otto' },
      result: 'error',
      statusCode: 403,
      target: { type: 'host', id: 'h-123', name: null, hostId: 'h-123' },
    });

    const host = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: operator,
      payload: { name: 'lab-7', address: '10.0.0.7', authMethod: 'generate' },
    });
    expect(host.statusCode).toBe(403);
    // The role is checked before the body is read: a target named by the body stays unnamed here.
    expect(await last('host.create')).toMatchObject({ statusCode: 403, target: { type: 'host', id: null, name: null, hostId: null } });

    const token = await t.call({ method: 'DELETE', url: '/api/users/u-1/tokens/tok-9', cookie: operator });
    expect(token.statusCode).toBe(403);
    expect(await last('user.token.revoke')).toMatchObject({ statusCode: 403, target: { type: 'token', id: 'tok-9' } });
  });

  it('names the target of a body refused with 400 by validation, and ignores fields of the wrong type', async () => {
    const bad = await t.call({
      method: 'POST',
      url: '/api/hosts/h-123/vms',
      cookie: admin,
      payload: { name: 'web-1', memoryMiB: 'lots', vcpus: 1, disk: { kind: 'none' }, install: { kind: 'import' } },
    });
    expect(bad.statusCode).toBe(400);
    expect(await last('vm.create')).toMatchObject({
      actor: { type: 'user', name: 'admin' },
      result: 'error',
      statusCode: 400,
      target: { type: 'vm', id: 'web-1', name: 'web-1', hostId: 'h-123' },
    });

    const wrongType = await t.call({ method: 'POST', url: '/api/hosts/h-123/vms', cookie: admin, payload: { name: 42 } });
    expect(wrongType.statusCode).toBe(400);
    expect(await last('vm.create')).toMatchObject({ statusCode: 400, target: { type: 'vm', id: null, name: null, hostId: 'h-123' } });
  });

  it('reads only the path of a caller refused before anyone was identified', async () => {
    const res = await t.call({ method: 'POST', url: '/api/hosts/h-123/volumes', payload: { name: 'vol-anon' } });
    expect(res.statusCode).toBe(401);
    expect(await last('volume.create')).toMatchObject({
      actor: { type: 'anonymous' },
      statusCode: 401,
      target: { type: 'volume', id: null, name: null, hostId: 'h-123' },
    });
  });

  it('completes the target from the answer (fromResult) and from the handler (auditNames)', async () => {
    const made = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'vera', password: 'viewer-pass', role: 'viewer' },
    });
    expect(made.statusCode).toBe(201);
    const id = made.json<{ id: string }>().id;
    expect(await last('user.create')).toMatchObject({ result: 'ok', target: { type: 'user', id, name: 'vera', hostId: null } });

    const gone = await t.call({ method: 'DELETE', url: `/api/users/${id}`, cookie: admin });
    expect(gone.statusCode).toBe(204);
    expect(await last('user.delete')).toMatchObject({ result: 'ok', target: { type: 'user', id, name: 'vera' } });

    // Failed inside the handler: the request's part of the target is still there.
    const missing = await t.call({ method: 'DELETE', url: '/api/users/no-such-user', cookie: admin });
    expect(missing.statusCode).toBe(404);
    expect(await last('user.delete')).toMatchObject({ result: 'error', target: { type: 'user', id: 'no-such-user', name: null } });

    const task = await t.call({ method: 'POST', url: '/api/tasks/selftest', cookie: admin, payload: { steps: 1, intervalMs: 10 } });
    expect(task.statusCode).toBe(202);
    expect(await last('task.selftest.start')).toMatchObject({
      target: { type: 'task', id: task.json<{ id: string }>().id, name: 'self-test' },
    });

    const password = await t.call({ method: 'POST', url: '/api/auth/password', cookie: operator, payload: { currentPassword: 'x' } });
    expect(password.statusCode).toBe(400);
    expect(await last('auth.password.change')).toMatchObject({ statusCode: 400, target: { type: 'user', name: 'otto' } });
  });
});
