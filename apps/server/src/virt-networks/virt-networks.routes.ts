import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AutostartBody,
  ConfirmVmsQuery,
  CreateLibvirtNetworkBody,
  DhcpLeaseList,
  HostIdParams,
  HostInterfaceList,
  VirtNetworkActionResult,
  VirtNetworkDetail,
  VirtNetworkList,
  VirtNetworkParams,
  VirtNetworkPreview,
  VirtNetworkXmlBody,
  errorResponses,
} from '@mirador/contract';
import { badRequest, notFound } from '../lib/http-errors.js';
import { usableLibvirtUri } from '../hosts/libvirt-endpoint.js';
import { createVirtNetworksService } from './virt-networks.service.js';

const netTarget = { type: 'libvirt-network', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

/** libvirt networks of a host (net-*), and the host's interfaces for the bridged form. */
export default async function virtNetworksRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const nets = createVirtNetworksService({
    async libvirtUri(hostId) {
      const h = await app.db.host.findUnique({ where: { id: hostId }, select: { name: true, libvirtUri: true } });
      if (!h) throw notFound('Host');
      if (!h.libvirtUri) throw badRequest(`Host "${h.name}" has no libvirt connection configured`, 'libvirtUri');
      return usableLibvirtUri(h.libvirtUri);
    },
    runner: (hostId) => app.connections.runner(hostId),
    vmsOnHost: async (hostId) => (await app.vms.list({ hostId })).items,
  });
  const tags = ['libvirt-networks'];
  const base = '/hosts/:hostId/libvirt-networks';

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "The host's libvirt networks",
        params: HostIdParams,
        response: { 200: VirtNetworkList, ...errorResponses },
      },
    },
    async (req) => nets.list(req.params.hostId),
  );

  app.get(
    `${base}/:name`,
    {
      schema: {
        tags,
        summary: 'One libvirt network with its XML',
        params: VirtNetworkParams,
        response: { 200: VirtNetworkDetail, ...errorResponses },
      },
    },
    async (req) => nets.detail(req.params.hostId, req.params.name),
  );

  app.get(
    `${base}/:name/dhcp-leases`,
    {
      schema: {
        tags,
        summary: "The network's DHCP leases, with the VM that holds each",
        params: VirtNetworkParams,
        response: { 200: DhcpLeaseList, ...errorResponses },
      },
    },
    async (req) => nets.leases(req.params.hostId, req.params.name),
  );

  app.post(
    `${base}/preview`,
    {
      config: { role: 'operator' },
      audit: false,
      schema: {
        tags,
        summary: 'The XML and virsh lines a create request would use (nothing runs)',
        params: HostIdParams,
        body: CreateLibvirtNetworkBody,
        response: { 200: VirtNetworkPreview, ...errorResponses },
      },
    },
    async (req) => nets.preview(req.params.hostId, req.body),
  );

  app.post(
    base,
    {
      audit: { action: 'libvirt-network.create', target: { ...netTarget, id: 'body.name', name: 'body.name' } },
      schema: {
        tags,
        summary: 'Define a network from a form (then start and autostart it unless told not to)',
        params: HostIdParams,
        body: CreateLibvirtNetworkBody,
        response: { 201: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await nets.create(req.params.hostId, req.body)),
  );

  app.post(
    `${base}/:name/start`,
    {
      audit: { action: 'libvirt-network.start', target: netTarget },
      schema: {
        tags,
        summary: 'net-start',
        params: VirtNetworkParams,
        response: { 200: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req) => nets.start(req.params.hostId, req.params.name),
  );

  app.post(
    `${base}/:name/stop`,
    {
      audit: { action: 'libvirt-network.stop', target: netTarget },
      schema: {
        tags,
        summary: 'net-destroy (running VMs attached must be confirmed by name)',
        params: VirtNetworkParams,
        querystring: ConfirmVmsQuery,
        response: { 200: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req) => nets.stop(req.params.hostId, req.params.name, req.query.confirmVms),
  );

  app.put(
    `${base}/:name/autostart`,
    {
      audit: { action: 'libvirt-network.autostart', target: netTarget },
      schema: {
        tags,
        summary: 'net-autostart on or off',
        params: VirtNetworkParams,
        body: AutostartBody,
        response: { 200: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req) => nets.setAutostart(req.params.hostId, req.params.name, req.body.enabled),
  );

  app.put(
    `${base}/:name/xml`,
    {
      audit: { action: 'libvirt-network.edit', target: netTarget },
      schema: {
        tags,
        summary: 'Define the edited XML (libvirt validates it; its error comes back as a 400)',
        params: VirtNetworkParams,
        body: VirtNetworkXmlBody,
        response: { 200: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req) => nets.replaceXml(req.params.hostId, req.params.name, req.body.xml),
  );

  app.delete(
    `${base}/:name`,
    {
      audit: { action: 'libvirt-network.delete', target: netTarget },
      schema: {
        tags,
        summary: 'net-destroy if active, then net-undefine (running VMs attached must be confirmed by name)',
        params: VirtNetworkParams,
        querystring: ConfirmVmsQuery,
        response: { 200: VirtNetworkActionResult, ...errorResponses },
      },
    },
    async (req) => nets.remove(req.params.hostId, req.params.name, req.query.confirmVms),
  );

  app.get(
    '/hosts/:hostId/interfaces',
    {
      schema: {
        tags,
        summary: "The host's network interfaces and bridges (ip -details -json address show)",
        params: HostIdParams,
        response: { 200: HostInterfaceList, ...errorResponses },
      },
    },
    async (req) => nets.interfaces(req.params.hostId),
  );
}
