import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { VmParams, VmXml, VmXmlBody, VmXmlError, VmXmlSaved, errorResponses } from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { XmlEditRefusal, createVmXmlService } from './vm-xml.service.js';

const vmTarget = { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } as const;
/** The document may be 1 MiB; JSON escaping makes the body larger than that. */
const BODY_LIMIT = 3 * 1024 * 1024;

/** The XML editor: `virsh edit` as GET (the persistent definition) and PUT (define the edited one). */
export default async function vmXmlRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const service = createVmXmlService({ target: (hostId, name) => app.vms.target(hostId, name) });
  const tags = ['vms'];

  app.get(
    '/hosts/:hostId/vms/:name/config/xml',
    {
      schema: {
        tags,
        summary: 'The persistent definition as the XML editor opens it (`virsh dumpxml --inactive`, no secrets)',
        params: VmParams,
        response: { 200: VmXml, ...errorResponses },
      },
    },
    async (req) => service.read(req.params.hostId, req.params.name),
  );

  app.put(
    '/hosts/:hostId/vms/:name/config/xml',
    {
      bodyLimit: BODY_LIMIT,
      audit: { action: 'vm.xml.define', target: vmTarget },
      schema: {
        tags,
        summary: 'Define the edited XML (`virsh define --validate`); refusals change nothing and say where libvirt points',
        params: VmParams,
        body: VmXmlBody,
        response: { 200: VmXmlSaved, ...errorResponses, 400: VmXmlError, 403: VmXmlError, 409: VmXmlError },
      },
    },
    async (req, reply) => {
      // The XML itself is not kept: the audit holds the diff (see the service's note).
      req.auditParams = { expectedHash: req.body.expectedHash ?? null, bytes: req.body.xml.length };
      const caller = { isAdmin: roleAtLeast(req.identity!.user.role, 'admin') };
      try {
        return await service.save(req.params.hostId, req.params.name, req.body, caller, (p) => {
          req.auditParams = p;
        });
      } catch (err) {
        if (err instanceof XmlEditRefusal) return reply.status(err.statusCode as 400 | 403 | 409).send(err.body());
        throw err;
      }
    },
  );
}
