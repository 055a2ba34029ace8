import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, Host, HostTestResult, Registry, RegistryTestResult } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab } from '../helpers/lab.js';

/**
 * Onboarding as in Cockpit: "Test connection" on an unsaved host shows the SSH host key and what
 * the host offers before anything is stored, and saving pins exactly the confirmed key; "Test login"
 * on a registry logs in from an engine with the unsaved or stored password (never echoed anywhere).
 * Against the lab's sshd (:2222, impostor :2223) and its password-protected registry (:5000).
 */
const lab = readLab();
const RUN = `onb${process.pid}`;
const logs: string[] = [];
let t: TestApp;
let admin: string;
let olga: string;

const hostBody = (extra: Record<string, unknown> = {}) => ({
  name: `${RUN}-lab`,
  address: lab.ssh.host,
  port: lab.ssh.port,
  username: lab.ssh.user,
  authMethod: 'key',
  privateKey: labPrivateKey(lab),
  dockerMode: 'ssh',
  ...extra,
});

const auditOf = async (action: string) =>
  (await t.call({ method: 'GET', url: `/api/audit?action=${action}&limit=50`, cookie: admin })).json<AuditPage>().items;

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket }, { logStream: { write: (l) => void logs.push(l) } });
  admin = await t.setupAdmin();
  olga = await t.userSession('operator', 'olga');
});
afterAll(async () => t?.close());

describe('POST /api/hosts/test (unsaved host)', () => {
  it('shows the host key and what the host offers, and stores nothing', async () => {
    const res = await t.call({ method: 'POST', url: '/api/hosts/test', cookie: admin, payload: hostBody() });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json<HostTestResult>();
    expect(r).toMatchObject({ ok: true, reachable: true, authOk: true });
    expect(r.hostKey).toMatchObject({ fingerprint: lab.ssh.hostKeyFingerprint, algorithm: 'ssh-ed25519', pin: 'new' });
    expect(r.facts.libvirtVersion).toMatch(/^\d+\.\d+/);
    expect(r.facts.dockerVersion ?? r.facts.dockerError).toBeTruthy();
    expect(res.body).not.toContain('PRIVATE KEY');
    const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Host[]>();
    expect(hosts.some((h) => h.name === `${RUN}-lab`)).toBe(false);
    const rec = (await auditOf('host.test')).find((e) => e.target.name === `${RUN}-lab`);
    expect(rec?.result).toBe('ok');
    expect(JSON.stringify(rec)).not.toContain('PRIVATE KEY');
  });

  it('saving with the confirmed fingerprint pins exactly that key', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: hostBody({ hostKeyFingerprint: lab.ssh.hostKeyFingerprint, hostKeyAlgorithm: 'ssh-ed25519' }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const host = created.json<Host>();
    expect(host.hostKey).toMatchObject({ fingerprint: lab.ssh.hostKeyFingerprint, algorithm: 'ssh-ed25519' });
    const again = (await t.call({ method: 'POST', url: `/api/hosts/${host.id}/test`, cookie: admin })).json<HostTestResult>();
    expect(again.hostKey?.pin).toBe('match');
  });

  it('a confirmed fingerprint that another server does not present is refused, not re-pinned', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts/test',
      cookie: admin,
      payload: hostBody({ port: lab.sshImpostor.port, hostKeyFingerprint: lab.ssh.hostKeyFingerprint }),
    });
    const r = res.json<HostTestResult>();
    expect(r.ok).toBe(false);
    expect(r.hostKey).toMatchObject({
      pin: 'mismatch',
      fingerprint: lab.sshImpostor.hostKeyFingerprint,
      expected: lab.ssh.hostKeyFingerprint,
    });
  });

  it('a name that does not resolve says so', async () => {
    const r = (
      await t.call({ method: 'POST', url: '/api/hosts/test', cookie: admin, payload: hostBody({ address: 'no-such-host.invalid' }) })
    ).json<HostTestResult>();
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/^Cannot resolve no-such-host\.invalid/);
  });

  it('is for admins, and a generated key (not on the host yet) is refused with the field named', async () => {
    const op = await t.call({ method: 'POST', url: '/api/hosts/test', cookie: olga, payload: hostBody() });
    expect(op.statusCode).toBe(403);
    const gen = await t.call({
      method: 'POST',
      url: '/api/hosts/test',
      cookie: admin,
      payload: hostBody({ authMethod: 'generate', privateKey: undefined }),
    });
    expect(gen.statusCode).toBe(400);
    expect(gen.json<{ field?: string }>().field).toBe('authMethod');
  });
});

describe('registry test login', () => {
  const reg = lab.registry;
  const body = (password: string) => ({ serverAddress: reg.address, username: reg.username, password });

  it('logs in with the right password and refuses a wrong one, never echoing either', async () => {
    const good = await t.call({ method: 'POST', url: '/api/registries/test', cookie: admin, payload: body(reg.password) });
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json<RegistryTestResult>()).toMatchObject({ ok: true, command: `docker login -u ${reg.username} ${reg.address}` });
    expect(good.body).not.toContain(reg.password);

    const canary = `wrong-${RUN}-canary`;
    const bad = await t.call({ method: 'POST', url: '/api/registries/test', cookie: admin, payload: body(canary) });
    expect(bad.statusCode, bad.body).toBe(200);
    const r = bad.json<RegistryTestResult>();
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/unauthorized|authentication/i);
    expect(bad.body).not.toContain(canary);

    const recs = await auditOf('registry.test');
    expect(recs.map((e) => e.result).sort()).toEqual(['error', 'ok']);
    expect(JSON.stringify(recs)).not.toContain(canary);
    expect(JSON.stringify(recs)).not.toContain(reg.password);
    expect(logs.join('\n')).not.toContain(canary);
    expect(logs.join('\n')).not.toContain(reg.password);
  });

  it('tests a stored registry, and a new password typed in its form, without changing it', async () => {
    const made = await t.call({
      method: 'POST',
      url: '/api/registries',
      cookie: admin,
      payload: { name: `${RUN}-reg`, ...body(reg.password) },
    });
    expect(made.statusCode, made.body).toBe(201);
    const id = made.json<Registry>().id;
    const ok = (await t.call({ method: 'POST', url: `/api/registries/${id}/test`, cookie: admin, payload: {} })).json<RegistryTestResult>();
    expect(ok.ok).toBe(true);
    const typed = (
      await t.call({ method: 'POST', url: `/api/registries/${id}/test`, cookie: admin, payload: { password: 'not-the-password' } })
    ).json<RegistryTestResult>();
    expect(typed.ok).toBe(false);
    const still = (
      await t.call({ method: 'POST', url: `/api/registries/${id}/test`, cookie: admin, payload: {} })
    ).json<RegistryTestResult>();
    expect(still.ok).toBe(true);
    expect((await t.call({ method: 'POST', url: `/api/registries/${id}/test`, cookie: olga, payload: {} })).statusCode).toBe(403);
    await t.call({ method: 'DELETE', url: `/api/registries/${id}`, cookie: admin });
  });
});
