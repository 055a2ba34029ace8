import type { CreateVolumeBody, PruneResult, VolumeDetail, VolumeSummary } from '@mirador/contract';
import { dockerCommands, validateVolumeName } from '@mirador/docker';
import { HttpError } from '../lib/http-errors.js';
import { policyRefusal, type PolicyJudge } from './policy-judge.js';
import type { DockerInventory } from './docker-inventory.js';
import { engineError, onEngine } from './docker-errors.js';
import type { EnginePool } from './engine-pool.js';
import { toVolumeSummary } from './mappers.js';

export function createVolumesService(deps: { engines: EnginePool; inventory: DockerInventory; judge: PolicyJudge }) {
  const { engines, inventory, judge } = deps;

  async function summary(hostId: string, name: string): Promise<VolumeSummary> {
    const view = await inventory.viewOf(hostId);
    const found = inventory.volumes(view).find((v) => v.name === name);
    if (found) return found;
    const { docker, host } = await engines.engine(hostId);
    return toVolumeSummary(hostId, await onEngine(host.name, () => docker.getVolume(name).inspect()), []);
  }

  return {
    async list(hostId: string): Promise<VolumeSummary[]> {
      return inventory.volumes(await inventory.viewOf(hostId));
    },
    async detail(hostId: string, name: string): Promise<VolumeDetail> {
      validateVolumeName(name);
      const { docker, host } = await engines.engine(hostId);
      const inspect = await onEngine(host.name, () => docker.getVolume(name).inspect());
      return { volume: await summary(hostId, name), inspect: { ...inspect, Options: toVolumeSummary(hostId, inspect, []).options } };
    },
    async create(hostId: string, body: CreateVolumeBody, caller: { isAdmin: boolean }): Promise<VolumeSummary> {
      validateVolumeName(body.name);
      const engine = await engines.engine(hostId);
      const { docker, host } = engine;
      // `local` volumes are mounts the engine makes as root (binds, overlays, shares): judged like bind mounts.
      const { refusals } = await judge.volume(engine, body, caller);
      if (refusals.length) throw policyRefusal(host.name, refusals);
      // The engine silently returns an existing volume of that name; a person creating one expects to be told.
      const exists = await docker
        .getVolume(body.name)
        .inspect()
        .then(
          () => true,
          () => false,
        );
      if (exists)
        throw new HttpError(409, `A volume named "${body.name}" exists already on ${host.name}`, { code: 'conflict', field: 'name' });
      await onEngine(host.name, () =>
        docker.createVolume({
          Name: body.name,
          Driver: body.driver ?? 'local',
          DriverOpts: body.driverOpts ?? {},
          Labels: body.labels ?? {},
        }),
      );
      await inventory.refreshKind(hostId, 'volume');
      return summary(hostId, body.name);
    },
    async remove(hostId: string, name: string, force: boolean) {
      validateVolumeName(name);
      const { docker, host } = await engines.engine(hostId);
      await onEngine(host.name, () => docker.getVolume(name).remove({ force }));
      await inventory.refreshKind(hostId, 'volume').catch(() => {});
      return { command: dockerCommands.volumeRm(name, force) };
    },
    /** Unused anonymous volumes (what `docker volume prune` removes on engines ≥ 23 without `--all`). */
    async prunePreview(hostId: string): Promise<PruneResult> {
      const volumes = inventory.volumes(await inventory.viewOf(hostId));
      const doomed = volumes.filter((v) => v.containers.length === 0 && v.anonymous);
      return {
        items: doomed.map((v) => ({ id: v.name, name: v.name, sizeBytes: 0 })),
        reclaimedBytes: 0,
        command: dockerCommands.volumePrune(),
      };
    },
    /**
     * Removes what the preview lists, one volume at a time. Not the engine's prune: before engine 23
     * (API 1.42) it deletes every unused volume, named ones included, and no filter narrows it to
     * anonymous ones. A volume a container took meanwhile is refused by the engine and kept.
     */
    async prune(hostId: string): Promise<PruneResult> {
      const { docker, host } = await engines.engine(hostId);
      await inventory.refreshKind(hostId, 'volume');
      const volumes = inventory.volumes(await inventory.viewOf(hostId));
      const doomed = volumes.filter((v) => v.containers.length === 0 && v.anonymous);
      const items: PruneResult['items'] = [];
      try {
        for (const v of doomed) {
          try {
            await docker.getVolume(v.name).remove();
            items.push({ id: v.name, name: v.name, sizeBytes: 0 });
          } catch (err) {
            const status = (err as { statusCode?: number }).statusCode;
            if (status === 404 || status === 409) continue; // gone already, or in use after all
            throw engineError(err, host.name);
          }
        }
      } finally {
        await inventory.refreshKind(hostId, 'volume').catch(() => {});
      }
      return { items, reclaimedBytes: 0, command: dockerCommands.volumePrune() };
    },
  };
}

export type VolumesService = ReturnType<typeof createVolumesService>;
