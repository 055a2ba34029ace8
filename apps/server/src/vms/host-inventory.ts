import type { VmState, VmSummary } from '@mirador/contract';
import type { CommandRunner, ProcessChannel } from '@mirador/ssh';
import {
  VirshEventStream,
  eventArgv,
  parseDomainXml,
  parseDomifaddr,
  parseDomstatsRaw,
  parseNameList,
  stateAfterLifecycle,
  withCLocale,
  type VirshEvent,
} from '@mirador/libvirt';
import { virshBatch } from './virsh.js';
import { stateFromNumber, toVmSummary } from './vm.dto.js';
import { usableLibvirtUri } from '../hosts/libvirt-endpoint.js';

export interface InventoryHost {
  id: string;
  name: string;
  libvirtUri: string;
}

export interface InventoryListener {
  updated(vm: VmSummary): void;
  removed(hostId: string, name: string): void;
}

const DUMPXML_CHUNK = 150;

/**
 * The warm, in-memory picture of one host's domains. Loaded with two batched virsh sessions,
 * then kept current by `virsh event --all --loop`: lists never run virsh per page load.
 */
export class HostInventory {
  readonly vms = new Map<string, VmSummary>();
  readonly xml = new Map<string, string>();
  loadedAt: Date | null = null;
  error: string | null = null;
  lastAttemptAt = 0;
  private loadingPromise: Promise<void> | null = null;
  private events: ProcessChannel | null = null;
  private eventRetry: NodeJS.Timeout | null = null;
  private eventFailures = 0;
  private closed = false;
  private pendingRefresh = new Map<string, { current: Promise<void>; again?: Promise<void> }>();

  constructor(
    public host: InventoryHost,
    private readonly getRunner: () => Promise<CommandRunner>,
    private readonly listener: InventoryListener,
    private readonly log: { warn(obj: unknown, msg: string): void },
  ) {}

  /** Loads everything once (concurrent callers share the load). */
  ensureLoaded(): Promise<void> {
    if (this.loadedAt) return Promise.resolve();
    return this.refresh();
  }

  refresh(): Promise<void> {
    this.loadingPromise ??= this.load().finally(() => (this.loadingPromise = null));
    return this.loadingPromise;
  }

  get loading(): boolean {
    return this.loadingPromise !== null;
  }

  private async load() {
    this.lastAttemptAt = Date.now();
    try {
      // Checked before connecting: a stored URI Mirador did not build makes this host an error, nothing runs.
      const uri = usableLibvirtUri(this.host.libvirtUri);
      const runner = await this.getRunner();
      this.startEvents(runner);
      const [all, autostart, persistent, stats] = await virshBatch(runner, uri, [
        ['list', '--all', '--name'],
        ['list', '--all', '--autostart', '--name'],
        ['list', '--all', '--persistent', '--name'],
        ['domstats', '--raw', '--state'],
      ]);
      const names = parseNameList(all!);
      const auto = new Set(parseNameList(autostart!));
      const pers = new Set(parseNameList(persistent!));
      const states = parseDomstatsRaw(stats!);
      const xmls = new Map<string, string>();
      const addresses = new Map<string, Map<string, string>>();
      for (let i = 0; i < names.length; i += DUMPXML_CHUNK) {
        const chunk = names.slice(i, i + DUMPXML_CHUNK);
        const out = await virshBatch(
          runner,
          uri,
          chunk.flatMap((n) => [
            ['dumpxml', n],
            ['domifaddr', n, '--source', 'lease'],
          ]),
        );
        chunk.forEach((n, j) => {
          if (out[2 * j]?.trim()) xmls.set(n, out[2 * j]!);
          addresses.set(n, parseDomifaddr(out[2 * j + 1] ?? ''));
        });
      }
      const seen = new Set<string>();
      for (const [name, xml] of xmls) {
        try {
          const d = parseDomainXml(xml);
          const vm = toVmSummary(this.host, d, {
            state: stateFromNumber(states.get(name)?.['state.state']),
            autostart: auto.has(name),
            persistent: pers.has(name),
            ips: addresses.get(name),
          });
          seen.add(name);
          this.xml.set(name, xml);
          this.put(vm);
        } catch (err) {
          this.log.warn({ err, vm: name, host: this.host.name }, 'could not parse domain XML');
        }
      }
      for (const name of [...this.vms.keys()]) if (!seen.has(name)) this.drop(name);
      this.loadedAt = new Date();
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
      throw err;
    }
  }

  /**
   * Re-reads one domain (after an event or an action). A request that arrives while a read is
   * in flight schedules one more read: the in-flight one may have sampled the state too early.
   */
  refreshOne(name: string): Promise<void> {
    const entry = this.pendingRefresh.get(name);
    if (entry) {
      entry.again ??= entry.current.then(
        () => this.runRefresh(name),
        () => this.runRefresh(name),
      );
      return entry.again;
    }
    return this.runRefresh(name);
  }

  private runRefresh(name: string): Promise<void> {
    const entry: { current: Promise<void>; again?: Promise<void> } = { current: Promise.resolve() };
    entry.current = this.loadOne(name).finally(() => {
      if (this.pendingRefresh.get(name) === entry) this.pendingRefresh.delete(name);
    });
    this.pendingRefresh.set(name, entry);
    return entry.current;
  }

  private async loadOne(name: string) {
    const runner = await this.getRunner();
    const uri = this.host.libvirtUri;
    const [xml, stats, autostart, persistent, addrs] = await virshBatch(runner, uri, [
      ['dumpxml', name],
      ['domstats', '--raw', '--state', name],
      ['list', '--all', '--autostart', '--name'],
      ['list', '--all', '--persistent', '--name'],
      // Addresses from the libvirt network's DHCP leases; empty (and an error line) when not running.
      ['domifaddr', name, '--source', 'lease'],
    ]);
    if (!xml?.trim()) {
      this.drop(name);
      return;
    }
    const d = parseDomainXml(xml);
    this.xml.set(name, xml);
    this.put(
      toVmSummary(this.host, d, {
        state: stateFromNumber(parseDomstatsRaw(stats!).get(name)?.['state.state']),
        autostart: parseNameList(autostart!).includes(name),
        persistent: parseNameList(persistent!).includes(name),
        ips: parseDomifaddr(addrs ?? ''),
      }),
    );
  }

  /** Guests get their DHCP lease after booting, without any libvirt event: look again now and then. */
  refreshMissingAddresses() {
    for (const vm of this.vms.values()) {
      if (vm.state === 'running' && vm.nics.some((n) => n.type === 'network' && !n.ip)) void this.refreshOne(vm.name).catch(() => {});
    }
  }

  /** Applies what an event says at once (so browsers see it within a second), then re-reads details. */
  private onEvent(ev: VirshEvent) {
    if (ev.event === 'lifecycle' && ev.lifecycle) {
      if (ev.lifecycle.type === 'Undefined') {
        const vm = this.vms.get(ev.domain);
        // A transient domain that stops is gone; a persistent one that is undefined while running stays until it stops.
        if (vm && vm.state === 'shut off') this.drop(ev.domain);
        else void this.refreshOne(ev.domain).catch(() => {});
        return;
      }
      const state = stateAfterLifecycle(ev.lifecycle.type) as VmState | undefined;
      const vm = this.vms.get(ev.domain);
      if (vm && state && vm.state !== state) this.put({ ...vm, state, updatedAt: new Date().toISOString() });
      if (vm && ev.lifecycle.type === 'Stopped' && !vm.persistent) {
        this.drop(ev.domain);
        return;
      }
    }
    if (['lifecycle', 'reboot', 'device-added', 'device-removed', 'metadata-change', 'tray-change', 'balloon-change'].includes(ev.event)) {
      void this.refreshOne(ev.domain).catch((err) => this.log.warn({ err, vm: ev.domain }, 'refresh after event failed'));
    }
  }

  private startEvents(runner: CommandRunner) {
    if (this.events || this.closed || this.eventRetry) return;
    const stream = new VirshEventStream();
    runner
      .spawn(withCLocale(eventArgv(this.host.libvirtUri)))
      .then((ch) => {
        if (this.closed) return ch.kill('KILL');
        this.events = ch;
        this.eventFailures = 0;
        ch.on('data', (chunk: Buffer) => {
          for (const ev of stream.feed(chunk.toString('utf8'))) this.onEvent(ev);
        });
        ch.on('exit', () => {
          this.events = null;
          if (this.closed) return;
          // Events may have been missed while the stream was down: reload everything on return.
          this.loadedAt = null;
          this.scheduleEvents();
        });
      })
      .catch((err) => {
        this.log.warn({ err, host: this.host.name }, 'could not start the libvirt event stream');
        this.scheduleEvents();
      });
  }

  private scheduleEvents() {
    if (this.closed || this.eventRetry) return;
    const delay = Math.min(30_000, 1000 * 2 ** this.eventFailures++);
    this.eventRetry = setTimeout(() => {
      this.eventRetry = null;
      void this.refresh().catch(() => this.scheduleEvents());
    }, delay);
    this.eventRetry.unref();
  }

  private put(vm: VmSummary) {
    this.vms.set(vm.name, vm);
    this.listener.updated(vm);
  }

  private drop(name: string) {
    this.xml.delete(name);
    if (this.vms.delete(name)) this.listener.removed(this.host.id, name);
  }

  close() {
    this.closed = true;
    if (this.eventRetry) clearTimeout(this.eventRetry);
    this.events?.kill('KILL');
    this.events = null;
  }
}
