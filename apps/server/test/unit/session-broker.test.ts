import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/streams/client-message.js';
import { itemReplay, textReplay } from '../../src/streams/replay.js';
import { SessionBroker } from '../../src/streams/session-broker.js';
import type { SessionOptions, SessionViewer, StreamProtocol } from '../../src/streams/stream-protocol.js';
import { StreamSession } from '../../src/streams/stream-session.js';
import { UpstreamUnavailable, type TerminalSize, type UpstreamEvents } from '../../src/streams/upstream.js';

/**
 * The stream broker on its own: a scripted upstream stands in for the SSH channel or docker
 * stream (the routes over real ones are covered by the console, terminal and logs integration
 * tests). Each case is one rule the console, attach, exec and logs rely on.
 */
type Msg =
  | { type: 'output'; data: string }
  | { type: 'status'; state: string; message: string; readOnly: boolean; viewers: number }
  | { type: 'error'; message: string }
  | { type: 'exit'; code: number | null };

const protocol = (over: Partial<StreamProtocol<Msg, string, number | null>> = {}): StreamProtocol<Msg, string, number | null> => ({
  output: (data) => ({ type: 'output', data }),
  error: (message) => ({ type: 'error', message }),
  status: (s, v) => ({ type: 'status', state: s.phase, message: s.message, readOnly: v.readOnly, viewers: v.viewers }),
  announceViewers: true,
  readOnlyInput: 'Read-only',
  ended: (code) => ({ final: { type: 'exit', code }, code: 1000, reason: 'exited' }),
  ...over,
});

/** An upstream the test drives: it records what the session wrote and lets the test emit. */
function scriptedUpstream(opts: { fail?: Error[]; gate?: Promise<void> } = {}) {
  const fails = [...(opts.fail ?? [])];
  const u = {
    opens: 0,
    written: [] as string[],
    sizes: [] as TerminalSize[],
    closed: 0,
    paused: false,
    events: null as UpstreamEvents<string, number | null> | null,
    open: async (events: UpstreamEvents<string, number | null>, size: TerminalSize) => {
      u.opens++;
      u.sizes.push(size);
      const err = fails.shift();
      if (err) throw err;
      u.events = events;
      await opts.gate;
      return {
        write: (d: string) => void u.written.push(d),
        resize: (s: TerminalSize) => void u.sizes.push(s),
        close: () => void u.closed++,
        pause: () => void (u.paused = true),
        resume: () => void (u.paused = false),
      };
    },
  };
  return u;
}

function viewer(canWrite = true) {
  const v = {
    canWrite,
    messages: [] as Msg[],
    closedWith: null as null | { code: number; reason: string },
    backlog: 0,
    send: (m: Msg) => void v.messages.push(m),
    close: (code: number, reason: string) => void (v.closedWith = { code, reason }),
    text: () =>
      v.messages
        .filter((m): m is Extract<Msg, { type: 'output' }> => m.type === 'output')
        .map((m) => m.data)
        .join(''),
  };
  return v satisfies SessionViewer<Msg>;
}

const options = (
  up: ReturnType<typeof scriptedUpstream>,
  over: Partial<SessionOptions<Msg, string, number | null>> = {},
): SessionOptions<Msg, string, number | null> => ({
  protocol: protocol(),
  open: up.open,
  replay: textReplay(16),
  messages: { connecting: 'connecting', attached: 'attached', closed: 'closed' },
  ...over,
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('stream sessions', () => {
  it('fans output out to every viewer and replays the recent past to a late joiner', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up));
    await s.opened;
    const a = viewer();
    s.join(a);
    up.events!.output('hello ');
    up.events!.output('world, this is long');
    s.claim();
    const late = viewer(false);
    s.join(late);
    expect(a.text()).toBe('hello world, this is long');
    // The replay keeps the last 16 characters only.
    expect(late.text()).toBe('ld, this is long');
    // Everyone hears the new viewer count (the console shows it); the late joiner is read-only.
    expect(a.messages.at(-1)).toMatchObject({ type: 'status', viewers: 2, readOnly: false });
    expect(late.messages[0]).toMatchObject({ type: 'status', state: 'attached', viewers: 2, readOnly: true });
  });

  it('refuses input from read-only viewers and sizes from anyone but writers', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up));
    await s.opened;
    const w = viewer(true);
    const r = viewer(false);
    s.join(w);
    s.claim();
    s.join(r);
    s.input(r, 'rm -rf /\r');
    s.resize(r, 10, 10);
    s.input(w, 'ls\r');
    s.resize(w, 120, 40);
    expect(up.written).toEqual(['ls\r']);
    expect(up.sizes.at(-1)).toEqual({ cols: 120, rows: 40 });
    expect(r.messages.at(-1)).toEqual({ type: 'error', message: 'Read-only' });
    // A writer demoted mid-session is refused from then on.
    w.canWrite = false;
    s.input(w, 'whoami\r');
    expect(up.written).toEqual(['ls\r']);
  });

  it('keeps keys typed before the upstream takes input, filtered, and sends them once it does', async () => {
    let release!: () => void;
    const up = scriptedUpstream({ gate: new Promise<void>((r) => (release = r)) });
    const s = new StreamSession(options(up, { filterInput: (d) => d.replaceAll('\u001d', '') }));
    const w = viewer();
    s.join(w);
    s.input(w, 'ab\u001dc');
    s.input(w, '\u001d');
    await tick();
    expect(up.written).toEqual([]);
    release();
    await s.opened;
    expect(up.written).toEqual(['abc']);
  });

  it('re-attaches after the upstream ends or is unavailable, and stops retrying when told so', async () => {
    const up = scriptedUpstream({ fail: [new UpstreamUnavailable('the VM is not running', true)] });
    const s = new StreamSession(
      options(up, { reattachMs: 10, protocol: protocol({ ended: () => ({ reattach: 'detached' }) }), idleCloseMs: 1000 }),
    );
    const w = viewer();
    s.join(w);
    await s.opened;
    expect(up.opens).toBe(2);
    expect(w.messages.map((m) => (m.type === 'status' ? m.message : m.type))).toEqual(
      expect.arrayContaining(['the VM is not running', 'attached']),
    );
    up.events!.ended(null);
    expect(w.messages.at(-1)).toMatchObject({ type: 'status', state: 'waiting', message: 'detached' });
    await expect.poll(() => up.opens).toBe(3);
    expect(w.closedWith).toBeNull();
    s.close();
    expect(w.messages.at(-1)).toMatchObject({ type: 'status', state: 'closed', viewers: 0 });
  });

  it('ends for good without reattachMs: the final message, then every viewer is closed; a late claimer gets it too', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up, { protocol: protocol({ announceViewers: false }) }));
    await s.opened;
    const a = viewer();
    s.join(a);
    s.claim();
    up.events!.output('bye');
    up.events!.ended(3);
    expect(a.messages.at(-1)).toEqual({ type: 'exit', code: 3 });
    expect(a.closedWith).toEqual({ code: 1000, reason: 'exited' });
    expect(up.closed).toBe(1);
    // Someone who claimed before the end and joins after it still sees the whole story.
    const b = viewer();
    s.join(b);
    expect(b.text()).toBe('bye');
    expect(b.messages.at(-1)).toEqual({ type: 'exit', code: 3 });
    expect(b.closedWith).toEqual({ code: 1000, reason: 'exited' });
  });

  it('rejects `opened` when the first open fails and the session does not re-attach', async () => {
    const up = scriptedUpstream({ fail: [new Error('no such container')] });
    const s = new StreamSession(options(up));
    await expect(s.opened).rejects.toThrow('no such container');
    expect(s.isClosed).toBe(true);
  });

  it('closes once nobody watches or holds a claim (after idleCloseMs when set)', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up));
    await s.opened;
    s.release();
    expect(up.closed).toBe(1);

    const up2 = scriptedUpstream();
    const s2 = new StreamSession(options(up2, { idleCloseMs: 30 }));
    const v = viewer();
    s2.join(v);
    await s2.opened;
    s2.leave(v);
    expect(up2.closed).toBe(0);
    await expect.poll(() => up2.closed, { timeout: 1000 }).toBe(1);
  });

  it('pauses the upstream while a viewer lags and resumes when every viewer caught up', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up, { maxBacklog: 100 }));
    await s.opened;
    const fast = viewer();
    const slow = viewer();
    s.join(fast);
    s.claim();
    s.join(slow);
    slow.backlog = 500;
    up.events!.output('x');
    expect(up.paused).toBe(true);
    slow.backlog = 10;
    await expect.poll(() => up.paused, { timeout: 1000 }).toBe(false);
  });

  it('drops events of an upstream it gave up', async () => {
    const up = scriptedUpstream();
    const s = new StreamSession(options(up, { reattachMs: 10, protocol: protocol({ ended: () => ({ reattach: 'gone' }) }) }));
    const v = viewer();
    s.join(v);
    await s.opened;
    const old = up.events!;
    s.close();
    old.output('late');
    old.ended(0);
    expect(v.text()).toBe('');
  });
});

describe('the keyed broker', () => {
  it('shares one upstream per key and opens a fresh one once the session ended', async () => {
    const up = scriptedUpstream();
    const broker = new SessionBroker<Msg, string, number | null>();
    const a = broker.claim('k', () => options(up));
    const b = broker.claim('k', () => options(up));
    expect(a).toBe(b);
    await a.opened;
    expect(up.opens).toBe(1);
    const va = viewer();
    const vb = viewer();
    a.join(va);
    b.join(vb);
    up.events!.ended(0);
    expect(broker.size).toBe(0);
    const c = broker.claim('k', () => options(up));
    expect(c).not.toBe(a);
    await c.opened;
    expect(up.opens).toBe(2);
  });

  it('stops handing out a session whose replay can no longer serve a newcomer', async () => {
    const up = scriptedUpstream();
    const broker = new SessionBroker<Msg, string, number | null>();
    const make = () => options(up, { replay: itemReplay<string>(3, 8, (s) => s.length) });
    const s = broker.claim('logs', make);
    await s.opened;
    s.join(viewer());
    up.events!.output('aaaa');
    up.events!.output('bbbb');
    expect(broker.get('logs')).toBe(s);
    up.events!.output('cccc'); // 12 bytes > 8: the oldest line goes although a newcomer asking for 3 would want it
    expect(broker.get('logs')).toBeUndefined();
    expect(broker.claim('logs', make)).not.toBe(s);
  });
});

describe('replay buffers and frames', () => {
  it('keeps the last N items; only the byte cap makes the replay incomplete', () => {
    const r = itemReplay<string>(2, 100, (s) => s.length);
    for (const l of ['1', '2', '3']) r.push(l);
    expect(r.chunks()).toEqual(['2', '3']);
    expect(r.complete).toBe(true);
    const none = itemReplay<string>(0, 100, (s) => s.length);
    none.push('x');
    expect(none.chunks()).toEqual([]);
    expect(none.complete).toBe(true);
  });

  it('parses JSON frames and tells non-JSON apart', () => {
    expect(parseFrame(Buffer.from('{"type":"input","data":"a"}'))).toEqual({ value: { type: 'input', data: 'a' } });
    expect(parseFrame(Buffer.from('not json'))).toBeUndefined();
  });
});
