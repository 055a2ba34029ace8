/**
 * Lines from `virsh event --all --loop --timestamp`. The format comes from virsh-domain-event.c:
 *   "<YYYY-MM-DD HH:MM:SS.mmm+0000>: event '<type>' for domain '<name>'[: <detail>]"
 * disk-change/tray-change insert " disk <alias>" before the colon, and a few events (tunable,
 * job-completed, graphics, memory-failure, memory-device-size-change) continue on following lines,
 * which is why a stateful splitter exists next to the single-line parser.
 * virsh translates these messages: run it with LC_ALL=C (see withCLocale) or nothing will match.
 */

export type LifecycleEvent =
  'Defined' | 'Undefined' | 'Started' | 'Suspended' | 'Resumed' | 'Stopped' | 'Shutdown' | 'PMSuspended' | 'Crashed';

export interface VirshEvent {
  /** ISO 8601 UTC time from --timestamp (virsh always prints +0000). */
  at?: string;
  /** 'lifecycle' | 'reboot' | 'device-removed' | 'balloon-change' | … */
  event: string;
  domain: string;
  /** Text after "domain '…': ", '' when the event has none (reboot, control-error, pm-*). */
  detail: string;
  /** Device alias for disk-change / tray-change. */
  disk?: string;
  /** Only for 'lifecycle': "Started Booted" → { type: 'Started', reason: 'Booted' }. */
  lifecycle?: { type: LifecycleEvent | string; reason: string };
  /** Continuation lines of multi-line events, tab/indent stripped. */
  extra?: string[];
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)([+-]\d{4})?: /;
// Lazy domain match stops at the first "'" followed by ":", " disk " or end of line, which is
// exactly where virsh's format string puts it.
const EVENT = /^event '([a-z0-9-]+)' for domain '(.*?)'(?: disk (\S+))?(?::(?: (.*))?)?$/;

function toIso(date: string, time: string, offset: string | undefined): string | undefined {
  const off = offset ?? '+0000';
  const iso = `${date}T${time}${off.slice(0, 3)}:${off.slice(3)}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Parses one header line; returns null for anything else (continuations, "event loop interrupted", noise). */
export function parseEventLine(line: string): VirshEvent | null {
  let rest = line.replace(/\r$/, '');
  let at: string | undefined;
  const ts = TIMESTAMP.exec(rest);
  if (ts) {
    at = toIso(ts[1]!, ts[2]!, ts[3]); // date and time groups are required, the offset is optional
    rest = rest.slice(ts[0].length);
  }
  const m = EVENT.exec(rest);
  if (!m) return null;
  const [, event, domain, disk, detailRaw] = m;
  const detail = (detailRaw ?? '').trim();
  // event and domain are required groups (disk and detail are optional ones).
  const parsed: VirshEvent = { event: event!, domain: domain!, detail };
  if (at !== undefined) parsed.at = at;
  if (disk !== undefined) parsed.disk = disk;
  if (event === 'lifecycle' && detail) {
    const space = detail.indexOf(' ');
    parsed.lifecycle = space === -1 ? { type: detail, reason: '' } : { type: detail.slice(0, space), reason: detail.slice(space + 1) };
  }
  return parsed;
}

// What `event --loop` prints when it ends, not part of any event.
const VIRSH_LOOP_NOISE = /^(?:event loop (?:interrupted|timed out)|events received: \d+)\s*$/;

/** Event types whose text continues on following lines (see virsh-domain-event.c). */
const MULTI_LINE_EVENTS = new Set(['tunable', 'job-completed', 'graphics', 'memory-failure', 'memory-device-size-change']);

/**
 * Turns a live stream of event output into events. Single-line events are returned by the `feed`
 * call that completes their line, so a UI can react at once; the few multi-line types are held
 * until the next event header or `flush()` (call it when the stream ends or after a short quiet
 * period: virsh writes each event in one go, so its continuation lines arrive together).
 */
export class VirshEventStream {
  private pending: VirshEvent | null = null;
  private partial = '';

  feed(chunk: string): VirshEvent[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const done: VirshEvent[] = [];
    for (const line of lines) {
      const ev = parseEventLine(line);
      if (ev) {
        if (this.pending) done.push(this.pending);
        this.pending = null;
        if (MULTI_LINE_EVENTS.has(ev.event)) this.pending = ev;
        else done.push(ev);
      } else if (this.pending && line.trim() !== '' && !VIRSH_LOOP_NOISE.test(line)) {
        (this.pending.extra ??= []).push(line.trim());
      }
    }
    return done;
  }

  flush(): VirshEvent[] {
    const out = this.partial === '' ? [] : this.feed('\n');
    if (this.pending) out.push(this.pending);
    this.pending = null;
    return out;
  }
}

export function parseEventLines(text: string): VirshEvent[] {
  const stream = new VirshEventStream();
  return [...stream.feed(text), ...stream.flush()];
}

export type DomainRunState = 'running' | 'paused' | 'shut off' | 'crashed' | 'pmsuspended' | 'in shutdown';

/**
 * What a lifecycle event says about the domain's state, if anything. Defined/Undefined change the
 * inventory, not the run state. "Shutdown Finished" means the guest powered off but QEMU may not
 * have exited yet: a "Stopped" event follows.
 */
export function stateAfterLifecycle(type: string): DomainRunState | undefined {
  switch (type) {
    case 'Started':
    case 'Resumed':
      return 'running';
    case 'Suspended':
      return 'paused';
    case 'Stopped':
      return 'shut off';
    case 'Shutdown':
      return 'in shutdown';
    case 'Crashed':
      return 'crashed';
    case 'PMSuspended':
      return 'pmsuspended';
    default:
      return undefined;
  }
}
