import { randomUUID } from 'node:crypto';
import type { CreateRegistryBody, Registry, UpdateRegistryBody } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import type { SecretBox } from '../lib/secret-box.js';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';

interface RegistryRow {
  id: string;
  name: string;
  serverAddress: string;
  username: string;
  passwordEnc: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

const toDto = (r: RegistryRow): Registry => ({
  id: r.id,
  name: r.name,
  serverAddress: r.serverAddress,
  username: r.username,
  hasPassword: r.passwordEnc.length > 0,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Docker Hub answers to several names; the CLI stores its credentials under this one. */
/** The registry's host[:port], without scheme or path, with Docker Hub's aliases folded into docker.io. */
const registryHostOf = (a: string) =>
  normalizeAddress(a.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''))
    .replace(/\/.*$/, '')
    .toLowerCase();
const normalizeAddress = (a: string) =>
  ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(a.replace(/\/.*$/, '')) ? 'docker.io' : a.replace(/\/+$/, '');

/** Registry credentials: sealed at rest (bound to the record), never returned, used for pull/push. */
export function createRegistries(db: PrismaClient, secrets: SecretBox) {
  const context = (id: string) => `registry:${id}`;
  return {
    async list(): Promise<Registry[]> {
      return (await db.registry.findMany({ orderBy: { name: 'asc' } })).map(toDto);
    },
    async get(id: string): Promise<Registry> {
      const r = await db.registry.findUnique({ where: { id } });
      if (!r) throw notFound('Registry');
      return toDto(r);
    },
    async create(body: CreateRegistryBody): Promise<Registry> {
      if (await db.registry.findUnique({ where: { name: body.name } }))
        throw conflict(`A registry named "${body.name}" exists already`, 'name', 'registry.nameTaken', { name: body.name });
      const id = randomUUID();
      const row = await db.registry.create({
        data: {
          id,
          name: body.name,
          serverAddress: normalizeAddress(body.serverAddress),
          username: body.username,
          passwordEnc: secrets.seal(body.password, context(id)),
        },
      });
      return toDto(row);
    },
    async update(id: string, body: UpdateRegistryBody): Promise<Registry> {
      const r = await db.registry.findUnique({ where: { id } });
      if (!r) throw notFound('Registry');
      if (body.name && body.name !== r.name && (await db.registry.findUnique({ where: { name: body.name } })))
        throw conflict(`A registry named "${body.name}" exists already`, 'name', 'registry.nameTaken', { name: body.name });
      const row = await db.registry.update({
        where: { id },
        data: {
          ...(body.name ? { name: body.name } : {}),
          ...(body.serverAddress ? { serverAddress: normalizeAddress(body.serverAddress) } : {}),
          ...(body.username ? { username: body.username } : {}),
          ...(body.password ? { passwordEnc: secrets.seal(body.password, context(id)) } : {}),
        },
      });
      return toDto(row);
    },
    async remove(id: string): Promise<Registry> {
      const r = await db.registry.findUnique({ where: { id } });
      if (!r) throw notFound('Registry');
      await db.registry.delete({ where: { id } });
      return toDto(r);
    },
    /** A stored registry's login (the password unsealed only for the caller's own use, never returned). */
    async credentialsOf(id: string): Promise<RegistryAuth> {
      const r = await db.registry.findUnique({ where: { id } });
      if (!r) throw notFound('Registry');
      return { username: r.username, password: secrets.open(r.passwordEnc, context(r.id)), serveraddress: r.serverAddress };
    },
    /** Credentials for an image: the chosen registry, or the one serving the image's registry host. */
    async authFor(registryHost: string, registryId?: string): Promise<RegistryAuth | undefined> {
      const r = registryId
        ? await db.registry.findUnique({ where: { id: registryId } })
        : await db.registry.findFirst({ where: { serverAddress: normalizeAddress(registryHost) } });
      if (registryId && !r) throw notFound('Registry');
      if (!r) return undefined;
      // Credentials go only to the registry they belong to: choosing registry A's login for an image
      // on host B would hand A's password to whoever runs B.
      if (registryId && registryHostOf(r.serverAddress) !== registryHostOf(registryHost)) {
        throw badRequest(
          `The credentials of "${r.name}" are for ${registryHostOf(r.serverAddress)}, but this image is on ${registryHostOf(registryHost)}: they are sent only to their own registry`,
          'registryId',
          'registry.wrongHost',
          { name: r.name, registryHost: registryHostOf(r.serverAddress), imageHost: registryHostOf(registryHost) },
        );
      }
      return { username: r.username, password: secrets.open(r.passwordEnc, context(r.id)), serveraddress: r.serverAddress };
    },
  };
}

export type Registries = ReturnType<typeof createRegistries>;

export { normalizeAddress as normalizeRegistryAddress };
