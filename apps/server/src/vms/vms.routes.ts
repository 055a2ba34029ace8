import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AutostartBody,
  CreateVmBody,
  HostVirtResources,
  CreateVmPreview,
  DeleteVmQuery,
  HostIdParams,
  Task,
  VmAction,
  VmActionResult,
  VmCommands,
  VmDetail,
  VmList,
  VmListQuery,
  VmParams,
  errorResponses,
} from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { createVmListBody } from './vm-list-body.js';

const ActionParams = Type.Object({ ...VmParams.properties, action: VmAction });
const DeleteResult = Type.Object({ commands: Type.Array(Type.String()), warnings: Type.Array(Type.String()) });

/** Admins may name any host file; everyone else is held to the storage pools (see vm-paths.ts). */
const callerOf = (req: FastifyRequest) => ({ isAdmin: roleAtLeast(req.identity!.user.role, 'admin') });

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

export default async function vmsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const vms = app.vms;
  const tags = ['vms'];
  const listBody = createVmListBody();

  app.get(
    '/vms',
    {
      schema: {
        tags,
        summary: 'VMs on every host (served from the live inventory)',
        querystring: VmListQuery,
        response: { 200: VmList, ...errorResponses },
      },
    },
    async (req, reply) => {
      // Sent as ready JSON: the items' part is serialised once per change, not once per request (vm-list-body.ts).
      const body = listBody(await vms.list(req.query), (schema, status) => reply.compileSerializationSchema(schema, status));
      // A string with a JSON content type is sent as it is (the schema's serializers already made it).
      return reply.type('application/json; charset=utf-8').send(body as unknown as VmList);
    },
  );

  app.get(
    '/hosts/:hostId/vms',
    {
      schema: {
        tags,
        summary: "One host's VMs",
        params: HostIdParams,
        querystring: VmListQuery,
        response: { 200: VmList, ...errorResponses },
      },
    },
    async (req) => vms.list({ ...req.query, hostId: req.params.hostId }),
  );

  app.get(
    '/hosts/:hostId/virt-resources',
    {
      schema: {
        tags,
        summary: "The host's storage pools, libvirt networks and OS variants (for creating VMs)",
        params: HostIdParams,
        response: { 200: HostVirtResources, ...errorResponses },
      },
    },
    async (req) => vms.resources(req.params.hostId),
  );

  app.get(
    '/hosts/:hostId/vms/:name',
    {
      schema: { tags, summary: 'One VM with its domain XML', params: VmParams, response: { 200: VmDetail, ...errorResponses } },
    },
    async (req) => vms.detail(req.params.hostId, req.params.name),
  );

  app.get(
    '/hosts/:hostId/vms/:name/commands',
    {
      schema: {
        tags,
        summary: 'The virsh command line of every action on this VM (teaching aid)',
        params: VmParams,
        response: { 200: VmCommands, ...errorResponses },
      },
    },
    async (req) => vms.commands(req.params.hostId, req.params.name),
  );

  app.post(
    '/hosts/:hostId/vms/:name/:action',
    {
      audit: { action: 'vm.action', target: vmTarget },
      schema: {
        tags,
        summary: 'start | shutdown | reboot | destroy | suspend | resume (answers once libvirt has)',
        params: ActionParams,
        response: { 200: VmActionResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { action: req.params.action };
      return vms.action(req.params.hostId, req.params.name, req.params.action);
    },
  );

  app.post(
    '/hosts/:hostId/vms/:name/autostart',
    {
      audit: { action: 'vm.autostart', target: vmTarget },
      schema: {
        tags,
        summary: 'Turn autostart on or off',
        params: VmParams,
        body: AutostartBody,
        response: { 200: VmActionResult, ...errorResponses },
      },
    },
    async (req) => vms.setAutostart(req.params.hostId, req.params.name, req.body.enabled),
  );

  app.delete(
    '/hosts/:hostId/vms/:name',
    {
      audit: { action: 'vm.delete', target: vmTarget },
      schema: {
        tags,
        summary: 'Undefine a VM (NVRAM, snapshot metadata, managed save), optionally with its disks',
        params: VmParams,
        querystring: DeleteVmQuery,
        response: { 200: DeleteResult, ...errorResponses },
      },
    },
    async (req) =>
      vms.remove(
        req.params.hostId,
        req.params.name,
        { removeStorage: req.query.removeStorage ?? false, force: req.query.force ?? false },
        callerOf(req),
      ),
  );

  app.post(
    '/hosts/:hostId/vms/preview',
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The virt-install command and domain XML a create request would use (nothing runs)',
        params: HostIdParams,
        body: CreateVmBody,
        response: { 200: CreateVmPreview, ...errorResponses },
      },
    },
    async (req) => {
      const { command, xml, warnings } = await vms.preview(req.params.hostId, req.body, callerOf(req));
      return { command, xml, ...(warnings.length ? { warnings } : {}) };
    },
  );

  app.post(
    '/hosts/:hostId/vms',
    {
      audit: { action: 'vm.create', target: { type: 'vm', id: 'body.name', name: 'body.name', hostId: 'params.hostId' } },
      schema: {
        tags,
        summary: 'Create a VM (runs as a task; progress on the task topic)',
        params: HostIdParams,
        body: CreateVmBody,
        response: { 202: Task, ...errorResponses },
      },
    },
    async (req, reply) => {
      const user = req.identity!.user;
      const task = await vms.create(req.params.hostId, req.body, { id: user.id, name: user.username }, callerOf(req));
      return reply.status(202).send(task);
    },
  );
}
