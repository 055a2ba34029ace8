import type {
  CreatePoolBody,
  CreatePoolPreview,
  CreateStorageVolumeBody,
  PoolActionResult,
  StorageActionResult,
  StoragePoolSummary,
  StoragePoolDetail,
  StorageVolume,
  UploadVolumeFormat,
  VmSummary,
  VolumeActionResult,
} from '@mirador/contract';
import {
  buildDirPoolXml,
  commandLineOf,
  parseNameList,
  parsePoolInfo,
  parsePoolXml,
  parseVolListDetails,
  parseVolXml,
  poolAutostartArgv,
  poolBuildArgv,
  poolDefineArgv,
  poolDestroyArgv,
  poolInfoArgv,
  poolRefreshArgv,
  poolStartArgv,
  poolUndefineArgv,
  volCreateBytesArgv,
  volDeleteArgv,
  volDownloadArgv,
  volDumpxmlArgv,
  volResizeArgv,
  volUploadArgv,
} from '@mirador/libvirt';
import { LocalRunner, type CommandRunner } from '@mirador/ssh';
import type { Readable } from 'node:stream';
import { HttpError, badRequest, conflict, notFound } from '../lib/http-errors.js';
import { runVirsh, runVirshWithXml, virshBatch, VirshError } from '../vms/virsh.js';
import { isInside, poolTargets, resolveOnHost } from '../vms/vm-paths.js';
import { judgePoolPath } from './pool-paths.js';
import { listNames, usersOfPool, usersOfVolume } from './volume-users.js';
import { UploadCutShort, channelReadable, pipeIntoChannel } from './channel-stream.js';
import type { Actor } from '../audit/audit.service.js';
import type { UndoJournal } from '../recovery/undo-journal.js';

export interface StorageHost {
  name: string;
  /** Already checked to be an endpoint Mirador builds. */
  uri: string;
}

export interface StorageDeps {
  host(hostId: string): Promise<StorageHost>;
  runner(hostId: string): Promise<CommandRunner>;
  /** Every VM defined on the host, from the live inventory; rejects when it cannot be known. */
  vmsOn(hostId: string): Promise<VmSummary[]>;
  /** Notes an upload's volume until it is whole, so a crash midway is undone at the next start. */
  undo: Pick<UndoJournal, 'note'>;
}

/** Tokens virshBatch accepts; anything else (a pool someone named with a space) is asked on its own. */
const BATCHABLE = /^[A-Za-z0-9._+:/=@-]+$/;
const LONG_MS = 300_000;

/** One answer per command: batched in one virsh session when possible; a failed command answers ''. */
async function readMany(runner: CommandRunner, uri: string, commands: string[][]): Promise<string[]> {
  const safe = commands.map((c) => c.every((t) => BATCHABLE.test(t)));
  const batched = await virshBatch(
    runner,
    uri,
    commands.filter((_c, i) => safe[i]),
  );
  let b = 0;
  return Promise.all(
    commands.map((c, i) => (safe[i] ? Promise.resolve(batched[b++] ?? '') : runVirsh(runner, ['virsh', '-c', uri, ...c]).catch(() => ''))),
  );
}

/** libvirt's "not found" for a pool or volume becomes a 404; other failures stay as they are. */
function notFoundAs(what: string) {
  return (err: unknown): never => {
    if (err instanceof VirshError && /not found|no storage (pool|vol)/i.test(err.message)) throw notFound(what);
    throw err;
  };
}

export function createStorageService(deps: StorageDeps) {
  async function target(hostId: string) {
    const host = await deps.host(hostId);
    return { host, uri: host.uri, runner: await deps.runner(hostId) };
  }

  async function readPools(runner: CommandRunner, uri: string, names: string[]): Promise<Array<StoragePoolSummary & { xml: string }>> {
    const usable = names.filter((n) => !n.startsWith('-'));
    const out = await readMany(
      runner,
      uri,
      usable.flatMap((n) => [
        ['pool-dumpxml', n],
        ['pool-info', n, '--bytes'],
      ]),
    );
    const pools = usable.map((name, i) => {
      const xml = out[2 * i] ?? '';
      const info = parsePoolInfo(out[2 * i + 1] ?? '');
      let parsed: ReturnType<typeof parsePoolXml> | null = null;
      try {
        parsed = parsePoolXml(xml);
      } catch {
        // Gone between the list and the read, or unreadable: still listed, with what is known.
      }
      return {
        name,
        uuid: parsed?.uuid ?? null,
        type: parsed?.type ?? 'unknown',
        state: info.state,
        autostart: info.autostart,
        persistent: info.persistent,
        capacityBytes: parsed?.capacityBytes ?? null,
        allocationBytes: parsed?.allocationBytes ?? null,
        availableBytes: parsed?.availableBytes ?? null,
        targetPath: parsed?.targetPath ?? null,
        volumeCount: null as number | null,
        xml,
      };
    });
    const running = pools.filter((p) => p.state === 'running');
    const lists = await readMany(
      runner,
      uri,
      running.map((p) => ['vol-list', '--pool', p.name, '--details']),
    );
    running.forEach((p, i) => (p.volumeCount = parseVolListDetails(lists[i] ?? '').length));
    return pools;
  }

  async function readPool(runner: CommandRunner, uri: string, name: string) {
    // pool-info first: its error is libvirt's clear "not found" (a batch would swallow it).
    await runVirsh(runner, poolInfoArgv(uri, name)).catch(notFoundAs(`Storage pool "${name}"`));
    const [pool] = await readPools(runner, uri, [name]);
    if (!pool) throw notFound(`Storage pool "${name}"`);
    return pool;
  }

  const summary = ({ xml: _xml, ...pool }: StoragePoolSummary & { xml: string }): StoragePoolSummary => pool;

  async function readVolume(runner: CommandRunner, uri: string, pool: string, name: string, vms: VmSummary[] | null) {
    const xml = await runVirsh(runner, volDumpxmlArgv(uri, pool, name)).catch(notFoundAs(`Volume "${name}" in pool "${pool}"`));
    const v = parseVolXml(xml);
    return { ...v, usedBy: vms ? usersOfVolume(vms, pool, v) : [] } satisfies StorageVolume;
  }

  /**
   * A volume is a name in the pool directory, but libvirt follows a symbolic link planted there (to
   * /etc/shadow, say): reading or growing such a "volume" would read or grow its target. Whatever
   * touches a volume's bytes first resolves it on the host and insists on a regular file in the pool.
   */
  async function assertInsidePool(
    runner: CommandRunner,
    uri: string,
    pool: string,
    vol: { name: string; path: string | null },
  ): Promise<string> {
    const p = await readPool(runner, uri, pool);
    const root = p.targetPath ? await resolveOnHost(runner, p.targetPath) : null;
    const real = vol.path ? await resolveOnHost(runner, vol.path) : null;
    const type = real ? await runner.exec(['stat', '-c', '%F', '--', real], { timeoutMs: 10_000 }).catch(() => null) : null;
    const regular = type?.code === 0 && /^regular (empty )?file$/.test(type.stdout.trim());
    if (!root || root === '/' || !real || !isInside(real, root) || real === root || !regular) {
      throw new HttpError(
        403,
        `The volume "${vol.name}" is not a regular file inside the pool "${pool}"${real && real !== vol.path ? ` (it leads to ${real})` : ''}; Mirador does not read or change it`,
        { code: 'forbidden', field: 'volume' },
      );
    }
    return real;
  }

  async function run(runner: CommandRunner, argv: string[], commands: string[], timeoutMs?: number) {
    commands.push(commandLineOf(argv));
    await runVirsh(runner, argv, timeoutMs ? { timeoutMs } : {});
  }

  async function poolAction(hostId: string, name: string, argvOf: (uri: string) => string[]): Promise<PoolActionResult> {
    const { uri, runner } = await target(hostId);
    await readPool(runner, uri, name);
    const commands: string[] = [];
    await run(runner, argvOf(uri), commands, LONG_MS);
    return { pool: summary(await readPool(runner, uri, name)), commands };
  }

  return {
    async list(hostId: string): Promise<StoragePoolSummary[]> {
      const { uri, runner } = await target(hostId);
      const [names] = await virshBatch(runner, uri, [['pool-list', '--all', '--name']]);
      return (await readPools(runner, uri, parseNameList(names ?? ''))).map(summary).sort((a, b) => a.name.localeCompare(b.name));
    },

    async detail(hostId: string, name: string): Promise<StoragePoolDetail> {
      const { uri, runner } = await target(hostId);
      const pool = await readPool(runner, uri, name);
      return {
        ...pool,
        commands: {
          start: commandLineOf(poolStartArgv(uri, name)),
          stop: commandLineOf(poolDestroyArgv(uri, name)),
          refresh: commandLineOf(poolRefreshArgv(uri, name)),
          autostartOn: commandLineOf(poolAutostartArgv(uri, name, true)),
          autostartOff: commandLineOf(poolAutostartArgv(uri, name, false)),
          delete: [commandLineOf(poolDestroyArgv(uri, name)), commandLineOf(poolUndefineArgv(uri, name))],
        },
      };
    },

    /** The definition and the commands a create would run; nothing changes on the host. */
    async preview(hostId: string, body: CreatePoolBody): Promise<CreatePoolPreview> {
      const { host, uri, runner } = await target(hostId);
      const judged = await judgePoolPath(runner, host.name, body.path);
      const [names] = await virshBatch(runner, uri, [['pool-list', '--all', '--name']]);
      if (parseNameList(names ?? '').includes(body.name))
        throw conflict(`A storage pool named "${body.name}" already exists on ${host.name}`, 'name');
      for (const [other, t] of await poolTargets(runner, uri)) {
        if (t.path === judged.resolved || t.path === body.path) throw conflict(`The pool "${other}" already uses ${t.path}`, 'path');
      }
      const xml = buildDirPoolXml({ name: body.name, path: judged.resolved });
      const commands = [
        `${commandLineOf(poolDefineArgv(uri, `${body.name}.xml`))}`,
        ...(judged.exists ? [] : [commandLineOf(poolBuildArgv(uri, body.name))]),
        commandLineOf(poolStartArgv(uri, body.name)),
        ...((body.autostart ?? true) ? [commandLineOf(poolAutostartArgv(uri, body.name, true))] : []),
      ];
      return { xml, commands, resolvedPath: judged.resolved, exists: judged.exists };
    },

    /** Defines, builds (only a missing directory), starts and marks autostart; undefines again if a step fails. */
    async create(hostId: string, body: CreatePoolBody): Promise<PoolActionResult> {
      const preview = await this.preview(hostId, body);
      const { uri, runner } = await target(hostId);
      const commands: string[] = [];
      commands.push(preview.commands[0]!);
      await runVirshWithXml(runner, (file) => poolDefineArgv(uri, file), preview.xml);
      try {
        if (!preview.exists) await run(runner, poolBuildArgv(uri, body.name), commands, LONG_MS);
        await run(runner, poolStartArgv(uri, body.name), commands, LONG_MS);
        if (body.autostart ?? true) await run(runner, poolAutostartArgv(uri, body.name, true), commands);
      } catch (err) {
        await runVirsh(runner, poolDestroyArgv(uri, body.name)).catch(() => {});
        await runVirsh(runner, poolUndefineArgv(uri, body.name)).catch(() => {});
        throw err;
      }
      return { pool: summary(await readPool(runner, uri, body.name)), commands };
    },

    start: (hostId: string, name: string) => poolAction(hostId, name, (uri) => poolStartArgv(uri, name)),
    stop: (hostId: string, name: string) => poolAction(hostId, name, (uri) => poolDestroyArgv(uri, name)),
    refresh: (hostId: string, name: string) => poolAction(hostId, name, (uri) => poolRefreshArgv(uri, name)),
    setAutostart: (hostId: string, name: string, enabled: boolean) =>
      poolAction(hostId, name, (uri) => poolAutostartArgv(uri, name, enabled)),

    /** Stops and forgets the pool; the directory and every file in it stay (never `pool-delete`). */
    async remove(hostId: string, name: string): Promise<StorageActionResult> {
      const { host, uri, runner } = await target(hostId);
      const pool = await readPool(runner, uri, name);
      const users = usersOfPool(await deps.vmsOn(hostId), name, pool.targetPath);
      if (users.length)
        throw conflict(`The pool "${name}" on ${host.name} holds disks of ${listNames(users)}: remove those disks or VMs first`);
      const commands: string[] = [];
      if (pool.state !== 'inactive') await run(runner, poolDestroyArgv(uri, name), commands);
      if (pool.persistent) await run(runner, poolUndefineArgv(uri, name), commands);
      return { commands };
    },

    async volumes(hostId: string, pool: string): Promise<StorageVolume[]> {
      const { uri, runner } = await target(hostId);
      const p = await readPool(runner, uri, pool);
      if (p.state !== 'running') throw conflict(`The pool "${pool}" is not running: start it to see its volumes`);
      const list = await runVirsh(runner, ['virsh', '-c', uri, 'vol-list', '--pool', pool, '--details']);
      const names = parseVolListDetails(list).map((v) => v.name);
      const xmls = await readMany(
        runner,
        uri,
        names.filter((n) => !n.startsWith('-')).map((n) => ['vol-dumpxml', '--pool', pool, n]),
      );
      const vms = await deps.vmsOn(hostId);
      return xmls
        .flatMap((xml) => {
          try {
            return [parseVolXml(xml)];
          } catch {
            return []; // deleted in between
          }
        })
        .map((v) => ({ ...v, usedBy: usersOfVolume(vms, pool, v) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    async createVolume(hostId: string, pool: string, body: CreateStorageVolumeBody): Promise<VolumeActionResult> {
      const { host, uri, runner } = await target(hostId);
      const p = await readPool(runner, uri, pool);
      if (p.state !== 'running') throw conflict(`The pool "${pool}" is not running: start it first`);
      const exists = await runVirsh(runner, volDumpxmlArgv(uri, pool, body.name)).then(
        () => true,
        () => false,
      );
      if (exists) throw conflict(`A volume named "${body.name}" already exists in "${pool}" on ${host.name}`, 'name');
      // A raw volume takes its whole size at once; qcow2 grows as the guest writes.
      if (body.format === 'raw' && p.availableBytes !== null && body.capacityBytes > p.availableBytes) {
        throw badRequest(
          `capacityBytes: a raw volume of ${body.capacityBytes} bytes does not fit in the ${p.availableBytes} bytes free in "${pool}"`,
          'capacityBytes',
        );
      }
      const commands: string[] = [];
      await run(runner, volCreateBytesArgv(uri, { pool, ...body }), commands, LONG_MS);
      return { volume: await readVolume(runner, uri, pool, body.name, []), commands };
    },

    /** Grows a volume; shrinking would cut off the guest's data, and resizing a running guest's disk confuses it. */
    async resizeVolume(hostId: string, pool: string, name: string, capacityBytes: number): Promise<VolumeActionResult> {
      const { uri, runner } = await target(hostId);
      const vms = await deps.vmsOn(hostId);
      const vol = await readVolume(runner, uri, pool, name, vms);
      if (capacityBytes <= vol.capacityBytes) {
        throw badRequest(
          `capacityBytes: volumes only grow; "${name}" already holds ${vol.capacityBytes} bytes, ask for more than that`,
          'capacityBytes',
        );
      }
      await assertInsidePool(runner, uri, pool, vol);
      const running = vms.filter((vm) => vol.usedBy.includes(vm.name) && vm.state !== 'shut off').map((vm) => vm.name);
      if (running.length) throw conflict(`"${name}" is in use by ${listNames(running)}, which is not shut off; shut it down first`);
      const commands: string[] = [];
      await run(runner, volResizeArgv(uri, pool, name, capacityBytes), commands, LONG_MS);
      return { volume: await readVolume(runner, uri, pool, name, vms), commands };
    },

    async removeVolume(hostId: string, pool: string, name: string): Promise<StorageActionResult> {
      const { uri, runner } = await target(hostId);
      const vol = await readVolume(runner, uri, pool, name, await deps.vmsOn(hostId));
      if (vol.usedBy.length) throw conflict(`"${name}" is attached to ${listNames(vol.usedBy)}: detach it or delete the VM first`);
      const commands: string[] = [];
      await run(runner, volDeleteArgv(uri, pool, name), commands);
      return { commands };
    },

    /**
     * The volume's bytes, streamed from the host through libvirt (`vol-download`, which only reads
     * volumes of the pool: a name cannot reach other files), with its length when the host tells it.
     */
    async download(hostId: string, pool: string, name: string): Promise<{ stream: Readable; length: number | null; command: string }> {
      const { uri, runner } = await target(hostId);
      const vol = await readVolume(runner, uri, pool, name, null);
      const real = await assertInsidePool(runner, uri, pool, vol);
      let length: number | null = null;
      const st = await runner.exec(['stat', '-c', '%s', '--', real], { timeoutMs: 10_000 }).catch(() => null);
      if (st && st.code === 0 && /^\d+\n?$/.test(st.stdout)) length = Number(st.stdout.trim());
      // A local child's stdout is a socket, which virsh cannot open as /dev/stdout: read the checked file directly.
      const argv = runner instanceof LocalRunner ? ['cat', '--', real] : volDownloadArgv(uri, pool, name);
      let channel;
      try {
        channel = await runner.spawn(argv);
      } catch (err) {
        throw new HttpError(502, `Could not start the download on the host: ${(err as Error).message}`);
      }
      return { stream: channelReadable(channel), length, command: commandLineOf(argv) };
    },

    /**
     * A file from the browser into a new volume of exactly its size: the pool's free space is checked
     * before a byte is read, then the body streams into `vol-upload` over the SSH channel. A failure
     * or an abort midway kills the upload and deletes the partial volume.
     */
    async upload(
      hostId: string,
      pool: string,
      spec: { name: string; format: UploadVolumeFormat; sizeBytes: number },
      body: Readable,
      actor: Actor,
    ): Promise<VolumeActionResult> {
      const { host, uri, runner } = await target(hostId);
      const p = await readPool(runner, uri, pool);
      if (p.state !== 'running') throw conflict(`The pool "${pool}" is not running: start it first`);
      const exists = await runVirsh(runner, volDumpxmlArgv(uri, pool, spec.name)).then(
        () => true,
        () => false,
      );
      if (exists) throw conflict(`A volume named "${spec.name}" already exists in "${pool}" on ${host.name}`, 'name');
      if (p.availableBytes !== null && spec.sizeBytes > p.availableBytes) {
        throw new HttpError(
          413,
          `content-length: the file's ${spec.sizeBytes} bytes do not fit in the ${p.availableBytes} bytes free in "${pool}" on ${host.name}`,
          { code: 'too_large', field: 'content-length' },
        );
      }
      const commands: string[] = [];
      const format = spec.format === 'qcow2' ? 'qcow2' : 'raw';
      const settle = await deps.undo.note({
        hostId,
        what: `the partial volume ${pool}/${spec.name}`,
        undo: volDeleteArgv(uri, pool, spec.name),
        target: { type: 'storage-volume', name: spec.name },
        request: { action: 'storage.volume.upload', actor },
      });
      const remove = () => deleteAfterFailure(runner, volDeleteArgv(uri, pool, spec.name));
      try {
        await run(runner, volCreateBytesArgv(uri, { pool, name: spec.name, capacityBytes: spec.sizeBytes, format }), commands, LONG_MS);
      } catch (err) {
        await settle();
        throw err;
      }
      try {
        const vol = await readVolume(runner, uri, pool, spec.name, []);
        // A local child's stdin is a socket, which virsh cannot open as /dev/stdin: write the checked file directly.
        const argv =
          runner instanceof LocalRunner
            ? ['dd', `of=${await assertInsidePool(runner, uri, pool, vol)}`, 'bs=1M', 'conv=notrunc', 'status=none']
            : volUploadArgv(uri, pool, spec.name);
        commands.push(commandLineOf(argv));
        const channel = await runner.spawn(argv).catch((err: Error) => {
          throw new HttpError(502, `Could not start the upload on the host: ${err.message}`, {
            code: 'storage.uploadNotStarted',
            params: { detail: err.message },
          });
        });
        await pipeIntoChannel(body, channel, spec.sizeBytes).catch((err: Error) => {
          throw new UploadBroke(err);
        });
      } catch (err) {
        // Not removed (libvirt still holds it): the note stays, and the next start removes it.
        const removed = await remove();
        if (removed) await settle();
        throw err instanceof UploadBroke ? uploadFailure(spec.name, err.cause, removed) : err;
      }
      await settle();
      return { volume: await readVolume(runner, uri, pool, spec.name, []), commands };
    },
  };
}

/** The bytes did not all arrive: reported once the partial volume's fate is known. */
class UploadBroke extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** What the client and the audit record are told: the cause, and whether the partial volume is gone. */
function uploadFailure(name: string, cause: Error, removed: boolean): HttpError {
  const fate = removed ? 'the partial volume was deleted' : 'the partial volume is still there (Mirador deletes it at its next start)';
  const message = `The upload of "${name}" failed and ${fate}: ${cause.message}`;
  if (cause instanceof UploadCutShort) {
    const params = { name, sent: cause.sent, expected: cause.expected };
    return new HttpError(
      502,
      message,
      removed ? { code: 'storage.uploadCutShort', params } : { code: 'storage.uploadCutShortKept', params },
    );
  }
  const params = { name, detail: cause.message };
  return new HttpError(502, message, removed ? { code: 'storage.uploadFailed', params } : { code: 'storage.uploadFailedKept', params });
}

/** libvirt may still hold a volume for a moment after its upload stream ended ("still in use"). */
async function deleteAfterFailure(runner: CommandRunner, argv: string[]): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    if (
      await runVirsh(runner, argv).then(
        () => true,
        () => false,
      )
    )
      return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export type StorageService = ReturnType<typeof createStorageService>;
