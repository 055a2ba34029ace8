import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createEnginePool, type EnginePool } from './engine-pool.js';
import { createDockerInventory, type DockerInventory } from './docker-inventory.js';
import { createDockerPolicies, type DockerPolicies } from './docker-policy.js';
import { createPolicyJudge, type PolicyJudge } from './policy-judge.js';
import { createEngineFs } from './engine-fs.js';
import { createRegistries, type Registries } from './registries.service.js';
import { createContainersService, type ContainersService } from './containers.service.js';
import { createContainerStats, type ContainerStats } from './container-stats.js';
import { createImagesService, type ImagesService } from './images.service.js';
import { createVolumesService, type VolumesService } from './volumes.service.js';
import { createNetworksService, type NetworksService } from './networks.service.js';

export interface DockerServices {
  engines: EnginePool;
  inventory: DockerInventory;
  policies: DockerPolicies;
  judge: PolicyJudge;
  registries: Registries;
  containers: ContainersService;
  stats: ContainerStats;
  images: ImagesService;
  volumes: VolumesService;
  networks: NetworksService;
}

declare module 'fastify' {
  interface FastifyInstance {
    docker: DockerServices;
  }
}

/** Docker engines (local socket or over a host's SSH connection) and everything served from them. */
export default fp(
  async function dockerPlugin(app: FastifyInstance) {
    const engines = createEnginePool({ db: app.db, connections: app.connections, localSocket: app.config.dockerSocket });
    const inventory = createDockerInventory({ engines, bus: app.bus, log: app.log });
    const policies = createDockerPolicies(app.db);
    const judge = createPolicyJudge({ policies, connections: app.connections, engineFs: createEngineFs({ root: app.config.engineRoot }) });
    const registries = createRegistries(app.db, app.secrets);
    const containers = createContainersService({ engines, inventory, policies, judge, registries, log: app.log });
    const stats = createContainerStats({ engines, inventory, bus: app.bus, log: app.log });
    const images = createImagesService({ engines, inventory, registries, tasks: app.tasks, bus: app.bus, policies });
    const volumes = createVolumesService({ engines, inventory, judge });
    const networks = createNetworksService({ engines, inventory, connections: app.connections });
    app.decorate('docker', { engines, inventory, policies, judge, registries, containers, stats, images, volumes, networks });

    // Hosts gaining, losing or changing their engine: the warm inventory follows.
    const offHosts = app.bus.subscribe('hosts', (msg) => {
      if (msg.type === 'host.removed') {
        engines.forget(msg.id);
        inventory.forget(msg.id);
        void policies.forget(msg.id);
      } else if (msg.type === 'host.updated') {
        engines.forget(msg.host.id);
        // Warm mode also picks up engines that appear later (a new host, the local endpoint added at start).
        const follow = app.config.warmInventories ? inventory.warmUp() : inventory.sync();
        void follow.catch((err) => app.log.warn({ err }, 'docker inventory sync failed'));
      }
    });
    app.addHook('onReady', async () => {
      if (app.config.warmInventories) await inventory.warmUp();
    });
    app.addHook('preClose', async () => {
      offHosts();
      stats.close();
      await inventory.close();
    });
  },
  { name: 'docker', dependencies: ['infra', 'connections', 'tasks'] },
);
