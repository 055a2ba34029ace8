import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Role } from '@mirador/contract';
import { readLab, labPrivateKey, type Lab } from '../helpers/lab.js';
import { startLiveServer, type LiveServer } from './live.js';
import type { Config } from '../../src/config.js';

/**
 * A live Mirador wired to the real lab, with one user per role and real targets to aim at: the
 * local Docker endpoint with a running container, the lab's sshd as a host (key accepted), and a
 * defined (not started) libvirt domain. If a refused request did reach a handler, it would act on
 * these, and `snapshot()` would show it.
 */
export interface SecurityLab {
  live: LiveServer;
  lab: Lab;
  docker: Docker;
  cookies: Record<Role, string>;
  users: Record<Role, { id: string; username: string; password: string }>;
  localHostId: string;
  sshHostId: string;
  container: { id: string; name: string };
  vmName: string;
  snapshot(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const PASSWORDS: Record<Role, string> = { admin: 'admin-pass-sec-1', operator: 'operator-pass-sec-1', viewer: 'viewer-pass-sec-1' };

export function virsh(lab: Lab, ...args: string[]): string {
  return execFileSync('virsh', ['-c', lab.libvirtUri, ...args], { encoding: 'utf8', timeout: 30_000 });
}

export async function startSecurityLab(area: string, overrides: Partial<Config> = {}): Promise<SecurityLab> {
  const lab = readLab();
  const docker = new Docker({ socketPath: lab.dockerSocket });
  const live = await startLiveServer({ dockerSocket: lab.dockerSocket, ...overrides });
  const admin = await live.test.setupAdmin('admin', PASSWORDS.admin);
  const users = { admin: { id: '', username: 'admin', password: PASSWORDS.admin } } as SecurityLab['users'];
  for (const role of ['operator', 'viewer'] as const) {
    const res = await live.request('POST', '/api/users', {
      cookie: admin,
      body: { username: `sec-${role}`, password: PASSWORDS[role], role },
    });
    if (res.status !== 201) throw new Error(`could not create the ${role}: ${res.body}`);
    users[role] = { id: res.json().id, username: `sec-${role}`, password: PASSWORDS[role] };
  }
  users.admin.id = (await live.request('GET', '/api/auth/me', { cookie: admin })).json().id;
  const cookies: Record<Role, string> = {
    admin,
    operator: await live.test.login('sec-operator', PASSWORDS.operator),
    viewer: await live.test.login('sec-viewer', PASSWORDS.viewer),
  };

  const hosts = (await live.request('GET', '/api/hosts', { cookie: admin })).json() as Array<{ id: string; kind: string }>;
  const local = hosts.find((h) => h.kind === 'local');
  if (!local) throw new Error('the local Docker endpoint is missing: is the lab dockerd up?');

  const created = await live.request('POST', '/api/hosts', {
    cookie: admin,
    body: { name: `sec-${area}-ssh`, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
  });
  if (created.status !== 201) throw new Error(`could not add the lab host: ${created.body}`);
  const sshHostId = created.json().id as string;
  const tested = await live.request('POST', `/api/hosts/${sshHostId}/test`, { cookie: admin });
  if (!tested.json().ok) throw new Error(`the lab host does not answer: ${tested.body}`);

  const name = `sec-${area}-target`;
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  const c = await docker.createContainer({ name, Image: lab.dockerImage, Cmd: ['sleep', '3600'], Labels: { 'mirador.test': 'security' } });
  await c.start();

  const vmName = `sec-${area}-vm`;
  try {
    execFileSync('virsh', ['-c', lab.libvirtUri, 'undefine', vmName], { stdio: 'ignore' });
  } catch {
    /* not defined */
  }
  const xml =
    `<domain type='qemu'><name>${vmName}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
    `<os><type arch='x86_64'>hvm</type><kernel>${(lab as unknown as { vmKit: { kernel: string } }).vmKit.kernel}</kernel></os>` +
    `<devices><serial type='pty'/><console type='pty'/></devices></domain>`;
  const dir = mkdtempSync(join(tmpdir(), 'mirador-sec-'));
  try {
    writeFileSync(join(dir, 'domain.xml'), xml);
    virsh(lab, 'define', join(dir, 'domain.xml'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Other security files name their objects sec-<their area>-…; leave those out so that files run
  // side by side (while developing) do not see each other's work as a change.
  const mine = (n: string) => !/^\/?sec-/.test(n) || n.replace(/^\//, '').startsWith(`sec-${area}-`);
  async function snapshot(): Promise<Record<string, unknown>> {
    const db = live.test.app.db;
    const containers = (await docker.listContainers({ all: true }))
      .filter((x) => mine(x.Names[0] ?? ''))
      .map((x) => `${x.Names[0]} ${x.State} ${x.Image}`)
      .sort();
    const volumes = ((await docker.listVolumes()).Volumes ?? [])
      .map((v) => v.Name)
      .filter(mine)
      .sort();
    const networks = (await docker.listNetworks()).map((n) => n.Name).sort();
    const images = (await docker.listImages()).map((i) => `${i.Id} ${(i.RepoTags ?? []).join(',')}`).sort();
    return JSON.parse(
      JSON.stringify({
        users: await db.user.findMany({
          select: { id: true, username: true, role: true, disabled: true, passwordHash: true },
          orderBy: { id: 'asc' },
        }),
        tokens: await db.apiToken.findMany({ select: { id: true, revokedAt: true }, orderBy: { id: 'asc' } }),
        hosts: (await db.host.findMany({ orderBy: { id: 'asc' } })).map((h) => ({
          ...h,
          status: undefined,
          statusMessage: undefined,
          lastCheckedAt: undefined,
          facts: undefined,
          updatedAt: undefined,
        })),
        settings: await db.setting.findMany({ orderBy: { key: 'asc' } }),
        registries: await db.registry.findMany({ orderBy: { id: 'asc' } }),
        tasks: await db.task.count(),
        containers,
        volumes,
        networks,
        images,
        domains: virsh(lab, 'list', '--all')
          .split('\n')
          .slice(2)
          .map((l) => l.trim().split(/\s+/).slice(1).join(' '))
          .filter((l) => l && mine(l)),
        libvirtNetworks: virsh(lab, 'net-list', '--all'),
      }),
    );
  }

  return {
    live,
    lab,
    docker,
    cookies,
    users,
    localHostId: local.id,
    sshHostId,
    container: { id: c.id, name },
    vmName,
    snapshot,
    async close() {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => {});
      try {
        virsh(lab, 'undefine', vmName);
      } catch {
        /* gone */
      }
      await live.close();
    },
  };
}
