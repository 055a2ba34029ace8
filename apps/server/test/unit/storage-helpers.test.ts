import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ProcessChannel } from '@mirador/ssh';
import { channelReadable } from '../../src/storage/channel-stream.js';
import { forbiddenPoolPath } from '../../src/storage/pool-paths.js';

/** Just enough of a ProcessChannel to watch flow control. */
class FakeChannel extends EventEmitter {
  readonly pty = false;
  exited = false;
  paused = 0;
  resumed = 0;
  killed = false;
  write() {}
  resize() {}
  kill() {
    this.killed = true;
  }
  pause() {
    this.paused++;
  }
  resume() {
    this.resumed++;
  }
}

describe('channelReadable', () => {
  it('pauses the channel when the reader is behind and ends on exit 0', async () => {
    const ch = new FakeChannel();
    const stream = channelReadable(ch as unknown as ProcessChannel);
    const big = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 4; i++) ch.emit('data', big);
    expect(ch.paused).toBeGreaterThan(0);
    // Reading drains the buffer, which asks the channel for more.
    let total = 0;
    let chunk: Buffer | null;
    while ((chunk = stream.read() as Buffer | null) !== null) total += chunk.length;
    await new Promise((r) => setImmediate(r));
    expect(ch.resumed).toBeGreaterThan(0);
    ch.emit('exit', 0, null);
    for await (const rest of stream) total += (rest as Buffer).length;
    expect(total).toBe(4 * big.length);
  });

  it('fails with stderr on a non-zero exit, and kills the process when the reader goes away', async () => {
    const ch = new FakeChannel();
    const stream = channelReadable(ch as unknown as ProcessChannel);
    ch.emit('stderr', Buffer.from('error: no such volume'));
    ch.emit('exit', 1, null);
    await expect(stream.toArray()).rejects.toThrow(/no such volume/);
    const other = new FakeChannel();
    channelReadable(other as unknown as ProcessChannel).destroy();
    expect(other.killed).toBe(true);
  });
});

describe('forbiddenPoolPath', () => {
  it('refuses system, credential and too-wide directories and allows ordinary ones', () => {
    for (const p of [
      '/',
      '/etc',
      '/etc/x',
      '/proc/self',
      '/sys/x',
      '/dev/shm',
      '/boot',
      '/usr/lib',
      '/bin',
      '/sbin/x',
      '/lib',
      '/lib64/x',
      '/libx32',
      '/root',
      '/root/.ssh',
      '/home/a/.ssh/k',
      '/home',
      '/tmp',
      '/run/x',
      '/var/run/x',
    ]) {
      expect(forbiddenPoolPath(p), p).not.toBeNull();
    }
    for (const p of ['/srv/images', '/var/lib/libvirt/images', '/tmp/pool', '/home/alice/vms', '/library', '/data/etc']) {
      expect(forbiddenPoolPath(p), p).toBeNull();
    }
  });
});
