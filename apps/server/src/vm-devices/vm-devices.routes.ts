import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AttachDiskBody,
  AttachNicBody,
  DetachDiskQuery,
  DetachNicQuery,
  DiskMediaBody,
  SetNicLinkBody,
  VmDeviceChange,
  VmDiskList,
  VmDiskParams,
  VmNicList,
  VmNicParams,
  VmParams,
  errorResponses,
} from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { changeMedia, detachDisk, listDisks, planAttachDisk } from './disk-devices.js';
import { detachNic, listNics, planAttachNic, setNicLink } from './nic-devices.js';

/** Admins may name any host file and share a volume between VMs; everyone else is held to the rules (vm-paths.ts). */
const callerOf = (req: FastifyRequest) => ({ isAdmin: roleAtLeast(req.identity!.user.role, 'admin') });
const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

/** The audit entry of a change that went through carries the virsh lines that ran. */
function withCommands<R extends { commands: string[] }>(req: FastifyRequest, result: R): R {
  req.auditParams = { params: req.params, query: req.query, body: req.body, commands: result.commands };
  return result;
}

/** Hot-plug disks and NICs of a VM (virsh attach-device / detach-* / change-media / domif-setlink). */
export default async function vmDevicesRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['vm-devices'];
  const base = '/hosts/:hostId/vms/:name';
  const target = (req: { params: { hostId: string; name: string } }) => app.vms.target(req.params.hostId, req.params.name);

  app.get(
    `${base}/disks`,
    { schema: { tags, summary: "The VM's disks and CD-ROM drives", params: VmParams, response: { 200: VmDiskList, ...errorResponses } } },
    async (req) => listDisks(await target(req)),
  );

  app.post(
    `${base}/disks/preview`,
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The virsh lines and disk XML an attach would use (nothing runs)',
        params: VmParams,
        body: AttachDiskBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => {
      const { run: _run, ...plan } = await planAttachDisk(await target(req), req.body, callerOf(req));
      return plan;
    },
  );

  app.post(
    `${base}/disks`,
    {
      audit: { action: 'vm.disk.attach', target: vmTarget },
      schema: {
        tags,
        summary: 'Attach a disk (new volume, pool volume) or an ISO as CD-ROM; live and/or persistent',
        params: VmParams,
        body: AttachDiskBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => {
      const plan = await planAttachDisk(await target(req), req.body, callerOf(req));
      req.auditParams = { ...req.body, target: plan.device, commands: plan.commands };
      return plan.run();
    },
  );

  app.delete(
    `${base}/disks/:target`,
    {
      audit: { action: 'vm.disk.detach', target: vmTarget },
      schema: {
        tags,
        summary: 'Detach a disk (its volume stays unless deleteVolume)',
        params: VmDiskParams,
        querystring: DetachDiskQuery,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => withCommands(req, await detachDisk(await target(req), req.params.target, req.query, callerOf(req))),
  );

  app.post(
    `${base}/disks/:target/media`,
    {
      audit: { action: 'vm.disk.media', target: vmTarget },
      schema: {
        tags,
        summary: 'Eject or insert the medium of a CD-ROM drive (change-media)',
        params: VmDiskParams,
        body: DiskMediaBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => withCommands(req, await changeMedia(await target(req), req.params.target, req.body, callerOf(req))),
  );

  app.get(
    `${base}/nics`,
    { schema: { tags, summary: "The VM's network interfaces", params: VmParams, response: { 200: VmNicList, ...errorResponses } } },
    async (req) => listNics(await target(req)),
  );

  app.post(
    `${base}/nics/preview`,
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The virsh line and interface XML an attach would use (nothing runs; a generated MAC is only a proposal)',
        params: VmParams,
        body: AttachNicBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => {
      const { run: _run, ...plan } = await planAttachNic(await target(req), req.body);
      return plan;
    },
  );

  app.post(
    `${base}/nics`,
    {
      audit: { action: 'vm.nic.attach', target: vmTarget },
      schema: {
        tags,
        summary: 'Attach a NIC to a libvirt network or host bridge; live and/or persistent',
        params: VmParams,
        body: AttachNicBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => {
      const plan = await planAttachNic(await target(req), req.body);
      req.auditParams = { ...req.body, mac: plan.device, commands: plan.commands };
      return plan.run();
    },
  );

  app.delete(
    `${base}/nics/:mac`,
    {
      audit: { action: 'vm.nic.detach', target: vmTarget },
      schema: {
        tags,
        summary: 'Detach the NIC with this MAC',
        params: VmNicParams,
        querystring: DetachNicQuery,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => withCommands(req, await detachNic(await target(req), req.params.mac, req.query)),
  );

  app.patch(
    `${base}/nics/:mac`,
    {
      audit: { action: 'vm.nic.link', target: vmTarget },
      schema: {
        tags,
        summary: 'Set the link of a NIC up or down (domif-setlink)',
        params: VmNicParams,
        body: SetNicLinkBody,
        response: { 200: VmDeviceChange, ...errorResponses },
      },
    },
    async (req) => withCommands(req, await setNicLink(await target(req), req.params.mac, req.body)),
  );
}
