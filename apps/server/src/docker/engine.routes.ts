import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateRegistryBody,
  DockerEngineList,
  DockerHostParams,
  DockerInfo,
  DockerPolicy,
  IdParams,
  OkResponse,
  Registry,
  RegistryList,
  RegistryTestResult,
  TestRegistryBody,
  TestStoredRegistryBody,
  UpdateRegistryBody,
  errorResponses,
} from '@mirador/contract';
import { onEngine } from './docker-errors.js';
import { toDockerInfo } from './docker-info.js';
import { normalizeRegistryAddress } from './registries.service.js';
import { tryRegistryLogin } from './registry-login.js';

/** Engines, their facts, their policy for non-admins, and the registry credentials they use. */
export default async function engineRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const docker = app.docker;

  app.get(
    '/docker/engines',
    {
      schema: {
        tags: ['docker'],
        summary: 'Every Docker engine of the inventory, with its state',
        response: { 200: DockerEngineList, ...errorResponses },
      },
    },
    async () => {
      const views = await docker.inventory.all(3_000);
      return {
        items: views.map((v) => {
          const containers = docker.inventory.containers(v);
          return {
            hostId: v.host.id,
            hostName: v.host.name,
            transport: v.host.transport,
            state: v.state,
            message: v.message,
            version: v.version,
            containers: containers.length,
            running: containers.filter((c) => c.state === 'running').length,
          };
        }),
      };
    },
  );

  app.get(
    '/hosts/:hostId/docker/info',
    {
      schema: {
        tags: ['docker'],
        summary: 'Engine facts: versions, storage/cgroup drivers, counts, security options, plugins',
        params: DockerHostParams,
        response: { 200: DockerInfo, ...errorResponses },
      },
    },
    async (req) => {
      const engine = await docker.engines.engine(req.params.hostId);
      const [info, version] = await onEngine(engine.host.name, () => Promise.all([engine.docker.info(), engine.docker.version()]));
      return toDockerInfo(req.params.hostId, info, version);
    },
  );

  app.get(
    '/hosts/:hostId/docker/policy',
    {
      schema: {
        tags: ['docker'],
        summary: 'What non-admins may do on this engine',
        params: DockerHostParams,
        response: { 200: DockerPolicy, ...errorResponses },
      },
    },
    async (req) => {
      await docker.engines.engine(req.params.hostId);
      return docker.policies.get(req.params.hostId);
    },
  );

  app.put(
    '/hosts/:hostId/docker/policy',
    {
      config: { role: 'admin' },
      audit: { action: 'docker.policy', target: { type: 'host', id: 'params.hostId', hostId: 'params.hostId' } },
      schema: {
        tags: ['docker'],
        summary: 'Set what non-admins may do on this engine',
        params: DockerHostParams,
        body: DockerPolicy,
        response: { 200: DockerPolicy, ...errorResponses },
      },
    },
    async (req) => {
      await docker.engines.engine(req.params.hostId);
      return docker.policies.set(req.params.hostId, req.body);
    },
  );

  app.get(
    '/registries',
    {
      schema: {
        tags: ['registries'],
        summary: 'Stored registry credentials (never the passwords)',
        response: { 200: RegistryList, ...errorResponses },
      },
    },
    async () => ({ items: await docker.registries.list() }),
  );

  app.post(
    '/registries',
    {
      config: { role: 'admin' },
      audit: { action: 'registry.create', target: { type: 'registry', name: 'body.name', fromResult: { id: 'id', name: 'name' } } },
      schema: {
        tags: ['registries'],
        summary: 'Store credentials for a registry (sealed at rest)',
        body: CreateRegistryBody,
        response: { 201: Registry, ...errorResponses },
      },
    },
    async (req, reply) => {
      req.auditParams = { name: req.body.name, serverAddress: req.body.serverAddress, username: req.body.username };
      return reply.status(201).send(await docker.registries.create(req.body));
    },
  );

  // Test login sends a password to a registry from an engine: admins, like storing one.
  app.post(
    '/registries/test',
    {
      config: { role: 'admin' },
      audit: { action: 'registry.test', target: { type: 'registry', name: 'body.serverAddress' } },
      schema: {
        tags: ['registries'],
        summary: 'Log in to a registry with unsaved credentials, from an engine (stores nothing)',
        body: TestRegistryBody,
        response: { 200: RegistryTestResult, ...errorResponses },
      },
    },
    async (req) => {
      const { serverAddress, username, password, hostId } = req.body;
      const result = await tryRegistryLogin(
        docker.engines,
        { serveraddress: normalizeRegistryAddress(serverAddress), username, password },
        hostId,
      );
      req.auditParams = { serverAddress, username, hostId: result.hostId };
      if (!result.ok) req.auditFailure = { message: result.message, code: 'registry.testFailed', params: { detail: result.message } };
      return result;
    },
  );

  app.post(
    '/registries/:id/test',
    {
      config: { role: 'admin' },
      audit: { action: 'registry.test', target: { type: 'registry', id: 'params.id' } },
      schema: {
        tags: ['registries'],
        summary: 'Log in to a stored registry (or with a new password typed in its form), from an engine',
        params: IdParams,
        body: TestStoredRegistryBody,
        response: { 200: RegistryTestResult, ...errorResponses },
      },
    },
    async (req) => {
      const stored = await docker.registries.credentialsOf(req.params.id);
      const reg = await docker.registries.get(req.params.id);
      req.auditNames({ id: reg.id, name: reg.name });
      const result = await tryRegistryLogin(docker.engines, { ...stored, password: req.body.password ?? stored.password }, req.body.hostId);
      req.auditParams = {
        serverAddress: reg.serverAddress,
        username: reg.username,
        hostId: result.hostId,
        newPassword: req.body.password ? true : undefined,
      };
      if (!result.ok) req.auditFailure = { message: result.message, code: 'registry.testFailed', params: { detail: result.message } };
      return result;
    },
  );

  app.patch(
    '/registries/:id',
    {
      config: { role: 'admin' },
      audit: { action: 'registry.update', target: { type: 'registry', id: 'params.id', fromResult: { id: 'id', name: 'name' } } },
      schema: {
        tags: ['registries'],
        summary: 'Change a registry (leave password out to keep it)',
        params: IdParams,
        body: UpdateRegistryBody,
        response: { 200: Registry, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { ...req.body, password: req.body.password ? '(changed)' : undefined };
      return docker.registries.update(req.params.id, req.body);
    },
  );

  app.delete(
    '/registries/:id',
    {
      config: { role: 'admin' },
      audit: { action: 'registry.remove', target: { type: 'registry', id: 'params.id' } },
      schema: { tags: ['registries'], summary: 'Forget a registry', params: IdParams, response: { 200: OkResponse, ...errorResponses } },
    },
    async (req) => {
      const r = await docker.registries.remove(req.params.id);
      req.auditNames({ id: r.id, name: r.name });
      return { ok: true };
    },
  );
}
