import type { SecurityFinding, Task } from '@mirador/contract';
import { droppedInspectSettings, settingsFromInspect } from '@mirador/docker';
import { conflict } from '../lib/http-errors.js';
import type { ContainersService, Caller } from '../docker/containers.service.js';
import type { TaskManager } from '../tasks/task-manager.js';
import type { AdvisorService } from './advisor.service.js';
import { containerFacts } from './docker-advisor.js';
import { containerRules } from './docker-container-rules.js';
import { describeFix, hardenedBody, isFixKind } from './finding-fix.js';

/**
 * Settings a recreate "drops" that the new container gets back anyway because they are the engine's
 * default: on cgroup v1 every container shares the host's cgroup namespace.
 */
function withoutEngineDefaults(dropped: string[], info: { CgroupVersion?: string } | null): string[] {
  return info?.CgroupVersion === '2' ? dropped : dropped.filter((d) => d !== '--cgroupns host');
}

/**
 * The fix button: checks the finding is still true of the container as it is now, then recreates
 * the container (through the containers service: same policy judgement, same roll-back) with the
 * finding's hardening added — as a task, which ends by checking the finding is gone.
 */
export function createFindingFixer(deps: { advisor: AdvisorService; containers: ContainersService; tasks: TaskManager }) {
  const { advisor, containers, tasks } = deps;

  return {
    async fix(id: string, caller: Caller, user: { id: string; name: string }): Promise<{ task: Task; finding: SecurityFinding }> {
      const f = await advisor.get(id);
      const kind = f.fixAction?.kind ?? '';
      if (f.target.kind !== 'container' || !isFixKind(kind))
        throw conflict(`Mirador cannot fix "${f.title}" by itself: ${f.fix}`, undefined, 'security.noFix', { ruleId: f.ruleId });

      // Re-check on the container as it is now, not as the cached finding remembers it.
      const { engine, name, info } = await containers.inspect(f.hostId, f.target.id);
      const stillTrue = containerRules(containerFacts(info), { apparmor: false, usernsRemap: false }).some((d) => d.ruleId === f.ruleId);
      if (!stillTrue) {
        await advisor.recheck(f.hostId, ['docker']);
        throw conflict(`"${f.title}" no longer applies to ${name}: nothing to fix`, undefined, 'security.alreadyFixed', { name });
      }
      // A recreate would lose settings the create body cannot carry: a security fix must not quietly drop any.
      const dropped = withoutEngineDefaults(droppedInspectSettings(info), await engine.docker.info().catch(() => null));
      if (dropped.length)
        throw conflict(
          `Recreating ${name} would drop ${dropped.join(', ')}: apply the fix by hand (${f.fix})`,
          undefined,
          'security.fixWouldDrop',
          { name, settings: dropped.join(', ') },
        );
      const image = await engine.docker
        .getImage(info.Image)
        .inspect()
        .catch(() => null);
      // A stopped container stays stopped: the fix changes its settings, not its state.
      const body = { ...hardenedBody(kind, settingsFromInspect(info, image)), start: info.State?.Running === true };

      const task = await tasks.start({
        type: 'security.fix',
        target: { type: 'container', id: name, name, hostId: f.hostId },
        user,
        cancellable: false,
        params: { findingId: f.id, ruleId: f.ruleId, fix: kind },
        run: async (ctx) => {
          ctx.log(describeFix(f));
          ctx.progress(0.2, `Recreating ${name}`);
          // The result's command is not logged: it carries the environment's values.
          const made = await containers.recreate(f.hostId, name, body, caller);
          for (const w of made.warnings) ctx.log(w, 'warn');
          ctx.progress(0.8, 'Checking the finding again');
          await advisor.recheck(f.hostId, ['docker']);
          const left = (await advisor.list({ hostId: f.hostId, targetKind: 'container', targetId: made.name })).items;
          if (left.some((x) => x.ruleId === f.ruleId)) throw new Error(`${made.name} was recreated but "${f.title}" still applies`);
          return { message: `Recreated ${made.name}: "${f.title}" is fixed`, code: 'security.fixed', params: { container: made.name } };
        },
      });
      return { task, finding: f };
    },
  };
}

export type FindingFixer = ReturnType<typeof createFindingFixer>;
