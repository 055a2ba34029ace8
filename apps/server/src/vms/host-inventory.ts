import type { VmState, VmSummary } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
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
import { spawnVirsh, virshBatch } from './virsh.js';
import { stateFromNumber, toVmSummary } from './vm.dto.js';
import { usableLibvirtUri } from '../hosts/libvirt-endpoint.js';
import { HttpError } from '../lib/http-errors.js';
import { LiveInventory, type EventSink, type Follower, type Reread } from '../inventory/live-inventory.js';

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
/** Events that can change what a domain's row shows. */
const REREAD_EVENTS = new Set([
  'lifecycle',
  'reboot',
  'device-added',
  'device-removed',
  'metadata-change',
  'tray-change',
  'balloon-change',
]);

/**
 * The warm, in-memory picture of one host's domains. Loaded with two batched virsh sessions,
 * then kept current by `virsh event --all --loop` (the shared lifecycle of LiveInventory): lists
 * never run virsh per page load.
 */
export class HostInventory {
  readonly vms = new Map<string, VmSummary>();
  readonly xml = new Map<string, string>();
  /**
   * When a caller last asked for a load (the list does not wait again for a host that failed since;
   * retries in the background do not count, so a host the list gave up on is waited for again later).
   */
  lastAttemptAt = 0;
  private readonly live: LiveInventory<VirshEvent>;

  constructor(
    public host: InventoryHost,
    private readonly getRunner: () => Promise<CommandRunner>,
    private readonly listener: InventoryListener,
    private readonly log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void },
  ) {
    this.live = new LiveInventory<VirshEvent>(
      {
        follow: (sink) => this.follow(sink),
        loadAll: () => this.load(),
        loadItem: (name) => this.loadOne(name),
        interpret: (ev) => this.interpret(ev),
        describeFailure: (err) => (err instanceof Error ? err.message : String(err)),
        // A stored URI Mirador did not build stays refused until an admin picks the endpoint again.
        isPermanent: (err) => err instanceof HttpError && err.extra.code === 'libvirt_endpoint_invalid',
      },
      { log, logContext: () => ({ host: this.host.name, source: 'libvirt' }) },
    );
  }

  /** When everything was last read, while the event stream that followed it is still open. */
  get loadedAt(): Date | null {
    const s = this.live.status;
    return s.state === 'live' ? s.loadedAt : null;
  }

  /** Why the last attempt to load failed; null once one succeeds (a dropped stream alone is no error). */
  get error(): string | null {
    return this.live.lastError;
  }

  /** Loads everything once (concurrent callers share the load); rejects with why it could not. */
  ensureLoaded(): Promise<void> {
    if (!this.loadedAt) this.lastAttemptAt = Date.now();
    return this.live.ensureLive();
  }

  /** Re-reads one domain now (after an action), so the answer already has its new state. */
  refreshOne(name: string): Promise<void> {
    return this.live.refreshItem(name);
  }

  /** Guests get their DHCP lease after booting, without any libvirt event: look again now and then. */
  refreshMissingAddresses() {
    for (const vm of this.vms.values()) {
      if (vm.state === 'running' && vm.nics.some((n) => n.type === 'network' && !n.ip)) void this.refreshOne(vm.name).catch(() => {});
    }
  }

  /** Ends the event process and any pending re-read. */
  close() {
    this.live.stop();
  }

  private async follow(sink: EventSink<VirshEvent>): Promise<Follower> {
    // Checked before connecting: a stored URI Mirador did not build makes this host an error, nothing runs.
    const uri = usableLibvirtUri(this.host.libvirtUri);
    const runner = await this.getRunner();
    // On a terminal, so that closing the channel hangs up on virsh. A signal alone is not enough:
    // sshd refuses signal requests in some setups (root logins without privilege separation log
    // "session signalling requires privilege separation"), and an unsignalled `virsh event` on a
    // quiet host would run on until it next writes. Terminal noise (\r, stderr lines) is ignored by the parser.
    const channel = await spawnVirsh(runner, withCLocale(eventArgv(uri)), { pty: { cols: 1000, rows: 24, term: 'dumb' } });
    const parser = new VirshEventStream();
    channel.on('data', (chunk: Buffer) => {
      for (const ev of parser.feed(chunk.toString('utf8'))) sink.event(ev);
    });
    channel.on('exit', (code: number | null) => sink.lost(`The libvirt event stream ended (exit code ${code ?? 'none'})`));
    return { stop: () => channel.kill('KILL') };
  }

  private async load() {
    const uri = usableLibvirtUri(this.host.libvirtUri);
    const runner = await this.getRunner();
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
  }

  private async loadOne(name: string) {
    const runner = await this.getRunner();
    const uri = usableLibvirtUri(this.host.libvirtUri);
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

  /** Applies what an event says at once (so browsers see it within a second), then names the domain to re-read. */
  private interpret(ev: VirshEvent): Reread[] {
    if (ev.event === 'lifecycle' && ev.lifecycle) {
      const vm = this.vms.get(ev.domain);
      if (ev.lifecycle.type === 'Undefined') {
        // A transient domain that stops is gone; a persistent one that is undefined while running stays until it stops.
        if (vm && vm.state === 'shut off') {
          this.drop(ev.domain);
          return [];
        }
        return [ev.domain];
      }
      const state = stateAfterLifecycle(ev.lifecycle.type) as VmState | undefined;
      if (vm && state && vm.state !== state) this.put({ ...vm, state, updatedAt: new Date().toISOString() });
      if (vm && ev.lifecycle.type === 'Stopped' && !vm.persistent) {
        this.drop(ev.domain);
        return [];
      }
    }
    return REREAD_EVENTS.has(ev.event) ? [ev.domain] : [];
  }

  // A read that finishes after the host was removed must not bring its VMs back to viewers.
  private put(vm: VmSummary) {
    if (this.live.stopped) return;
    this.vms.set(vm.name, vm);
    this.listener.updated(vm);
  }

  private drop(name: string) {
    if (this.live.stopped) return;
    this.xml.delete(name);
    if (this.vms.delete(name)) this.listener.removed(this.host.id, name);
  }
}
