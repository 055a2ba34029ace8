import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import { VNC_SUBPROTOCOL } from '@mirador/contract';
import { allowLibvirtTestDir } from '@mirador/libvirt';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import './types.js';
import errors from './plugins/errors.js';
import infra from './plugins/infra.js';
import security from './plugins/security.js';
import canonicalPaths from './http/canonical-path.plugin.js';
import etags from './http/etag.plugin.js';
import compression from './http/compression.plugin.js';
import docs from './plugins/docs.js';
import auditPlugin from './audit/audit.plugin.js';
import authPlugin from './auth/auth.plugin.js';
import identityWatchPlugin from './auth/identity-watch.plugin.js';
import tasksPlugin from './tasks/tasks.plugin.js';
import connectionsPlugin from './connections/connections.plugin.js';
import recoveryPlugin from './recovery/recovery.plugin.js';
import vmsPlugin from './vms/vms.plugin.js';
import vmsRoutes from './vms/vms.routes.js';
import vmDevicesRoutes from './vm-devices/vm-devices.routes.js';
import vmCloneRoutes from './vm-clone/vm-clone.routes.js';
import vmMigrateRoutes from './vm-migrate/vm-migrate.routes.js';
import vmSnapshotsRoutes from './vm-snapshots/vm-snapshots.routes.js';
import consoleRoutes from './vms/console.routes.js';
import vncRoutes from './vnc/vnc.routes.js';
import vmXmlRoutes from './vm-xml/vm-xml.routes.js';
import vmConfigRoutes from './vm-config/vm-config.routes.js';
import vncPlugin from './vnc/vnc.plugin.js';
import vmStatsRoutes from './vms/stats.routes.js';
import virtNetworksRoutes from './virt-networks/virt-networks.routes.js';
import storageRoutes from './storage/storage.routes.js';
import dockerPlugin from './docker/docker.plugin.js';
import engineRoutes from './docker/engine.routes.js';
import containersRoutes from './docker/containers.routes.js';
import containerStreamRoutes from './docker/terminal.routes.js';
import imagesRoutes from './docker/images.routes.js';
import dockerResourcesRoutes from './docker/resources.routes.js';
import advisorPlugin from './advisor/advisor.plugin.js';
import advisorRoutes from './advisor/advisor.routes.js';
import authRoutes from './auth/auth.routes.js';
import usersRoutes from './users/users.routes.js';
import hostsRoutes from './hosts/hosts.routes.js';
import auditRoutes from './audit/audit.routes.js';
import tasksRoutes from './tasks/tasks.routes.js';
import wsRoutes from './realtime/ws.routes.js';
import compareRoutes from './compare/compare.routes.js';
import web from './web/web.plugin.js';
import { createFirstAdmin } from './users/users.service.js';
import { withRedaction } from './lib/logger.js';
import { strictBodyValidators } from './http/validators.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/**
 * Builds the whole Mirador server without listening, so tests run the real thing in-process.
 * The database must already be migrated (see server.ts / migrateDatabase).
 */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Secrets are redacted from the log as from the audit log (lib/logger.ts).
    logger: withRedaction(opts.logger ?? { level: config.logLevel }),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    // removeAdditional 'all' would strip fields while Ajv tries each branch of a union (anyOf),
    // breaking every union member after the first; handlers pick the fields they use instead.
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: strictBodyValidators } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Which directory test-driver inventory files may come from is process-wide, like the list of
  // libvirt endpoints it extends (@mirador/libvirt refuses such URIs while it is unset).
  allowLibvirtTestDir(config.libvirtTestDir);

  // Infrastructure, then services, then routes: each layer only uses what is below it.
  await app.register(errors);
  await app.register(infra, { config });
  await app.register(security);
  await app.register(websocket, {
    options: {
      maxPayload: 1024 * 1024,
      // Only the screen socket asks for a subprotocol (its ticket rides along as a second one, and is
      // never echoed back); any other request for one is refused rather than granted blindly.
      handleProtocols: (protocols: Set<string>) => (protocols.has(VNC_SUBPROTOCOL) ? VNC_SUBPROTOCOL : false),
    },
  });
  await app.register(canonicalPaths);
  // Answers' encoding: ETag/304 first (on the JSON as serialized), then compression of what is sent.
  await app.register(etags);
  await app.register(compression);
  await app.register(docs);
  await app.register(auditPlugin);
  await app.register(authPlugin);
  await app.register(identityWatchPlugin);
  await app.register(tasksPlugin);
  await app.register(connectionsPlugin);
  await app.register(recoveryPlugin);
  await app.register(vmsPlugin);
  await app.register(vncPlugin);
  await app.register(dockerPlugin);
  await app.register(advisorPlugin);

  await app.register(
    async (api) => {
      api.get('/health', { config: { public: true }, schema: { hide: true } }, async () => ({ ok: true }));
      await api.register(authRoutes);
      await api.register(usersRoutes);
      await api.register(hostsRoutes);
      await api.register(auditRoutes);
      await api.register(tasksRoutes);
      await api.register(vmsRoutes);
      await api.register(vmDevicesRoutes);
      await api.register(vmCloneRoutes);
      await api.register(vmMigrateRoutes);
      await api.register(vmSnapshotsRoutes);
      await api.register(consoleRoutes);
      await api.register(vncRoutes);
      await api.register(vmXmlRoutes);
      await api.register(vmConfigRoutes);
      await api.register(vmStatsRoutes);
      await api.register(virtNetworksRoutes);
      await api.register(storageRoutes);
      await api.register(engineRoutes);
      await api.register(containersRoutes);
      await api.register(containerStreamRoutes);
      await api.register(imagesRoutes);
      await api.register(dockerResourcesRoutes);
      await api.register(advisorRoutes);
      await api.register(compareRoutes);
      await api.register(wsRoutes);
    },
    { prefix: '/api' },
  );
  await app.register(web, { webDir: config.webDir });

  if (config.bootstrapAdmin) {
    const { username, password } = config.bootstrapAdmin;
    const created = await createFirstAdmin(app.db, username, password);
    if (created) {
      app.log.info({ username }, 'created the first admin from MIRADOR_ADMIN_USER');
      await app.audit.append({
        actor: { type: 'system', id: null, name: 'mirador' },
        action: 'auth.setup',
        target: { type: 'user', id: created.id, name: username },
        params: { username, via: 'environment' },
        result: 'ok',
      });
    }
  }
  return app;
}
