import type { CommandRunner } from '@mirador/ssh';
import { parseDomifaddr, parseDomstatsRaw } from '@mirador/libvirt';
import { VirshBatchError, VirshError, isConnectFailure, isScriptToken, runVirsh, virshBatch } from './virsh.js';

/** What was read of one domain. */
export interface DomainReading {
  /** The definition; null when the domain is gone (or, with `problem`, when it could not be read). */
  xml: string | null;
  /** domstats' state.state, when the read asked for it and got it. */
  state?: number;
  /** MAC → address, from the libvirt networks' DHCP leases. */
  ips: Map<string, string>;
  /** What could not be read, in words for the VM's row; absent when everything was read. */
  problem?: string;
}

export interface ReadOptions {
  /** Also read each domain's state (`domstats --state`); a full load reads every state in one call instead. */
  state: boolean;
  /** Whether to ask for a domain's addresses (a stopped domain has none): default every domain. */
  addresses?: (name: string) => boolean;
  /** Commands run first in the first session (lists a read needs anyway): their output comes back as `leading`. */
  leading?: readonly (readonly string[])[];
  /** Domains per virsh session. */
  chunk?: number;
}

const DEFAULT_CHUNK = 50;
/** Sessions of one read that run at once (the host's runner allows 8 commands in total). */
const PARALLEL_CHUNKS = 4;
const ALONE_TIMEOUT_MS = 30_000;
const GONE = /failed to get domain|domain not found|no domain with matching/i;

/** The commands asked of one domain in a session, in this order. */
interface Plan {
  name: string;
  addresses: boolean;
}

/**
 * Reads domains with a few batched virsh sessions (up to four at once), and degrades per domain:
 * when virsh dies in the middle of a session (a crash, a command that kills it), what it finished
 * is kept, the domain it stopped in is read again on its own (and, if that fails too, comes back
 * with a `problem` naming what failed), and the domains after it are read in a new session. A name
 * that cannot go into a command script is read on its own with argv. Only a failure that concerns
 * the whole host (SSH, libvirt unreachable, a timeout) rejects.
 */
export async function readDomains(
  runner: CommandRunner,
  uri: string,
  names: readonly string[],
  opts: ReadOptions,
): Promise<{ leading: string[]; domains: Map<string, DomainReading> }> {
  const commandsOf = (p: Plan): string[][] => [
    ['dumpxml', p.name],
    ...(opts.state ? [['domstats', '--raw', '--state', p.name]] : []),
    ...(p.addresses ? [['domifaddr', p.name, '--source', 'lease']] : []),
  ];
  const domains = new Map<string, DomainReading>();
  const plans = names.map((name) => ({ name, addresses: opts.addresses?.(name) ?? true }));
  // A name starting with "-" would be an option inside a script; names with other characters cannot go in one.
  const scripted = plans.filter((p) => isScriptToken(p.name) && !p.name.startsWith('-'));
  const alone = plans.filter((p) => !(isScriptToken(p.name) && !p.name.startsWith('-')));

  /** Takes the answers of whole domains from `parts`; returns how many domains were complete. */
  const take = (chunk: readonly Plan[], parts: readonly string[]): number => {
    let at = 0;
    let done = 0;
    for (const p of chunk) {
      const width = commandsOf(p).length;
      if (at + width > parts.length) break;
      const stats = opts.state ? parseDomstatsRaw(parts[at + 1]!).get(p.name) : undefined;
      const xml = parts[at]!;
      domains.set(p.name, {
        xml: xml.trim() ? xml : null,
        ...(typeof stats?.['state.state'] === 'number' ? { state: stats['state.state'] } : {}),
        ips: p.addresses ? parseDomifaddr(parts[at + width - 1]!) : new Map(),
      });
      at += width;
      done++;
    }
    return done;
  };

  const readChunk = async (chunk: readonly Plan[], leading: readonly (readonly string[])[]): Promise<string[]> => {
    let parts: string[];
    try {
      parts = await virshBatch(runner, uri, [...leading, ...chunk.flatMap(commandsOf)]);
    } catch (err) {
      // Nothing of the session worked, or the host itself failed: no single domain is to blame.
      if (!(err instanceof VirshBatchError) || isConnectFailure(err.stderr) || err.completed.length < leading.length) throw err;
      const done = take(chunk, err.completed.slice(leading.length));
      const stuck = chunk[done];
      if (stuck) domains.set(stuck.name, await readAlone(runner, uri, stuck.name, opts.state));
      const rest = chunk.slice(done + 1);
      if (rest.length) await readChunk(rest, []);
      return err.completed.slice(0, leading.length);
    }
    take(chunk, parts.slice(leading.length));
    return parts.slice(0, leading.length);
  };

  const size = opts.chunk ?? DEFAULT_CHUNK;
  const chunks: Plan[][] = [];
  for (let i = 0; i < scripted.length; i += size) chunks.push(scripted.slice(i, i + size));
  // The first session also runs the leading commands (even for no domain at all).
  const firstChunk = chunks.shift() ?? [];
  const worker = async () => {
    for (let c = chunks.shift(); c; c = chunks.shift()) await readChunk(c, []);
  };
  const [leading] = await Promise.all([
    readChunk(firstChunk, opts.leading ?? []).then(async (out) => {
      await worker();
      return out;
    }),
    ...Array.from({ length: Math.min(PARALLEL_CHUNKS - 1, chunks.length) }, worker),
    ...alone.map(async (p) => domains.set(p.name, await readAlone(runner, uri, p.name, opts.state))),
  ]);
  return { leading, domains };
}

/** One domain with argv (any name is safe there), each command on its own so one failing does not hide the others. */
async function readAlone(runner: CommandRunner, uri: string, name: string, state: boolean): Promise<DomainReading> {
  const virsh = (...args: string[]) => runVirsh(runner, ['virsh', '-c', uri, ...args], { timeoutMs: ALONE_TIMEOUT_MS });
  const [xml, stats, addrs] = await Promise.allSettled([
    virsh('dumpxml', '--domain', name),
    state ? virsh('domstats', '--raw', '--state', '--', name) : Promise.resolve(''),
    virsh('domifaddr', '--domain', name, '--source', 'lease'),
  ]);
  // Not about this domain: the host (SSH) or libvirt failed; the whole read fails with it.
  for (const r of [xml, stats, addrs]) if (r.status === 'rejected' && !domainLevel(r.reason)) throw r.reason;
  const problems: string[] = [];
  const reading: DomainReading = { xml: null, ips: new Map() };
  if (xml.status === 'fulfilled') reading.xml = xml.value.trim() ? xml.value : null;
  else if (GONE.test(messageOf(xml.reason))) return reading;
  else problems.push(`reading its definition (virsh dumpxml) failed: ${messageOf(xml.reason)}`);
  if (stats.status === 'fulfilled') {
    const s = parseDomstatsRaw(stats.value).get(name)?.['state.state'];
    if (typeof s === 'number') reading.state = s;
  } else if (!GONE.test(messageOf(stats.reason))) problems.push(`reading its state (virsh domstats) failed: ${messageOf(stats.reason)}`);
  if (addrs.status === 'fulfilled') reading.ips = parseDomifaddr(addrs.value);
  // A stopped domain has no addresses and virsh says so with an error: only a virsh that died without a word is a problem.
  else if (hardFailure(addrs.reason)) problems.push(`reading its addresses (virsh domifaddr) failed: ${messageOf(addrs.reason)}`);
  if (problems.length) reading.problem = capitalise(problems.join('; '));
  return reading;
}

/** A virsh that answered about the domain (any VirshError); anything else (SSH, timeout) concerns the host. */
function domainLevel(err: unknown): boolean {
  return err instanceof VirshError && !isConnectFailure(err.stderr);
}

/** virsh ended without libvirt's usual "error: …" line: it crashed or was killed. */
function hardFailure(err: unknown): boolean {
  return err instanceof VirshError && !/error:/i.test(err.stderr);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
