/**
 * StreamSocket against a fake WebSocket the test drives by hand: when it opens, what the server says,
 * how it closes. Timers are faked for the backoff.
 */
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { StreamSocket, type StreamSocketOptions } from './streamSocket.svelte';

class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  sent: string[] = [];
  closedWith: number | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code: number) {
    this.closedWith = code;
  }
  // What the server does:
  open() {
    this.onopen?.();
  }
  receive(data: unknown) {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  serverClose(code: number) {
    this.onclose?.({ code });
  }
}

type In = { type: 'output'; data: string } | { type: 'error'; message: string };
type Out = { type: 'input'; data: string };

let cleanups: (() => void)[] = [];

/** A stream hosted in an effect root, as a component hosts it. */
function host(opts: Partial<StreamSocketOptions<In>> = {}) {
  const received: In[] = [];
  let stream!: StreamSocket<In, Out>;
  const stop = $effect.root(() => {
    stream = new StreamSocket<In, Out>({ onmessage: (m) => received.push(m), onUnauthorized: () => {}, ...opts });
  });
  cleanups.push(stop);
  flushSync();
  return { stream, received, stop };
}

const last = () => FakeWebSocket.all[FakeWebSocket.all.length - 1]!;

beforeEach(() => {
  FakeWebSocket.all = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.stubGlobal('location', { protocol: 'https:', host: 'mirador.test' });
});

afterEach(() => {
  for (const stop of cleanups) stop();
  cleanups = [];
  vi.unstubAllGlobals();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('StreamSocket', () => {
  test('connects to the same-origin ws URL of a path, keeps early messages until open, parses typed messages', () => {
    const { stream, received } = host();
    expect(stream.state).toBe('idle');
    stream.connect('/api/hosts/h/vms/v/console?x=1');
    const ws = last();
    expect(ws.url).toBe('wss://mirador.test/api/hosts/h/vms/v/console?x=1');
    expect(stream.state).toBe('connecting');

    stream.send({ type: 'input', data: 'early' });
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(stream.state).toBe('open');
    expect(ws.sent).toEqual([JSON.stringify({ type: 'input', data: 'early' })]);
    stream.send({ type: 'input', data: 'later' });
    expect(ws.sent).toHaveLength(2);

    ws.receive({ type: 'output', data: 'hello' });
    ws.receive('not json');
    ws.receive({ type: 'error', message: 'oops' });
    expect(received).toEqual([
      { type: 'output', data: 'hello' },
      { type: 'error', message: 'oops' },
    ]);
  });

  test('without reconnect, a server close leaves it closed and reports the code', () => {
    const onclose = vi.fn();
    const { stream } = host({ onclose });
    stream.connect('/p');
    last().open();
    last().serverClose(1000);
    expect(stream.state).toBe('closed');
    expect(onclose).toHaveBeenCalledWith(1000);
    // Nothing to send to any more.
    stream.send({ type: 'input', data: 'x' });
    expect(last().sent).toEqual([]);
    expect(FakeWebSocket.all).toHaveLength(1);
  });

  test('4401 ends it and hands over to the unauthorized handler; 4403 ends it quietly; neither retries', () => {
    vi.useFakeTimers();
    const onUnauthorized = vi.fn();
    const { stream } = host({ onUnauthorized, reconnect: { minMs: 500, maxMs: 15_000 } });
    stream.connect('/p');
    last().open();
    last().serverClose(4401);
    expect(stream.state).toBe('ended');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);

    stream.connect('/p');
    last().serverClose(4403);
    expect(stream.state).toBe('ended');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(2);
  });

  test('re-connects with capped, doubling backoff, starting over once a connection delivered something', () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the full wait
    const { stream } = host({ reconnect: { minMs: 500, maxMs: 2000 } });
    stream.connect('/p');
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      last().serverClose(1006);
      expect(stream.state).toBe('retrying');
      waits.push(stream.retryAt! - Date.now());
      vi.advanceTimersByTime(waits[i]! - 1);
      expect(FakeWebSocket.all).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      expect(FakeWebSocket.all).toHaveLength(i + 2);
      expect(stream.state).toBe('connecting');
    }
    expect(waits).toEqual([500, 1000, 2000, 2000]);

    last().open();
    last().receive({ type: 'output', data: 'x' });
    last().serverClose(1006);
    expect(stream.retryAt! - Date.now()).toBe(500);

    // "Reconnect now": at once, and the pending retry is dropped.
    stream.reconnect();
    expect(FakeWebSocket.all).toHaveLength(6);
    expect(stream.retryAt).toBe(null);
    vi.advanceTimersByTime(10_000);
    expect(FakeWebSocket.all).toHaveLength(6);
  });

  test('connect() replaces the socket; the old one is closed and no longer heard', () => {
    const { stream, received } = host();
    stream.connect('/a');
    const a = last();
    stream.connect('/b');
    expect(a.closedWith).toBe(1000);
    a.open();
    a.receive({ type: 'output', data: 'stale' });
    a.serverClose(1000);
    expect(received).toEqual([]);
    expect(stream.state).toBe('connecting');
  });

  test('closes its socket and cancels a pending retry when its owner goes away', () => {
    vi.useFakeTimers();
    const first = host({ reconnect: { minMs: 500, maxMs: 15_000 } });
    first.stream.connect('/p');
    last().serverClose(1006);
    first.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);

    const second = host();
    const close = second.stream.connect('/q');
    const ws = last();
    ws.open();
    close();
    expect(ws.closedWith).toBe(1000);
    expect(second.stream.state).toBe('closed');

    const third = host();
    third.stream.connect('/r');
    const ws3 = last();
    third.stop();
    expect(ws3.closedWith).toBe(1000);
  });
});
