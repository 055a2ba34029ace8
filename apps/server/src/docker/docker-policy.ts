import { DEFAULT_DOCKER_POLICY, type DockerPolicy } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { badRequest } from '../lib/http-errors.js';

const keyOf = (hostId: string) => `dockerPolicy:${hostId}`;

/** Per-engine rules for non-admins, kept in the settings table (admins edit them). */
export function createDockerPolicies(db: PrismaClient) {
  return {
    async get(hostId: string): Promise<DockerPolicy> {
      const row = await db.setting.findUnique({ where: { key: keyOf(hostId) } });
      if (!row) return { ...DEFAULT_DOCKER_POLICY, allowedCapAdd: [], bindMountAllowList: [] };
      return { ...DEFAULT_DOCKER_POLICY, ...(JSON.parse(row.value) as Partial<DockerPolicy>) };
    },
    async set(hostId: string, policy: DockerPolicy): Promise<DockerPolicy> {
      const bindMountAllowList = [...new Set(policy.bindMountAllowList.map((p, i) => normalizeAllowed(p, i)))];
      const allowedCapAdd = [...new Set(policy.allowedCapAdd.map((c) => c.replace(/^CAP_/, '')))];
      if (allowedCapAdd.includes('ALL'))
        throw badRequest('allowedCapAdd: "ALL" cannot be granted to non-admins; list the capabilities one by one', 'allowedCapAdd');
      const value: DockerPolicy = {
        ...policy,
        allowedCapAdd,
        bindMountAllowList,
        viewersSeeEnvValues: policy.viewersSeeEnvValues === true,
        allowUnconfined: policy.allowUnconfined === true,
      };
      await db.setting.upsert({
        where: { key: keyOf(hostId) },
        create: { key: keyOf(hostId), value: JSON.stringify(value) },
        update: { value: JSON.stringify(value) },
      });
      return value;
    },
    async forget(hostId: string) {
      await db.setting.deleteMany({ where: { key: keyOf(hostId) } });
    },
  };
}

function normalizeAllowed(p: string, i: number): string {
  const field = `bindMountAllowList[${i}]`;
  if (!p.startsWith('/') || /[\0-\x1f]/.test(p) || p.split('/').includes('..'))
    throw badRequest(`${field}: "${p}" must be an absolute host path without ".." segments`, field);
  const norm = p.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  if (norm === '/') throw badRequest(`${field}: "/" would allow every host path; list the directories labs may use instead`, field);
  return norm;
}

export type DockerPolicies = ReturnType<typeof createDockerPolicies>;
