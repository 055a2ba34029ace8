import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { VmConfig, VmConfigPatch, VmConfigResult, VmParams, VmPinningBody, VmTuningBody, errorResponses } from '@mirador/contract';
import { createVmConfigService } from './vm-config.service.js';

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;

/** A VM's settings page: `/api/hosts/:hostId/vms/:name/config`, its vCPU pinning and its cgroup tuning. */
export default async function vmConfigRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const config = createVmConfigService({ vms: app.vms });
  const tags = ['vms'];

  app.get(
    '/hosts/:hostId/vms/:name/config',
    {
      schema: {
        tags,
        summary: "A VM's settings (persistent and live) and the host's CPU topology",
        params: VmParams,
        response: { 200: VmConfig, ...errorResponses },
      },
    },
    async (req) => config.get(req.params.hostId, req.params.name),
  );

  app.patch(
    '/hosts/:hostId/vms/:name/config',
    {
      audit: { action: 'vm.config', target: vmTarget },
      schema: {
        tags,
        summary: 'Change settings: saved to the definition, applied live where libvirt can (each field says which)',
        params: VmParams,
        body: VmConfigPatch,
        response: { 200: VmConfigResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { fields: Object.keys(req.body) };
      return config.update(req.params.hostId, req.params.name, req.body);
    },
  );

  app.put(
    '/hosts/:hostId/vms/:name/config/pinning',
    {
      audit: { action: 'vm.pin', target: vmTarget },
      schema: {
        tags,
        summary: 'Pin vCPUs and the emulator thread to host CPUs (vcpupin / emulatorpin, live and persistent)',
        params: VmParams,
        body: VmPinningBody,
        response: { 200: VmConfigResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { vcpus: req.body.vcpus, emulator: req.body.emulator };
      return config.pin(req.params.hostId, req.params.name, req.body);
    },
  );

  app.patch(
    '/hosts/:hostId/vms/:name/config/tuning',
    {
      audit: { action: 'vm.tune', target: vmTarget },
      schema: {
        tags,
        summary: 'CPU shares/period/quota (schedinfo), blkiotune weight, memtune limits — live and persistent',
        params: VmParams,
        body: VmTuningBody,
        response: { 200: VmConfigResult, ...errorResponses },
      },
    },
    async (req) => {
      req.auditParams = { ...req.body };
      return config.tune(req.params.hostId, req.params.name, req.body);
    },
  );
}
