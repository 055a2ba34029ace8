/**
 * The VNC channel between the real socket and noVNC, against a fake WebSocket the test drives: binary
 * frames reach noVNC, the server's JSON text frames reach Mirador only, closes and errors reach both.
 * noVNC's own member check (websock.js `attach()`) is repeated here, so a renamed member fails the test.
 */
import type { VncServerMessage } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import { VncChannel } from './vncChannel';

class FakeWebSocket {
  binaryType = 'blob';
  protocol = 'mirador.vnc';
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: unknown[] = [];
  closedWith: [number, string] | null = null;
  send(data: unknown) {
    this.sent.push(data);
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
  }
}

function setup() {
  const ws = new FakeWebSocket();
  const server: VncServerMessage[] = [];
  const closed: [number, string][] = [];
  const channel = new VncChannel(ws as unknown as WebSocket, {
    onserver: (m) => server.push(m),
    onclosed: (code, reason) => closed.push([code, reason]),
  });
  // What noVNC does in attach().
  const toNoVnc: ArrayBuffer[] = [];
  const events: string[] = [];
  channel.binaryType = 'arraybuffer';
  channel.onmessage = (ev) => toNoVnc.push(ev.data);
  channel.onopen = () => events.push('open');
  channel.onclose = (ev) => events.push(`close ${ev.code}`);
  channel.onerror = () => events.push('error');
  return { ws, channel, server, closed, toNoVnc, events };
}

describe('VncChannel', () => {
  test('has every member noVNC checks for (own or on its class)', () => {
    const { channel } = setup();
    const members = [...Object.keys(channel), ...Object.getOwnPropertyNames(Object.getPrototypeOf(channel))];
    for (const prop of ['send', 'close', 'binaryType', 'onerror', 'onmessage', 'onopen', 'protocol', 'readyState']) {
      expect(members).toContain(prop);
    }
  });

  test('reads binary frames as ArrayBuffers and keeps it so', () => {
    const { ws, channel } = setup();
    expect(ws.binaryType).toBe('arraybuffer');
    channel.binaryType = 'blob';
    expect(channel.binaryType).toBe('arraybuffer');
    expect(ws.binaryType).toBe('arraybuffer');
  });

  test('binary frames go to noVNC, text frames to the status and never to noVNC', () => {
    const { ws, server, toNoVnc } = setup();
    const rfb = new Uint8Array([0x52, 0x46, 0x42]).buffer;
    ws.onmessage?.({ data: JSON.stringify({ type: 'status', state: 'connecting', message: 'Opening the tunnel', readOnly: true }) });
    ws.onmessage?.({ data: rfb });
    ws.onmessage?.({ data: JSON.stringify({ type: 'error', message: 'VNC handshake failed' }) });
    ws.onmessage?.({ data: 'not json' });
    expect(toNoVnc).toEqual([rfb]);
    expect(server).toEqual([
      { type: 'status', state: 'connecting', message: 'Opening the tunnel', readOnly: true },
      { type: 'error', message: 'VNC handshake failed' },
    ]);
  });

  test('open, error and close reach noVNC; the close reaches Mirador after noVNC with code and reason', () => {
    const { ws, closed, events } = setup();
    ws.onopen?.(new Event('open'));
    ws.onerror?.(new Event('error'));
    ws.onclose?.({ code: 1008, reason: 'The VM is not running' });
    expect(events).toEqual(['open', 'error', 'close 1008']);
    expect(closed).toEqual([[1008, 'The VM is not running']]);
  });

  test('sends what noVNC sends, reports the socket state, and closes it normally', () => {
    const { ws, channel } = setup();
    const bytes = new Uint8Array([1, 2, 3]);
    channel.send(bytes);
    expect(ws.sent).toEqual([bytes]);
    expect(channel.protocol).toBe('mirador.vnc');
    expect(channel.readyState).toBe(0);
    ws.readyState = 1;
    expect(channel.readyState).toBe(1);
    channel.close();
    expect(ws.closedWith).toEqual([1000, 'bye']);
  });
});
