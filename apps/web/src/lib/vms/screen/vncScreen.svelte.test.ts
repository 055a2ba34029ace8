/**
 * The Screen tab's connection, with the ticket request, the WebSocket and noVNC faked: a fresh ticket
 * for every attempt, re-connects after a drop, none after the server's final answers, and nothing
 * left running after `stop()`. Timers are faked for the backoff.
 */
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

const fake = vi.hoisted(() => ({
  tickets: [] as { hostId: string; name: string }[],
  me: 0,
  answer: (n: number): Promise<unknown> => Promise.resolve({ ticket: `T${n}`, expiresAt: '', readOnly: false, command: 'virt-viewer …' }),
}));

vi.mock('$lib/api', async (importOriginal) => ({
  ...(await importOriginal<typeof import('$lib/api')>()),
  api: {
    POST: (_path: string, init: { params: { path: { hostId: string; name: string } } }) => {
      fake.tickets.push(init.params.path);
      return fake.answer(fake.tickets.length);
    },
    GET: () => {
      fake.me++;
      return Promise.resolve({});
    },
  },
}));

/** noVNC as far as the connection cares: it takes the channel's handlers and closes it on disconnect. */
class FakeRfb {
  static all: FakeRfb[] = [];
  viewOnly = false;
  scaleViewport = false;
  background = '';
  disconnected = false;
  listeners = new Map<string, () => void>();
  constructor(
    readonly target: HTMLElement,
    readonly channel: { onclose: unknown; close(): void },
  ) {
    FakeRfb.all.push(this);
  }
  addEventListener(type: string, fn: () => void) {
    this.listeners.set(type, fn);
  }
  disconnect() {
    this.disconnected = true;
    this.channel.close();
  }
  emit(type: string) {
    this.listeners.get(type)?.();
  }
}
vi.mock('@novnc/novnc', () => ({ default: FakeRfb }));

class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  binaryType = 'blob';
  protocol = 'mirador.vnc';
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  closedWith: number | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeWebSocket.all.push(this);
  }
  send() {}
  close(code: number) {
    this.closedWith = code;
  }
  serverClose(code: number, reason = '') {
    this.onclose?.({ code, reason });
  }
}

import { VNC_CLOSE } from '@mirador/contract';
import { VncScreen } from './vncScreen.svelte';

let cleanups: (() => void)[] = [];
const target = {} as HTMLElement;
const lastWs = () => FakeWebSocket.all[FakeWebSocket.all.length - 1]!;
const lastRfb = () => FakeRfb.all[FakeRfb.all.length - 1]!;

/** A screen hosted in an effect root, as a component hosts it, started and waited for its socket. */
async function started() {
  let screen!: VncScreen;
  cleanups.push(
    $effect.root(() => {
      screen = new VncScreen();
    }),
  );
  flushSync();
  screen.start(target, 'h1', 'vm 1');
  await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(1));
  return screen;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.all = [];
  FakeRfb.all = [];
  fake.tickets = [];
  fake.me = 0;
  fake.answer = (n) => Promise.resolve({ ticket: `T${n}`, expiresAt: '', readOnly: false, command: 'virt-viewer …' });
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.stubGlobal('location', { protocol: 'https:', host: 'mirador.test' });
});

afterEach(() => {
  for (const stop of cleanups) stop();
  cleanups = [];
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('VncScreen', () => {
  test('asks for a ticket, then opens the VM’s socket with it as a subprotocol and hands noVNC the channel', async () => {
    const screen = await started();
    expect(fake.tickets).toEqual([{ hostId: 'h1', name: 'vm 1' }]);
    expect(lastWs().url).toBe('wss://mirador.test/api/hosts/h1/vms/vm%201/vnc');
    expect(lastWs().protocols).toEqual(['mirador.vnc', 'ticket.T1']);
    expect(lastRfb().target).toBe(target);
    expect(screen.command).toBe('virt-viewer …');
    expect(screen.phase).toBe('connecting');

    lastWs().onmessage?.({
      data: JSON.stringify({ type: 'status', state: 'connected', message: 'Connected to the display', readOnly: true }),
    });
    expect(screen.message).toBe('Connected to the display');
    expect(screen.readOnly).toBe(true);
    expect(lastRfb().viewOnly).toBe(true);
    lastRfb().emit('connect');
    expect(screen.phase).toBe('connected');
  });

  test('a dropped socket re-connects after a backoff, with a new ticket', async () => {
    const screen = await started();
    lastWs().serverClose(VNC_CLOSE.unavailable, 'The VM has no VNC display yet');
    expect(screen.phase).toBe('retrying');
    expect(screen.message).toBe('The VM has no VNC display yet');
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(2));
    expect(lastWs().protocols).toEqual(['mirador.vnc', 'ticket.T2']);
    expect(fake.tickets).toHaveLength(2);
  });

  test.each([
    ['ticket refused', VNC_CLOSE.ticketRefused],
    ['role too low', 4403],
  ])('%s (close %i) ends it: no retry, no timer', async (_what, code) => {
    const screen = await started();
    lastWs().serverClose(code, 'no');
    expect(screen.phase).toBe('ended');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);

    screen.reconnect();
    await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(2));
    expect(lastWs().protocols).toEqual(['mirador.vnc', 'ticket.T2']);
  });

  test('session gone (4401) ends it and asks who we are (the login hand-over)', async () => {
    const screen = await started();
    lastWs().serverClose(4401);
    expect(screen.phase).toBe('ended');
    expect(fake.me).toBe(1);
  });

  test('a refused ticket request ends it; a failed one is retried', async () => {
    const { ApiError } = await import('$lib/api');
    fake.answer = () => Promise.reject(new ApiError({ statusCode: 403, error: 'Forbidden', message: 'Not allowed' }));
    const a = await startedWithoutSocket();
    await vi.waitFor(() => expect(a.phase).toBe('ended'));
    expect(a.message).toBe('Not allowed');
    a.stop();

    fake.answer = () => Promise.reject(new ApiError({ statusCode: 502, error: 'Bad Gateway', message: 'Host unreachable' }));
    const b = await startedWithoutSocket();
    await vi.waitFor(() => expect(b.phase).toBe('retrying'));
    expect(vi.getTimerCount()).toBe(1);
  });

  test('stop() disconnects noVNC, closes the socket, and leaves no timer; a late close does not revive it', async () => {
    const screen = await started();
    const ws = lastWs();
    screen.stop();
    expect(lastRfb().disconnected).toBe(true);
    expect(ws.closedWith).toBe(1000);
    expect(screen.phase).toBe('idle');
    ws.serverClose(1006);
    expect(screen.phase).toBe('idle');
    expect(vi.getTimerCount()).toBe(0);
  });

  test('leaving during the ticket request opens nothing', async () => {
    let release!: (v: unknown) => void;
    fake.answer = () => new Promise((resolve) => (release = resolve));
    const screen = await startedWithoutSocket();
    screen.stop();
    release({ ticket: 'T1', expiresAt: '', readOnly: false, command: '' });
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeWebSocket.all).toHaveLength(0);
  });
});

async function startedWithoutSocket() {
  let screen!: VncScreen;
  cleanups.push(
    $effect.root(() => {
      screen = new VncScreen();
    }),
  );
  flushSync();
  screen.start(target, 'h1', 'vm1');
  await vi.waitFor(() => expect(fake.tickets.length).toBeGreaterThan(0));
  return screen;
}
