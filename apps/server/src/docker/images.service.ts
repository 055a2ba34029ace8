import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { BuildImageQuery, ImageDetail, ImageSummary, ImportImageQuery, PruneResult, RemoveImageResult, Task } from '@mirador/contract';
import {
  LayerProgressTracker,
  buildPlan,
  dockerCommands,
  type BuildSource,
  imageRegistry,
  parseImageRef,
  shortId,
  isImageId,
  validateImageOrId,
} from '@mirador/docker';
import type { EventBus } from '../plugins/bus.js';
import type { TaskContext, TaskManager } from '../tasks/task-manager.js';
import { redactText } from '../audit/redact.js';
import { HttpError, badRequest, forbidden } from '../lib/http-errors.js';
import type { DockerInventory } from './docker-inventory.js';
import type { DockerPolicies } from './docker-policy.js';
import { engineError, engineMessage, onEngine } from './docker-errors.js';
import type { Engine, EnginePool } from './engine-pool.js';
import type { Registries, RegistryAuth } from './registries.service.js';
import { explainRegistryFailure } from './registry-errors.js';
import { toImageSummary } from './mappers.js';
import { historyLineFor, inspectFor } from './image-view.js';
import { topics } from '@mirador/contract';

type User = { id: string; name: string };
/** Who reads an image: viewers do not see environment values unless the engine's policy says so. */
export type Reader = { isOperator: boolean };
const LAYER_PUBLISH_MS = 250;

/**
 * Feeds a pull/push JSON stream into the task: per-layer progress on `task:<id>` (throttled),
 * overall progress and status lines in the task itself. Rejects with the engine's error.
 */
function followLayers(engine: Engine, stream: Readable, ctx: TaskContext, bus: EventBus): Promise<void> {
  const tracker = new LayerProgressTracker();
  let last = 0;
  let lastStatus: string | null = null;
  const publish = (force = false) => {
    const now = Date.now();
    if (!force && now - last < LAYER_PUBLISH_MS) return;
    last = now;
    bus.publish({ type: 'task.layers', topic: topics.task(ctx.taskId), taskId: ctx.taskId, layers: tracker.layers() });
    ctx.progress(tracker.fraction(), tracker.lastStatus() ?? undefined);
  };
  const onAbort = () => stream.destroy(new Error('Cancelled'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  return new Promise<void>((resolve, reject) => {
    engine.docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        ctx.signal.removeEventListener('abort', onAbort);
        publish(true);
        const failed = tracker.error();
        if (err || failed) return reject(new Error(failed ?? engineMessage(err)));
        resolve();
      },
      (evt: { status?: string; id?: string; progressDetail?: unknown; error?: string; aux?: unknown }) => {
        tracker.update(evt);
        // Layer chatter goes to the layer bars; status lines without a layer go to the log.
        if (evt.status && !evt.id && evt.status !== lastStatus) ctx.log(evt.status);
        else if (evt.status && evt.id && /complete|exists|pushed|mounted from/i.test(evt.status)) ctx.log(`${evt.id}: ${evt.status}`);
        if (evt.status) lastStatus = evt.status;
        publish();
      },
    );
  });
}

/** Build output: `stream` lines are the Dockerfile steps' output; `Step n/m` gives progress. */
function followBuild(engine: Engine, stream: Readable, ctx: TaskContext): Promise<string | null> {
  let imageId: string | null = null;
  const onAbort = () => stream.destroy(new Error('Cancelled'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  return new Promise((resolve, reject) => {
    let error: string | null = null;
    engine.docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (err || error) return reject(new Error(error ?? engineMessage(err)));
        resolve(imageId);
      },
      (evt: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string }; status?: string }) => {
        if (evt.error) {
          // A failed RUN step's message quotes its command, build arguments included.
          error = redactText(evt.errorDetail?.message ?? evt.error);
          ctx.log(error, 'error');
        }
        if (evt.aux?.ID) imageId = evt.aux.ID;
        if (evt.status) ctx.log(evt.status);
        for (const line of (evt.stream ?? '').split('\n')) {
          // Steps echo the Dockerfile (`Step 2/5 : ENV DB_PASSWORD=…`), and every role reads task logs.
          const l = redactText(line.trimEnd());
          if (!l) continue;
          ctx.log(l);
          const step = /^Step (\d+)\/(\d+)/.exec(l);
          if (step) ctx.progress(Number(step[1]) / Number(step[2]), l);
        }
      },
    );
  });
}

export function createImagesService(deps: {
  engines: EnginePool;
  inventory: DockerInventory;
  registries: Registries;
  tasks: TaskManager;
  bus: EventBus;
  policies: Pick<DockerPolicies, 'get'>;
}) {
  const { engines, inventory, registries, tasks, bus, policies } = deps;

  /** Whether `reader` sees environment values on this engine (operators always; viewers when allowed). */
  const hidesEnvFrom = async (hostId: string, reader: Reader) => !reader.isOperator && !(await policies.get(hostId)).viewersSeeEnvValues;

  async function resolveImage(hostId: string, ref: string) {
    validateImageOrId(ref, 'image');
    const engine = await engines.engine(hostId);
    const info = await onEngine(engine.host.name, () => engine.docker.getImage(ref).inspect());
    return { engine, info };
  }

  /**
   * Pull and push differ only in the engine call: both resolve credentials, run as a cancellable task
   * with per-layer progress, explain registry failures and re-read the image list.
   */
  async function transfer(
    kind: 'pull' | 'push',
    engine: Engine,
    image: string,
    registry: string,
    registryId: string | undefined,
    user: User | null,
    open: (auth: RegistryAuth | undefined) => Promise<NodeJS.ReadableStream>,
  ): Promise<Task> {
    const auth = await registries.authFor(registry, registryId);
    const command = kind === 'pull' ? dockerCommands.pull(image) : dockerCommands.push(image);
    return tasks.start({
      type: `image.${kind}`,
      target: { type: 'image', id: image, name: image, hostId: engine.host.id },
      user,
      cancellable: true,
      params: { image, registryId: registryId ?? null, command },
      run: async (ctx) => {
        ctx.log(`Equivalent command: ${command}`);
        try {
          const stream = await onEngine(engine.host.name, () => open(auth));
          await followLayers(engine, stream as unknown as Readable, ctx, bus);
        } catch (err) {
          throw explainRegistryFailure(err, registry, auth);
        }
        await inventory.refreshKind(engine.host.id, 'image').catch(() => {});
        return kind === 'pull' ? `Pulled ${image} on ${engine.host.name}` : `Pushed ${image}`;
      },
    });
  }

  return {
    async list(hostId: string): Promise<ImageSummary[]> {
      return inventory.images(await inventory.viewOf(hostId));
    },

    async detail(hostId: string, ref: string, reader: Reader): Promise<ImageDetail> {
      const { engine, info } = await resolveImage(hostId, ref);
      const hide = await hidesEnvFrom(hostId, reader);
      const history = await onEngine(engine.host.name, () => engine.docker.getImage(info.Id).history());
      const view = await inventory.viewOf(hostId);
      const summary =
        inventory.images(view).find((i) => i.id === info.Id) ??
        toImageSummary(
          hostId,
          {
            Id: info.Id,
            RepoTags: info.RepoTags,
            RepoDigests: info.RepoDigests,
            Size: info.Size,
            Created: Math.floor(new Date(info.Created).getTime() / 1000),
            Labels: info.Config?.Labels ?? {},
          } as never,
          [],
        );
      return {
        image: summary,
        history: (
          history as Array<{ Id: string; Created: number; CreatedBy: string; Size: number; Comment: string; Tags: string[] | null }>
        ).map((h) => ({
          id: h.Id,
          createdAt: new Date(h.Created * 1000).toISOString(),
          createdBy: historyLineFor(h.CreatedBy, hide),
          sizeBytes: h.Size,
          comment: redactText(h.Comment ?? ''),
          tags: h.Tags ?? [],
        })),
        layers: info.RootFS?.Layers ?? [],
        inspect: inspectFor(info, hide),
        envValuesHidden: hide,
      };
    },

    async pull(hostId: string, image: string, registryId: string | undefined, user: User | null): Promise<Task> {
      const ref = parseImageRef(image);
      const engine = await engines.engine(hostId);
      return transfer(
        'pull',
        engine,
        ref.normalized,
        imageRegistry(image),
        registryId,
        user,
        (auth) => engine.docker.pull(ref.normalized, auth ? { authconfig: auth } : {}) as Promise<NodeJS.ReadableStream>,
      );
    },

    async tag(hostId: string, ref: string, target: string) {
      const t = parseImageRef(target, 'target');
      if (t.digest) throw badRequest('target: a tag cannot contain a digest (@sha256:…)', 'target');
      const { engine, info } = await resolveImage(hostId, ref);
      const repo = t.normalized.slice(0, t.normalized.lastIndexOf(':'));
      const tag = t.normalized.slice(t.normalized.lastIndexOf(':') + 1);
      await onEngine(engine.host.name, () => engine.docker.getImage(info.Id).tag({ repo, tag }));
      await inventory.refreshKind(hostId, 'image');
      return { command: dockerCommands.tag(ref, t.normalized) };
    },

    async push(hostId: string, ref: string, registryId: string | undefined, user: User | null): Promise<Task> {
      const r = parseImageRef(ref);
      const engine = await engines.engine(hostId);
      await onEngine(engine.host.name, () => engine.docker.getImage(r.normalized).inspect());
      const tag = r.digest ? undefined : (r.tag ?? 'latest');
      return transfer(
        'push',
        engine,
        r.normalized,
        imageRegistry(ref),
        registryId,
        user,
        (auth) =>
          engine.docker
            .getImage(r.normalized)
            .push({ ...(tag ? { tag } : {}), ...(auth ? { authconfig: auth } : {}) } as Record<
              string,
              unknown
            >) as Promise<NodeJS.ReadableStream>,
      );
    },

    /**
     * `docker rmi [-f] <ref>`. With `untag`, `ref` must be one of the image's tags and only that
     * tag is removed: the engine is given the full `repo:tag` (never the ID the reference may
     * also look like), and untagging by name never touches other tags, forced or not.
     */
    async remove(hostId: string, ref: string, force: boolean, untag = false): Promise<RemoveImageResult> {
      validateImageOrId(ref, 'image');
      const engine = await engines.engine(hostId);
      let target = ref;
      if (untag) {
        const r = isImageId(ref) && ref.startsWith('sha256:') ? null : parseImageRef(ref);
        if (!r || r.digest) throw badRequest(`image: ${ref} is not a tag; removing a tag needs repository:tag`, 'image');
        const { info } = await resolveImage(hostId, r.normalized);
        if (!(info.RepoTags ?? []).includes(r.normalized))
          throw badRequest(
            `image: ${ref} is not a tag of an image on ${engine.host.name} (it matched ${shortId(info.Id)} another way)`,
            'image',
          );
        target = r.normalized;
      }
      const out = (await onEngine(engine.host.name, () => engine.docker.getImage(target).remove({ force }))) as Array<{
        Untagged?: string;
        Deleted?: string;
      }>;
      await inventory.refreshKind(hostId, 'image').catch(() => {});
      return {
        untagged: out.filter((o) => o.Untagged).map((o) => o.Untagged!),
        deleted: out.filter((o) => o.Deleted).map((o) => o.Deleted!),
        command: dockerCommands.rmi(target, force),
      };
    },

    /** What `docker image prune [-a]` would delete: unused dangling images (or every unused one). */
    async prunePreview(hostId: string, all: boolean): Promise<PruneResult> {
      const images = inventory.images(await inventory.viewOf(hostId));
      const doomed = images.filter((i) => i.containers.length === 0 && (all || i.dangling));
      return {
        items: doomed.map((i) => ({ id: i.id, name: i.tags[0] ?? `<none> ${shortId(i.id)}`, sizeBytes: i.sizeBytes })),
        reclaimedBytes: doomed.reduce((s, i) => s + i.sizeBytes, 0),
        command: dockerCommands.imagePrune(all),
      };
    },

    async prune(hostId: string, all: boolean): Promise<PruneResult> {
      const engine = await engines.engine(hostId);
      const before = inventory.images(await inventory.viewOf(hostId));
      const r = await onEngine(engine.host.name, () => engine.docker.pruneImages({ filters: { dangling: [all ? 'false' : 'true'] } }));
      await inventory.refreshKind(hostId, 'image').catch(() => {});
      const deleted = new Set((r.ImagesDeleted ?? []).map((d) => d.Deleted).filter(Boolean));
      const items = before
        .filter((i) => deleted.has(i.id))
        .map((i) => ({ id: i.id, name: i.tags[0] ?? `<none> ${shortId(i.id)}`, sizeBytes: i.sizeBytes }));
      return { items, reclaimedBytes: r.SpaceReclaimed ?? 0, command: dockerCommands.imagePrune(all) };
    },

    /**
     * `contextFile` is a tarball on disk (a lone Dockerfile was wrapped by the route); removed afterwards.
     * The engine call and the line logged come from one `buildPlan`.
     */
    async build(hostId: string, q: BuildImageQuery, source: BuildSource, contextFile: string, user: User | null): Promise<Task> {
      const plan = buildPlan({ tag: q.tag, source, dockerfile: q.dockerfile, pull: q.pull, noCache: q.noCache });
      const engine = await engines.engine(hostId);
      const { command } = plan;
      const image = plan.engine.t;
      return tasks.start({
        type: 'image.build',
        target: { type: 'image', id: image, name: image, hostId },
        user,
        cancellable: true,
        params: { ...q, command },
        run: async (ctx) => {
          try {
            ctx.log(`Equivalent command: ${command}`);
            const stream = await onEngine(
              engine.host.name,
              () =>
                engine.docker.buildImage(createReadStream(contextFile), { ...plan.engine } as Record<
                  string,
                  unknown
                >) as Promise<NodeJS.ReadableStream>,
            );
            const id = await followBuild(engine, stream as unknown as Readable, ctx);
            await inventory.refreshKind(hostId, 'image').catch(() => {});
            return `Built ${image}${id ? ` (${shortId(id)})` : ''}`;
          } finally {
            await rm(contextFile, { force: true });
          }
        },
      });
    },

    /** `docker load` of a save archive, or `docker import` of a root filesystem tarball. */
    async importArchive(hostId: string, q: ImportImageQuery, file: string): Promise<{ loaded: string[]; command: string }> {
      const engine = await engines.engine(hostId);
      const format = q.format ?? 'load';
      try {
        if (format === 'rootfs') {
          if (!q.tag) throw badRequest('tag: importing a root filesystem needs a name for the image (e.g. lab/base:1)', 'tag');
          const t = parseImageRef(q.tag, 'tag');
          const repo = t.normalized.slice(0, t.normalized.lastIndexOf(':'));
          const tag = t.normalized.slice(t.normalized.lastIndexOf(':') + 1);
          const stream = await onEngine(engine.host.name, () => engine.docker.importImage(createReadStream(file), { repo, tag }));
          const out = await collectJson(engine, stream as unknown as Readable);
          await inventory.refreshKind(hostId, 'image').catch(() => {});
          return {
            loaded: [
              t.normalized,
              ...out.filter((o) => typeof o.status === 'string' && o.status.startsWith('sha256:')).map((o) => o.status as string),
            ],
            command: dockerCommands.import(t.normalized),
          };
        }
        const stream = await onEngine(
          engine.host.name,
          () => engine.docker.loadImage(createReadStream(file), { quiet: true }) as Promise<NodeJS.ReadableStream>,
        );
        const out = await collectJson(engine, stream as unknown as Readable);
        await inventory.refreshKind(hostId, 'image').catch(() => {});
        const loaded = out.flatMap((o) =>
          typeof o.stream === 'string' ? [...o.stream.matchAll(/Loaded image(?: ID)?: (\S+)/g)].map((m) => m[1]!) : [],
        );
        return { loaded, command: dockerCommands.load() };
      } finally {
        await rm(file, { force: true });
      }
    },

    async exportImage(hostId: string, ref: string, reader: Reader): Promise<{ stream: Readable; name: string; command: string }> {
      const { engine, info } = await resolveImage(hostId, ref);
      // The archive is the whole image: its config with every environment value, and every file.
      if (await hidesEnvFrom(hostId, reader)) {
        throw forbidden(
          `Downloading an image needs the operator role on ${engine.host.name}: the archive holds the image's environment values, which viewers of this engine may not read (an administrator can allow it in the engine's policy)`,
        );
      }
      const stream = await onEngine(engine.host.name, () =>
        engine.docker.getImage(/^(sha256:)?[0-9a-f]+$/.test(ref) ? info.Id : ref).get(),
      );
      return { stream: stream as unknown as Readable, name: ref, command: dockerCommands.save(ref) };
    },
  };
}

async function collectJson(engine: Engine, stream: Readable): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) =>
    engine.docker.modem.followProgress(stream, (err: Error | null, out: Array<Record<string, unknown>>) => {
      const failed = out?.find((o) => o.error);
      if (err) return reject(engineError(err, engine.host.name));
      if (failed)
        return reject(
          new HttpError(400, String((failed.errorDetail as { message?: string } | undefined)?.message ?? failed.error), {
            code: 'engine_rejected',
          }),
        );
      resolve(out ?? []);
    }),
  );
}

export type ImagesService = ReturnType<typeof createImagesService>;
