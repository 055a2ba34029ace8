// The exec bookkeeping both runners share (exec-job.ts): output caps, exit mapping, timeouts, aborts,
// close(), answering exactly once. Mostly through LocalRunner (fast, no lab); one case runs the same
// checks over the lab sshd so both runners are held to the same contract.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SshError } from '../src/errors.js';
import { processesMatching, runnersClosedAfterEach, waitFor } from './lab.js';

const { connection, local } = runnersClosedAfterEach();

describe('exec bookkeeping (LocalRunner)', () => {
  it('caps each stream at maxOutputBytes, exactly, and keeps the start', async () => {
    const r = local();
    const res = await r.exec(['sh', '-c', 'printf 0123456789abcdef; printf ABCDEFGHIJ >&2'], { maxOutputBytes: 10 });
    expect(res).toEqual({ code: 0, signal: null, stdout: '0123456789', stderr: 'ABCDEFGHIJ', timedOut: false });
    const big = await r.exec(['head', '-c', '300000', '/dev/zero'], { maxOutputBytes: 100_001 });
    expect(big.stdout.length).toBe(100_001);
  });

  it('maps exit codes and signals (SSH spelling), and passes stdin', async () => {
    const r = local();
    expect(await r.exec(['sh', '-c', 'kill -TERM $$'])).toMatchObject({ code: null, signal: 'TERM', timedOut: false });
    expect(await r.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      code: 3,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
      timedOut: false,
    });
    expect((await r.exec(['wc', '-c'], { stdin: 'abcd' })).stdout.trim()).toBe('4');
    expect(await r.exec(['/dev/null'])).toMatchObject({
      code: 126,
      signal: null,
      stdout: '',
      stderr: expect.stringContaining('/dev/null: '),
    });
  });

  it('refuses bad argv, a closed runner and an aborted signal before queueing anything', async () => {
    const r = local();
    await expect(r.exec([])).rejects.toThrow('Empty command');
    await expect(r.exec(['a\0b'])).rejects.toThrow(/NUL/);
    const ac = new AbortController();
    ac.abort(new Error('gave up'));
    await expect(r.exec(['true'], { signal: ac.signal })).rejects.toThrow('gave up');
    expect(r.load).toEqual({ running: 0, queued: 0, channels: 0 });
    await r.close();
    await expect(r.exec(['true'])).rejects.toMatchObject({ code: 'unreachable', message: expect.stringContaining('closed') });
  });

  it('a queued command that times out was never run, and says why', async () => {
    const r = local({ maxConcurrent: 1 });
    const busy = r.exec(['sleep', '0.4']);
    const canary = `/tmp/mirador-exec-canary-${process.pid}-${Date.now()}`;
    const err = await r.exec(['touch', canary], { timeoutMs: 80 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect(err).toMatchObject({ code: 'timeout' });
    expect((err as Error).message).toMatch(
      /`touch \S+` did not start within 80 ms on the local host: 1 commands running and 1 waiting \(limit 1\); it was not run/,
    );
    expect((await busy).code).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(processesMatching(canary)).toEqual([]);
    expect(existsSync(canary)).toBe(false);
    expect(r.load).toEqual({ running: 0, queued: 0, channels: 0 });
  });

  it('a running command that times out resolves at the deadline with its output so far; the slot frees once it died', async () => {
    const r = local({ maxConcurrent: 1 });
    const marker = `sleep 41.${process.pid}`;
    const t0 = Date.now();
    const res = await r.exec(['sh', '-c', `echo started; ${marker}`], { timeoutMs: 400 });
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(res).toEqual({ code: null, signal: 'KILL', stdout: 'started\n', stderr: '', timedOut: true });
    await waitFor(`${marker} gone`, () => processesMatching(marker).length === 0, 3_000);
    await waitFor('the slot to free', () => r.load.running === 0, 3_000);
    expect((await r.exec(['echo', 'next'])).stdout).toBe('next\n');
  });

  it('aborting a running command kills it and rejects with the reason; the slot frees', async () => {
    const r = local({ maxConcurrent: 1 });
    const marker = `sleep 42.${process.pid}`;
    const ac = new AbortController();
    const p = r.exec(['sh', '-c', marker], { signal: ac.signal });
    await waitFor(`${marker} running`, () => processesMatching(marker).length >= 1, 3_000);
    const reason = new Error('user cancelled');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    await waitFor(`${marker} gone`, () => processesMatching(marker).length === 0, 3_000);
    await waitFor('the slot to free', () => r.load.running === 0, 3_000);
    ac.abort(new Error('again')); // a late abort changes nothing
  });

  it('aborting a queued command removes it from the queue (it never runs)', async () => {
    const r = local({ maxConcurrent: 1 });
    const busy = r.exec(['sleep', '0.3']);
    const ac = new AbortController();
    const queued = r.exec(['sh', '-c', 'echo ran'], { signal: ac.signal });
    await waitFor('queued', () => r.load.queued === 1, 1_000);
    ac.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect(r.load.queued).toBe(0);
    expect((await busy).code).toBe(0);
    expect(r.load).toEqual({ running: 0, queued: 0, channels: 0 });
  });

  it('close() rejects running and queued commands and kills what runs', async () => {
    const r = local({ maxConcurrent: 1 });
    const marker = `sleep 43.${process.pid}`;
    const running = r.exec(['sh', '-c', marker]);
    const queued = r.exec(['true']);
    await waitFor(`${marker} running`, () => processesMatching(marker).length >= 1, 3_000);
    await r.close();
    await expect(running).rejects.toMatchObject({ code: 'unreachable' });
    await expect(queued).rejects.toMatchObject({ code: 'unreachable' });
    await waitFor(`${marker} gone`, () => processesMatching(marker).length === 0, 3_000);
    expect(r.load).toEqual({ running: 0, queued: 0, channels: 0 });
  });
});

describe('exec bookkeeping (lab sshd)', () => {
  it('caps output, maps exit status, aborts a running command and frees its slot', async () => {
    const c = connection({ maxConcurrent: 1, defaultTimeoutMs: 60_000 });
    const res = await c.exec(['sh', '-c', 'printf 0123456789abcdef; printf ABCDEFGHIJ >&2; exit 5'], { maxOutputBytes: 10 });
    expect(res).toEqual({ code: 5, signal: null, stdout: '0123456789', stderr: 'ABCDEFGHIJ', timedOut: false });

    const ac = new AbortController();
    const reason = new Error('user cancelled');
    const p = c.exec(['sh', '-c', 'echo started; sleep 30'], { signal: ac.signal });
    // Queued behind it with an already-aborted signal: refused at once.
    const pre = new AbortController();
    pre.abort();
    await expect(c.exec(['true'], { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor('the command to start', () => c.load.running === 1, 10_000);
    await new Promise((r) => setTimeout(r, 3_000)); // sessions take 1-6 s to start on the lab
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    await waitFor('the slot to free', () => c.load.running === 0, 5_000);
    expect((await c.exec(['echo', 'next'])).stdout).toBe('next\n');
  }, 60_000);
});
