import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Host } from '@mirador/contract';
import { createAdvisorService, type AdvisorService, type HostRuleChecker } from './advisor.service.js';
import { createDockerAdvisor } from './docker-advisor.js';
import { dockerRuleInfos } from './docker-rule-catalog.js';
import { createFindingAcks } from './finding-acks.js';
import { createFindingFixer, type FindingFixer } from './finding-fixer.js';
import { createHostAdvisor, HOST_ADVISOR_RULES } from './host-advisor.js';
import { notTrustedYetMessage } from '../hosts/host-trust.js';

export interface AdvisorServices {
  findings: AdvisorService;
  fixer: FindingFixer;
}

declare module 'fastify' {
  interface FastifyInstance {
    advisor: AdvisorServices;
  }
}

/** What about a host, once changed, may change its findings (not its status check's timestamp). */
const postureKey = (h: Host) =>
  JSON.stringify([h.status, h.address, h.port, h.username, h.libvirtUri, h.dockerMode, h.dockerSocket, h.hostKey?.fingerprint ?? null]);

/**
 * The security advisor: Docker rules per engine, host rules per host, recomputed when the inventory
 * says something changed — docker, VM and host events — debounced per host, never per request.
 */
export default fp(
  async function advisorPlugin(app: FastifyInstance) {
    const docker = createDockerAdvisor({ engines: app.docker.engines, inventory: app.docker.inventory });
    // The libvirt/host/VM family (host-advisor.ts): one posture probe over the host's pooled connection.
    const hostAdvisor = createHostAdvisor({
      host: (id) => app.db.host.findUnique({ where: { id }, select: { id: true, name: true, libvirtUri: true } }),
      runner: (id) => app.connections.runner(id),
    });
    const hostRules: HostRuleChecker = {
      async check(hostId) {
        const row = await app.db.host.findUnique({ where: { id: hostId } });
        // Background work never talks to a host whose key nobody accepted (hosts/host-trust.ts).
        if (row && row.kind !== 'local' && !row.hostKeyFingerprint)
          return { findings: [], checkedAt: new Date(), stale: notTrustedYetMessage(row) };
        return hostAdvisor.check(hostId);
      },
      forget: (hostId) => hostAdvisor.forget(hostId),
    };
    const findings = createAdvisorService({
      hosts: () => app.db.host.findMany({ select: { id: true, name: true }, orderBy: { name: 'asc' } }),
      docker,
      hostRules,
      acks: createFindingAcks(app.db),
      bus: app.bus,
      log: app.log,
      rules: [...dockerRuleInfos(), ...HOST_ADVISOR_RULES],
    });
    const fixer = createFindingFixer({ advisor: findings, containers: app.docker.containers, tasks: app.tasks });
    app.decorate('advisor', { findings, fixer });

    const seen = new Map<string, string>();
    const offs = [
      app.bus.subscribe('docker', (msg) => {
        if (msg.type === 'container.updated') {
          docker.containerChanged(msg.container.hostId, msg.container.id);
          findings.changed({ id: msg.container.hostId, name: msg.container.hostName }, ['docker']);
        } else if (msg.type === 'container.removed') {
          findings.changed({ id: msg.hostId }, ['docker']);
        } else if (msg.type === 'docker.changed') {
          // The engine's facts include the default bridge's options: a network change may change them.
          if (msg.kind === 'engine' || msg.kind === 'network') docker.engineChanged(msg.hostId);
          if (msg.kind !== 'volume') findings.changed({ id: msg.hostId }, ['docker']);
        }
      }),
      app.bus.subscribe('vms', (msg) => {
        if (msg.type === 'vm.updated') findings.changed({ id: msg.vm.hostId, name: msg.vm.hostName }, ['host']);
        else if (msg.type === 'vm.removed') findings.changed({ id: msg.hostId }, ['host']);
      }),
      app.bus.subscribe('hosts', (msg) => {
        if (msg.type === 'host.removed') {
          seen.delete(msg.id);
          findings.removed(msg.id);
          return;
        }
        if (msg.type !== 'host.updated') return;
        // A periodic status check re-publishes an unchanged host: only real changes recompute.
        const key = postureKey(msg.host);
        if (seen.get(msg.host.id) === key) return;
        seen.set(msg.host.id, key);
        docker.engineChanged(msg.host.id);
        findings.changed({ id: msg.host.id, name: msg.host.name }, ['docker', 'host']);
      }),
    ];
    app.addHook('preClose', async () => {
      for (const off of offs) off();
      findings.close();
    });
  },
  { name: 'advisor', dependencies: ['infra', 'tasks', 'docker', 'vms'] },
);
