import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '@mirador/contract';
import { labPrivateKey, readLab } from '../helpers/lab.js';
import { startLiveServer, type LiveServer } from './live.js';
import { tally } from './tally.js';

/**
 * The onboarding tests (POST /api/hosts/test, POST /api/registries/test, POST /api/registries/:id/test)
 * connect somewhere with credentials from the request: the same gates as adding a host or a registry
 * (admin only, the same address/port/endpoint rules, nothing run from a field) and the passwords they
 * carry never come back — not in the answer, the audit log or the server log.
 */
const AREA = 'onboarding';
const lab = readLab();
const tag = randomBytes(4).toString('hex');
const CANARY = `/tmp/sec-${AREA}-${tag}.sh`;
const HIT = `/tmp/sec-${AREA}-${tag}.hit`;
const PASSWORD_CANARY = `pw-canary-${tag}-Zq`;
const logLines: string[] = [];
let live: LiveServer;
const cookies: Record<'admin' | 'operator' | 'viewer', string> = { admin: '', operator: '', viewer: '' };

const host = (extra: Record<string, unknown> = {}) => ({
  name: `sec-${AREA}`,
  address: lab.ssh.host,
  port: lab.ssh.port,
  authMethod: 'key',
  privateKey: labPrivateKey(lab),
  ...extra,
});

beforeAll(async () => {
  writeFileSync(CANARY, `#!/bin/sh\ntouch ${HIT}\nexit 1\n`);
  chmodSync(CANARY, 0o755);
  live = await startLiveServer({ dockerSocket: lab.dockerSocket }, { logStream: { write: (l) => void logLines.push(l) } });
  cookies.admin = await live.test.setupAdmin('admin', 'admin-pass-sec-onb');
  for (const role of ['operator', 'viewer'] as const) {
    const res = await live.request('POST', '/api/users', {
      cookie: cookies.admin,
      body: { username: `sec-${role}`, password: `${role}-pass-sec-onb`, role },
    });
    expect(res.status, res.body).toBe(201);
    cookies[role] = await live.test.login(`sec-${role}`, `${role}-pass-sec-onb`);
  }
});
afterAll(async () => {
  await live?.close();
  rmSync(CANARY, { force: true });
  rmSync(HIT, { force: true });
});

describe('POST /api/hosts/test', () => {
  const hostile: Array<[string, Record<string, unknown>, string]> = [
    ['address as an ssh option', { address: `-oProxyCommand=${CANARY}` }, 'address'],
    ['address with ;', { address: `127.0.0.1;${CANARY}` }, 'address'],
    ['address with a space', { address: '127.0.0.1 -p 22' }, 'address'],
    ['address with a user part', { address: 'root@127.0.0.1' }, 'address'],
    ['address as a URL', { address: 'http://169.254.169.254/' }, 'address'],
    ['port 0', { port: 0 }, 'port'],
    ['port 70000', { port: 70000 }, 'port'],
    ['username as an option', { username: `-oProxyCommand=${CANARY}` }, 'username'],
    ['libvirt URI with ?command=', { libvirtUri: `qemu+ssh://localhost/system?command=${CANARY}` }, 'libvirtUri'],
    ['libvirt ext transport', { libvirtUri: `qemu+ext:///system?command=${CANARY}` }, 'libvirtUri'],
    [
      'libvirt endpoint extra member',
      { libvirt: { driver: 'qemu', mode: 'system', uri: `qemu+ext:///system?command=${CANARY}` } },
      'libvirt',
    ],
    ['docker socket with $()', { dockerMode: 'ssh', dockerSocket: `/tmp/$(${CANARY}).sock` }, 'dockerSocket'],
    ['fingerprint that is not one', { hostKeyFingerprint: 'SHA256:x; rm -rf /' }, 'hostKeyFingerprint'],
  ];

  it('refuses hostile settings for admins with a 400 naming the field, and runs nothing', async () => {
    for (const [what, extra, field] of hostile) {
      const res = await live.request('POST', '/api/hosts/test', { cookie: cookies.admin, body: host(extra) });
      const refused = res.status === 400 && String(res.json<{ field?: string }>().field ?? '').startsWith(field) && !existsSync(HIT);
      expect(tally(AREA, `admin hosts/test ${what}`, refused), `${what}: ${res.status} ${res.body.slice(0, 200)}`).toBe(true);
    }
  }, 60_000);

  it('is refused to operators and viewers (403) and leaves no host behind', async () => {
    for (const who of ['operator', 'viewer'] as const) {
      const res = await live.request('POST', '/api/hosts/test', { cookie: cookies[who], body: host() });
      expect(tally(AREA, `${who} hosts/test`, res.status === 403), res.body).toBe(true);
    }
    const hosts = (await live.request('GET', '/api/hosts', { cookie: cookies.admin })).json<Array<{ name: string }>>();
    expect(hosts.some((h) => h.name === `sec-${AREA}`)).toBe(false);
  });

  it('never echoes a host password (answer, audit, log)', async () => {
    const res = await live.request('POST', '/api/hosts/test', {
      cookie: cookies.admin,
      body: host({ authMethod: 'password', privateKey: undefined, password: PASSWORD_CANARY }),
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json<{ ok: boolean }>().ok).toBe(false);
    expect(tally(AREA, 'host password in the answer', !res.body.includes(PASSWORD_CANARY))).toBe(true);
  });
});

describe('POST /api/registries/test and /api/registries/:id/test', () => {
  const reg = (extra: Record<string, unknown> = {}) => ({
    serverAddress: lab.registry.address,
    username: lab.registry.username,
    password: PASSWORD_CANARY,
    ...extra,
  });

  it('refuses addresses that are not a registry host[:port][/path] (400 naming serverAddress)', async () => {
    for (const address of [
      'http://169.254.169.254/',
      '-H unix:///var/run/docker.sock',
      `127.0.0.1:5000;${CANARY}`,
      '127.0.0.1:5000 x',
      '$(id)',
      'a@b',
    ]) {
      const res = await live.request('POST', '/api/registries/test', { cookie: cookies.admin, body: reg({ serverAddress: address }) });
      const refused = res.status === 400 && String(res.json<{ field?: string }>().field ?? '').startsWith('serverAddress');
      expect(tally(AREA, `registries/test address ${address}`, refused), `${address}: ${res.status} ${res.body.slice(0, 200)}`).toBe(true);
    }
  });

  it('is refused to operators and viewers (403)', async () => {
    for (const who of ['operator', 'viewer'] as const) {
      const res = await live.request('POST', '/api/registries/test', { cookie: cookies[who], body: reg() });
      expect(tally(AREA, `${who} registries/test`, res.status === 403), res.body).toBe(true);
      const stored = await live.request('POST', '/api/registries/sec-no-such-id/test', { cookie: cookies[who], body: {} });
      expect(tally(AREA, `${who} registries/:id/test`, stored.status === 403), stored.body).toBe(true);
    }
  });

  it('a wrong password fails without showing up anywhere', async () => {
    const res = await live.request('POST', '/api/registries/test', { cookie: cookies.admin, body: reg() });
    expect(res.status, res.body).toBe(200);
    expect(res.json<{ ok: boolean }>().ok).toBe(false);
    const made = await live.request('POST', '/api/registries', {
      cookie: cookies.admin,
      body: { name: `sec-${AREA}`, ...reg({ password: lab.registry.password }) },
    });
    expect(made.status, made.body).toBe(201);
    const typed = await live.request('POST', `/api/registries/${made.json<{ id: string }>().id}/test`, {
      cookie: cookies.admin,
      body: { password: PASSWORD_CANARY },
    });
    expect(typed.json<{ ok: boolean }>().ok).toBe(false);
    const audit = (await live.request('GET', '/api/audit?limit=200', { cookie: cookies.admin })).json<AuditPage>();
    expect(audit.items.filter((e) => e.action === 'registry.test' || e.action === 'host.test').length).toBeGreaterThanOrEqual(3);
    const places: Array<[string, string]> = [
      ['answers', res.body + typed.body],
      ['audit log', JSON.stringify(audit)],
      ['server log', logLines.join('')],
    ];
    for (const [where, text] of places) {
      expect(tally(AREA, `password canary in the ${where}`, !text.includes(PASSWORD_CANARY)), where).toBe(true);
      expect(text.includes(lab.registry.password), `the lab registry password in the ${where}`).toBe(false);
    }
    expect(logLines.length, 'the server log was captured').toBeGreaterThan(5);
  });
});
