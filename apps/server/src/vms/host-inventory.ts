import type { VmState, VmSummary } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import {
  VirshEventStream,
  eventArgv,
  parseDomainXml,
  parseDomstatsRaw,
  parseNameList,
  stateAfterLifecycle,
  withCLocale,
  type VirshEvent,
} from '@mirador/libvirt';
import { spawnVirsh, virshBatch } from './virsh.js';
import { readDomains, type DomainReading } from './domain-reader.js';
import { problemRow, stateFromNumber, toVmSummary } from './vm.dto.js';
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

/**
 * Re-reads after events are gathered for this long and read as one batch: a burst of hundreds of
 * definitions costs a few virsh sessions, not one per domain. Each event's state change is applied
 * at once anyway (interpret), so viewers do not wait for this.
 */
const EVENT_WINDOW_MS = 200;
/**
 * A batch naming more domains than this, and more than the list holds, reads the whole host
 * instead: hardly more work, and it also notices domains whose events were missed.
 */
const LOAD_ALL_ABOVE = 500;
/** Domains per session when everything is read (item batches use smaller ones, read in parallel). */
const FULL_LOAD_CHUNK = 150;
/** domstats' state.state numbers of domains that can hold DHCP leases (running, blocked, paused). */
const HAS_ADDRESSES = new Set([1, 2, 3]);
const LISTS = [
  ['list', '--all', '--autostart', '--name'],
  ['list', '--all', '--persistent', '--name'],
] as const;
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
 * The warm, in-memory picture of one host's domains. Loaded with a few batched virsh sessions,
 * then kept current by `virsh event --all --loop` (the shared lifecycle of LiveInventory): lists
 * never run virsh per page load, and the domains events name are re-read in batches. A domain that
 * cannot be read is listed with its `problem` rather than failing the host (see domain-reader.ts).
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
  /** The run state the last event gave a domain not on the list yet (so a just-defined one is not asked for addresses). */
  private readonly hints = new Map<string, VmState>();

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
        loadItem: (name) => this.loadSome([name]),
        loadItems: (names) => (names.length > LOAD_ALL_ABOVE && names.length > this.vms.size ? this.load() : this.loadSome(names)),
        interpret: (ev) => this.interpret(ev),
        debounceMs: () => EVENT_WINDOW_MS,
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

  /** The host answers again (its connection is back online): try now rather than at the next backoff step. */
  retryNow() {
    this.live.retryNow();
  }

  /** Re-reads one domain now (after an action), so the answer already has its new state. */
  refreshOne(name: string): Promise<void> {
    return this.live.refreshItem(name);
  }

  /** Guests get their DHCP lease after booting, without any libvirt event: look again now and then. */
  refreshMissingAddresses() {
    const waiting = [...this.vms.values()].filter((vm) => vm.state === 'running' && vm.nics.some((n) => n.type === 'network' && !n.ip));
    // Read together with (and like) event re-reads: one session for all of them.
    this.live.readSoon(waiting.map((vm) => vm.name));
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
      ...LISTS,
      ['domstats', '--raw', '--state'],
    ]);
    const names = parseNameList(all!);
    const lists = { auto: new Set(parseNameList(autostart!)), pers: new Set(parseNameList(persistent!)) };
    const states = parseDomstatsRaw(stats!);
    // Full sessions: every virsh session of a test-driver host parses its whole inventory file again.
    const { domains } = await readDomains(runner, uri, names, {
      state: false,
      chunk: FULL_LOAD_CHUNK,
      addresses: (name) => HAS_ADDRESSES.has(Number(states.get(name)?.['state.state'])),
    });
    const seen = new Set<string>();
    for (const name of names) {
      const r = domains.get(name);
      const state = states.get(name)?.['state.state'];
      if (r && this.apply(name, r, { ...lists, state: typeof state === 'number' ? state : undefined })) seen.add(name);
    }
    for (const name of [...this.vms.keys()]) if (!seen.has(name)) this.drop(name);
  }

  /** Reads the named domains again: sessions of 50 domains, four at once, the lists they need in the first. */
  private async loadSome(names: readonly string[]) {
    const uri = usableLibvirtUri(this.host.libvirtUri);
    const runner = await this.getRunner();
    const { leading, domains } = await readDomains(runner, uri, names, {
      state: true,
      leading: LISTS,
      addresses: (name) => (this.vms.get(name)?.state ?? this.hints.get(name)) !== 'shut off',
    });
    for (const name of names) this.hints.delete(name);
    const lists = { auto: new Set(parseNameList(leading[0] ?? '')), pers: new Set(parseNameList(leading[1] ?? '')) };
    for (const name of names) {
      const r = domains.get(name);
      if (!r || !this.apply(name, r, lists)) this.drop(name);
    }
  }

  /** Puts what was read of one domain on the list; false when the domain is gone. */
  private apply(name: string, r: DomainReading, ctx: { auto: Set<string>; pers: Set<string>; state?: number }): boolean {
    const stateNumber = r.state ?? ctx.state;
    const known = this.vms.get(name);
    const state = stateNumber === undefined ? undefined : stateFromNumber(stateNumber);
    if (r.xml === null) {
      if (!r.problem) return false;
      this.log.warn({ vm: name, host: this.host.name, problem: r.problem }, 'could not read a domain');
      this.put(problemRow(this.host, name, r.problem, known, state));
      return true;
    }
    try {
      const vm = toVmSummary(this.host, parseDomainXml(r.xml), {
        state: stateFromNumber(stateNumber),
        autostart: ctx.auto.has(name),
        persistent: ctx.pers.has(name),
        ips: r.ips,
      });
      this.xml.set(name, r.xml);
      this.put(r.problem ? { ...vm, problem: r.problem } : vm);
    } catch (err) {
      this.log.warn({ err, vm: name, host: this.host.name }, 'could not parse domain XML');
      const why = err instanceof Error ? err.message : String(err);
      this.put(problemRow(this.host, name, `Its definition could not be read: ${why}`, known, state));
    }
    return true;
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
      // A domain that is only defined is not running; one that started says so itself.
      if (!vm) this.hints.set(ev.domain, state ?? (ev.lifecycle.type === 'Defined' ? 'shut off' : 'unknown'));
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
    this.hints.delete(name);
    this.xml.delete(name);
    if (this.vms.delete(name)) this.listener.removed(this.host.id, name);
  }
}
