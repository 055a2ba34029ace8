/**
 * A VM's settings (vCPUs, memory, CPU, boot order, lifecycle actions, title/description, autostart),
 * its vCPU/emulator pinning and its cgroup tuning. Definition changes are made the way `virsh edit`
 * does — dumpxml --inactive, change the named elements, define — then read back and compared, so
 * nothing else of the definition can change behind the user's back; the running VM is changed with
 * the matching live command where libvirt has one.
 */
import type { CommandRunner } from '@mirador/ssh';
import {
  BOOT_DEVICES,
  CPU_MODES,
  LIFECYCLE_ACTIONS,
  applyConfigChanges,
  assertHostCpuset,
  autostartArgv,
  blkiotuneArgv,
  capabilitiesArgv,
  commandLineOf,
  cputuneXmlOf,
  defineArgv,
  definitionExcept,
  descArgv,
  dumpxmlArgv,
  emulatorpinArgv,
  formatCpuset,
  inactiveSecureDumpxmlArgv,
  memtuneArgv,
  nodeinfoArgv,
  parseDomainConfig,
  parseHostTopology,
  parseNodeinfo,
  schedinfoArgv,
  setLifecycleActionArgv,
  setmemArgv,
  setvcpusArgv,
  touchedElements,
  validateConfigChanges,
  vcpupinArgv,
  withCLocale,
  type ApplyTo,
  type Argv,
  type DomainConfig,
  type DomainConfigChanges,
  type HostTopology,
} from '@mirador/libvirt';
import type { VmConfig, VmConfigChange, VmConfigPatch, VmConfigResult, VmPinningBody, VmTuningBody } from '@mirador/contract';
import { badRequest, conflict, HttpError } from '../lib/http-errors.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import type { VmsService, VmTarget } from '../vms/vms.service.js';
import { parseEmulatorpinTable, parseVcpupinTable } from './pinning-output.js';

type Field = keyof DomainConfigChanges;
/** Fields with no live counterpart: saved now, in effect when the VM next starts. */
const NEXT_BOOT_ONLY: readonly Field[] = ['maxVcpus', 'maxMemoryMiB', 'cpuMode', 'cpuModel', 'boot'];
/** Fields that are metadata, in effect as soon as they are saved, running or not. */
const METADATA: readonly Field[] = ['title', 'description'];
const LIFECYCLE_TYPE = { onPoweroff: 'poweroff', onReboot: 'reboot', onCrash: 'crash' } as const;

const isRunning = (t: VmTarget) => t.vm.state === 'running' || t.vm.state === 'paused';

export function createVmConfigService(deps: { vms: VmsService }) {
  const { vms } = deps;

  async function topologyOf(runner: CommandRunner, uri: string): Promise<HostTopology> {
    const [caps, nodeinfo] = await Promise.all([runVirsh(runner, capabilitiesArgv(uri)), runVirsh(runner, withCLocale(nodeinfoArgv(uri)))]);
    return parseHostTopology(caps, parseNodeinfo(nodeinfo));
  }

  /** The persistent definition, secrets included (defining it back must not drop the VNC password); never sent out. */
  const inactiveXml = (runner: CommandRunner, t: VmTarget) => runVirsh(runner, inactiveSecureDumpxmlArgv(t.uri, t.vm.name));

  async function read(t: VmTarget): Promise<VmConfig> {
    const runner = await t.runner();
    const running = isRunning(t);
    const [xml, topology, liveXml, vcpupin, emulatorpin] = await Promise.all([
      inactiveXml(runner, t),
      topologyOf(runner, t.uri),
      running ? runVirsh(runner, dumpxmlArgv(t.uri, t.vm.name)) : undefined,
      running ? runVirsh(runner, withCLocale(vcpupinArgv(t.uri, t.vm.name))) : undefined,
      running ? runVirsh(runner, withCLocale(emulatorpinArgv(t.uri, t.vm.name))) : undefined,
    ]);
    const name = t.vm.name;
    const uri = t.uri;
    return {
      running,
      persistent: t.vm.persistent,
      autostart: t.vm.autostart,
      config: parseDomainConfig(xml),
      live: liveXml === undefined ? undefined : parseDomainConfig(liveXml),
      livePinning:
        vcpupin === undefined ? undefined : { vcpus: parseVcpupinTable(vcpupin), emulator: parseEmulatorpinTable(emulatorpin ?? '') },
      cputuneXml: cputuneXmlOf(xml),
      topology,
      choices: { boot: [...BOOT_DEVICES], lifecycle: [...LIFECYCLE_ACTIONS], cpuModes: [...CPU_MODES] },
      commands: [
        defineArgv(uri),
        setvcpusArgv(uri, name, 1, { live: true, config: false }),
        setmemArgv(uri, name, 512, { live: true, config: false }),
        vcpupinArgv(uri, name, { vcpu: 0, cpuset: '0' }, { live: running, config: true }),
        emulatorpinArgv(uri, name, '0', { live: running, config: true }),
        vcpupinArgv(uri, name),
      ].map(commandLineOf),
    };
  }

  /** The changes that differ from the definition, typed for the libvirt package (unknown strings are checked there). */
  function changesOf(body: VmConfigPatch, current: DomainConfig): DomainConfigChanges {
    const c: Record<string, unknown> = {};
    for (const key of [
      'vcpus',
      'maxVcpus',
      'memoryMiB',
      'maxMemoryMiB',
      'cpuMode',
      'cpuModel',
      'title',
      'description',
      'onPoweroff',
      'onReboot',
      'onCrash',
    ] as const) {
      const v = body[key];
      if (v !== undefined && v !== current[key]) c[key] = v;
    }
    if (body.boot !== undefined && body.boot.join(',') !== current.boot.join(',')) c.boot = body.boot;
    return c as DomainConfigChanges;
  }

  /** Defines the edited XML, reads it back, and puts the old definition back if libvirt changed more (or less) than asked. */
  async function defineChecked(runner: CommandRunner, t: VmTarget, before: string, changes: DomainConfigChanges, commands: string[]) {
    const edited = applyConfigChanges(before, changes);
    const define = (file: string) => defineArgv(t.uri, file);
    commands.push(commandLineOf(define('/dev/stdin')));
    await runVirshWithXml(runner, define, edited);
    const after = await inactiveXml(runner, t);
    const got = parseDomainConfig(after);
    const touched = touchedElements(changes);
    const wrong = (Object.keys(changes) as Field[]).filter((f) => JSON.stringify(got[f]) !== JSON.stringify(changes[f]));
    const othersChanged = definitionExcept(before, touched) !== definitionExcept(after, touched);
    if (wrong.length > 0 || othersChanged) {
      await runVirshWithXml(runner, define, before);
      throw new HttpError(
        409,
        othersChanged
          ? 'libvirt changed other parts of the definition than the ones edited; the previous definition was put back.'
          : `libvirt did not keep ${wrong.join(', ')} as asked; the previous definition was put back.`,
        { code: 'definition_mismatch', field: wrong[0] },
      );
    }
  }

  /** Runs a live command; a refusal becomes "next boot" with libvirt's reason instead of failing the whole change. */
  async function tryLive(runner: CommandRunner, argv: Argv, commands: string[]): Promise<string | undefined> {
    commands.push(commandLineOf(argv));
    try {
      await runVirsh(runner, argv);
      return undefined;
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 409) return err.message;
      throw err;
    }
  }

  async function liveChange(
    runner: CommandRunner,
    t: VmTarget,
    field: Field,
    c: DomainConfigChanges,
    live: DomainConfig,
    commands: string[],
  ) {
    const now: ApplyTo = { live: true, config: false };
    const name = t.vm.name;
    switch (field) {
      case 'vcpus':
        if (c.vcpus! > live.maxVcpus) return `The running VM was started with at most ${live.maxVcpus} vCPUs.`;
        return tryLive(runner, setvcpusArgv(t.uri, name, c.vcpus!, now), commands);
      case 'memoryMiB':
        if (c.memoryMiB! > live.maxMemoryMiB) return `The running VM was started with at most ${live.maxMemoryMiB} MiB.`;
        return tryLive(runner, setmemArgv(t.uri, name, c.memoryMiB!, now), commands);
      case 'title':
      case 'description':
        return tryLive(runner, descArgv(t.uri, name, c[field]!, { title: field === 'title', ...now }), commands);
      case 'onPoweroff':
      case 'onReboot':
      case 'onCrash':
        return tryLive(runner, setLifecycleActionArgv(t.uri, name, LIFECYCLE_TYPE[field], c[field]!, now), commands);
      case 'maxVcpus':
      case 'maxMemoryMiB':
      case 'cpuMode':
      case 'cpuModel':
      case 'boot':
        return 'Needs a restart.';
    }
  }

  function requirePersistent(t: VmTarget) {
    if (!t.vm.persistent) throw conflict(`"${t.vm.name}" is transient: it has no persistent definition to change.`);
  }

  function hostMemoryCheck(body: VmConfigPatch, topology: HostTopology) {
    const hostMiB = Math.floor((topology.memoryBytes ?? Number.MAX_SAFE_INTEGER) / 1024 ** 2);
    for (const field of ['maxMemoryMiB', 'memoryMiB'] as const) {
      const v = body[field];
      if (v !== undefined && v > hostMiB) throw badRequest(`Memory of ${v} MiB is more than the host has (${hostMiB} MiB).`, field);
    }
  }

  return {
    async get(hostId: string, name: string): Promise<VmConfig> {
      return read(await vms.target(hostId, name));
    },

    async update(hostId: string, name: string, body: VmConfigPatch): Promise<VmConfigResult> {
      const t = await vms.target(hostId, name);
      requirePersistent(t);
      const runner = await t.runner();
      const [before, topology] = await Promise.all([inactiveXml(runner, t), topologyOf(runner, t.uri)]);
      const current = parseDomainConfig(before);
      hostMemoryCheck(body, topology);
      const changes = changesOf(body, current);
      validateConfigChanges(changes, current);
      const commands: string[] = [];
      const result: VmConfigChange[] = [];
      const fields = Object.keys(changes) as Field[];
      if (fields.length > 0) await defineChecked(runner, t, before, changes, commands);
      const running = isRunning(t);
      const live = running ? parseDomainConfig(await runVirsh(runner, dumpxmlArgv(t.uri, name))) : undefined;
      for (const field of fields) {
        if (METADATA.includes(field) && !running) {
          result.push({ field, applies: 'now' });
          continue;
        }
        if (!live || NEXT_BOOT_ONLY.includes(field)) {
          result.push({ field, applies: 'next-boot' });
          continue;
        }
        const refused = await liveChange(runner, t, field, changes, live, commands);
        result.push(refused === undefined ? { field, applies: 'now' } : { field, applies: 'next-boot', note: refused });
      }
      if (body.autostart !== undefined && body.autostart !== t.vm.autostart) {
        const argv = autostartArgv(t.uri, name, body.autostart);
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
        result.push({ field: 'autostart', applies: 'now' });
      }
      return { changes: result, commands, config: await read(await refreshed(t)) };
    },

    async pin(hostId: string, name: string, body: VmPinningBody): Promise<VmConfigResult> {
      const t = await vms.target(hostId, name);
      requirePersistent(t);
      const runner = await t.runner();
      const [xml, topology] = await Promise.all([inactiveXml(runner, t), topologyOf(runner, t.uri)]);
      const current = parseDomainConfig(xml);
      const all = formatCpuset(topology.onlineCpus);
      // '' means "no pin": pinning to every host CPU is what libvirt stores as no <vcpupin> at all.
      const cpusetOf = (value: string, field: string) => (value.trim() === '' ? all : assertHostCpuset(value, topology.onlineCpus, field));
      const seen = new Set<number>();
      const pins = body.vcpus.map((p, i) => {
        if (!Number.isInteger(p.vcpu) || p.vcpu < 0 || p.vcpu >= current.maxVcpus)
          throw badRequest(`vCPU ${p.vcpu} does not exist: this VM has vCPUs 0 to ${current.maxVcpus - 1}.`, `vcpus[${i}].vcpu`);
        if (seen.has(p.vcpu)) throw badRequest(`vCPU ${p.vcpu} is listed twice.`, `vcpus[${i}].vcpu`);
        seen.add(p.vcpu);
        return { vcpu: p.vcpu, cpuset: cpusetOf(p.cpuset, `vcpus[${i}].cpuset`) };
      });
      const emulator = body.emulator === undefined ? undefined : cpusetOf(body.emulator, 'emulator');
      const running = isRunning(t);
      const liveVcpus = running ? parseDomainConfig(await runVirsh(runner, dumpxmlArgv(t.uri, name))).vcpus : 0;
      const commands: string[] = [];
      const changes: VmConfigChange[] = [];
      for (const [i, p] of pins.entries()) {
        // An offline vCPU has no thread to pin yet: its pin is saved and used when it comes online.
        const live = running && p.vcpu < liveVcpus;
        const argv = vcpupinArgv(t.uri, name, p, { live, config: true });
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
        changes.push({ field: `vcpus[${i}].cpuset`, applies: live ? 'now' : 'next-boot' });
      }
      if (emulator !== undefined) {
        const argv = emulatorpinArgv(t.uri, name, emulator, { live: running, config: true });
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
        changes.push({ field: 'emulator', applies: running ? 'now' : 'next-boot' });
      }
      commands.push(commandLineOf(vcpupinArgv(t.uri, name)));
      return { changes, commands, config: await read(await refreshed(t)) };
    },

    async tune(hostId: string, name: string, body: VmTuningBody): Promise<VmConfigResult> {
      const t = await vms.target(hostId, name);
      requirePersistent(t);
      const to: ApplyTo = { live: isRunning(t), config: true };
      const applies = to.live ? 'now' : 'next-boot';
      const steps: Array<{ fields: string[]; argv: Argv }> = [];
      // Every argv is built (and so validated) before the first one runs.
      if (body.shares !== undefined || body.period !== undefined || body.quota !== undefined)
        steps.push({
          fields: (['shares', 'period', 'quota'] as const).filter((f) => body[f] !== undefined),
          argv: schedinfoArgv(t.uri, name, { shares: body.shares, period: body.period, quota: body.quota }, to),
        });
      if (body.blkioWeight !== undefined) steps.push({ fields: ['blkioWeight'], argv: blkiotuneArgv(t.uri, name, body.blkioWeight, to) });
      if (body.hardLimitKiB !== undefined || body.softLimitKiB !== undefined)
        steps.push({
          fields: (['hardLimitKiB', 'softLimitKiB'] as const).filter((f) => body[f] !== undefined),
          argv: memtuneArgv(t.uri, name, { hardLimitKiB: body.hardLimitKiB, softLimitKiB: body.softLimitKiB }, to),
        });
      if (steps.length === 0) throw badRequest('Nothing to change.', 'shares');
      const runner = await t.runner();
      const commands: string[] = [];
      const changes: VmConfigChange[] = [];
      for (const step of steps) {
        commands.push(commandLineOf(step.argv));
        try {
          await runVirsh(runner, step.argv);
        } catch (err) {
          // libvirt's reason (e.g. "blkio device weight is valid only for bfq or cfq scheduler") is the message.
          if (err instanceof HttpError && err.statusCode === 409)
            throw new HttpError(409, `${step.fields.join(', ')}: ${err.message}`, { code: 'libvirt_error', field: step.fields[0] });
          throw err;
        }
        for (const field of step.fields) changes.push({ field, applies });
      }
      return { changes, commands, config: await read(await refreshed(t)) };
    },
  };

  async function refreshed(t: VmTarget): Promise<VmTarget> {
    await t.refresh();
    return vms.target(t.vm.hostId, t.vm.name);
  }
}

export type VmConfigService = ReturnType<typeof createVmConfigService>;
