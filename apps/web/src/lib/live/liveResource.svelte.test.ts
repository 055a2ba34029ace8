/**
 * LiveResource with hand-driven loads: each call of `load` is a promise the test settles when it wants,
 * so the order of answers (and which one is stale) is chosen here, not by a network.
 */
import { flushSync } from 'svelte';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ApiError } from '$lib/api';
import { LiveResource, type Follow, type FollowContext, type LiveResourceOptions } from './liveResource.svelte';

interface Call {
  key: string;
  signal: AbortSignal;
  resolve: (value: string) => void;
  reject: (err: unknown) => void;
}

/** A `load` whose calls wait for the test. */
function manualLoad() {
  const calls: Call[] = [];
  const load = (key: string, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ key, signal, resolve, reject });
    });
  return { calls, load };
}

/** Lets settled promises run their continuations (the resource applies an answer after an await). */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

let cleanups: (() => void)[] = [];

/** A resource hosted in an effect root, as a component would host it; the key is a rune the test sets. */
function host(initial: string | null, opts: Omit<LiveResourceOptions<string, string>, 'key'>) {
  const state = $state({ key: initial });
  let resource!: LiveResource<string, string>;
  cleanups.push(
    $effect.root(() => {
      resource = new LiveResource<string, string>({ ...opts, key: () => state.key });
    }),
  );
  flushSync();
  return {
    resource,
    setKey(key: string | null) {
      state.key = key;
      flushSync();
    },
  };
}

afterEach(() => {
  for (const stop of cleanups) stop();
  cleanups = [];
  vi.useRealTimers();
});

describe('LiveResource', () => {
  test('loads for its key, and again when the key changes', async () => {
    const { calls, load } = manualLoad();
    const { resource, setKey } = host('a', { load });
    expect(calls.map((c) => c.key)).toEqual(['a']);
    expect(resource.loading).toBe(true);
    expect(resource.ready).toBe(false);

    calls[0]?.resolve('data of a');
    await settle();
    expect(resource.data).toBe('data of a');
    expect(resource.ready).toBe(true);
    expect(resource.loading).toBe(false);
    expect(resource.updatedAt).toBeInstanceOf(Date);

    setKey('b');
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    // The previous key's data is not shown as the new key's.
    expect(resource.data).toBe(null);
    expect(resource.ready).toBe(false);
    calls[1]?.resolve('data of b');
    await settle();
    expect(resource.data).toBe('data of b');
  });

  test('a null key loads nothing', async () => {
    const { calls, load } = manualLoad();
    const { resource, setKey } = host(null, { load });
    expect(calls).toHaveLength(0);
    expect(resource.loading).toBe(false);
    setKey('a');
    calls[0]?.resolve('a');
    await settle();
    expect(resource.data).toBe('a');
  });

  test('aborts the previous request on a key change and drops its late answer', async () => {
    const { calls, load } = manualLoad();
    const { resource, setKey } = host('a', { load });
    setKey('b');
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(calls[1]?.signal.aborted).toBe(false);

    calls[1]?.resolve('data of b');
    await settle();
    // The slow answer for "a" arrives after the one for "b": it must not overwrite it.
    calls[0]?.resolve('data of a');
    await settle();
    expect(resource.data).toBe('data of b');
    expect(resource.loading).toBe(false);
  });

  test('drops a stale failure too', async () => {
    const { calls, load } = manualLoad();
    const { resource, setKey } = host('a', { load });
    setKey('b');
    calls[1]?.resolve('data of b');
    await settle();
    calls[0]?.reject(new ApiError({ statusCode: 500, error: 'Internal Server Error', message: 'boom' }));
    await settle();
    expect(resource.error).toBe(null);
    expect(resource.data).toBe('data of b');
  });

  test('a 404 is "not found", not an error', async () => {
    const { calls, load } = manualLoad();
    const { resource } = host('gone', { load });
    calls[0]?.reject(new ApiError({ statusCode: 404, error: 'Not Found', message: 'No such VM' }));
    await settle();
    expect(resource.notFound).toBe(true);
    expect(resource.error).toBe(null);
    expect(resource.loading).toBe(false);
  });

  test('another failure is an error message; with data on screen that data is stale', async () => {
    const { calls, load } = manualLoad();
    const { resource } = host('a', { load });
    calls[0]?.resolve('data of a');
    await settle();
    expect(resource.stale).toBe(null);

    resource.reload();
    calls[1]?.reject(new ApiError({ statusCode: 502, error: 'Bad Gateway', message: 'host unreachable' }));
    await settle();
    expect(resource.error).toBe('host unreachable');
    expect(resource.data).toBe('data of a');
    expect(resource.stale).toBe('error');
  });

  test('a followed message re-reads once per burst (debounced)', async () => {
    vi.useFakeTimers();
    const { calls, load } = manualLoad();
    let ctx: FollowContext<string> | null = null;
    let unsubscribed = 0;
    const follow: Follow<string, string> = (_key, c) => {
      ctx = c;
      return () => unsubscribed++;
    };
    const { resource, setKey } = host('a', { load, follow, debounceMs: 100 });
    calls[0]?.resolve('v1');
    await vi.advanceTimersByTimeAsync(0);

    ctx!.reread();
    ctx!.reread();
    await vi.advanceTimersByTimeAsync(60);
    ctx!.reread();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve('v2');
    await vi.advanceTimersByTimeAsync(0);
    expect(resource.data).toBe('v2');

    // A new key follows anew; the old subscription ends and its pending re-read is dropped.
    ctx!.reread();
    setKey('b');
    expect(unsubscribed).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.map((c) => c.key)).toEqual(['a', 'a', 'b']);
  });

  test('patch changes the data in place; a message can patch only what it was subscribed for', async () => {
    const { calls, load } = manualLoad();
    const contexts: Record<string, FollowContext<string>> = {};
    const follow: Follow<string, string> = (key, c) => {
      contexts[key] = c;
      return () => {};
    };
    const { resource, setKey } = host('a', { load, follow });

    // Nothing loaded yet: nothing to patch.
    resource.patch((d) => `${d}!`);
    expect(resource.data).toBe(null);

    calls[0]?.resolve('a');
    await settle();
    resource.patch((d) => `${d}+local`);
    contexts.a?.patch((d) => `${d}+pushed`);
    expect(resource.data).toBe('a+local+pushed');

    setKey('b');
    calls[1]?.resolve('b');
    await settle();
    // A late message of the previous key's subscription must not touch the new key's data.
    contexts.a?.patch(() => 'wrong');
    expect(resource.data).toBe('b');
  });

  test('keepPrevious shows the previous data while the next key loads', async () => {
    const { calls, load } = manualLoad();
    const { resource, setKey } = host('page 1', { load, keepPrevious: true });
    calls[0]?.resolve('rows of page 1');
    await settle();
    setKey('page 2');
    expect(resource.data).toBe('rows of page 1');
    expect(resource.ready).toBe(false);
    expect(resource.loading).toBe(true);
    calls[1]?.resolve('rows of page 2');
    await settle();
    expect(resource.data).toBe('rows of page 2');
    expect(resource.ready).toBe(true);
  });

  test('keys are compared by value: the same key built anew neither re-reads nor re-subscribes', async () => {
    const loads: string[] = [];
    let subscriptions = 0;
    const state = $state({ hostIds: ['h1', 'h2'] });
    cleanups.push(
      $effect.root(() => {
        new LiveResource<string, string[]>({
          key: () => [...state.hostIds].sort(),
          load: (key) => {
            loads.push(key.join(','));
            return Promise.resolve(key.join(','));
          },
          follow: () => {
            subscriptions++;
            return () => {};
          },
        });
      }),
    );
    flushSync();
    // Same hosts, another array (and order): the same key.
    state.hostIds = ['h2', 'h1'];
    flushSync();
    expect(loads).toEqual(['h1,h2']);
    expect(subscriptions).toBe(1);
    state.hostIds = ['h3'];
    flushSync();
    expect(loads).toEqual(['h1,h2', 'h3']);
    expect(subscriptions).toBe(2);
    await settle();
  });

  test('a message that arrives while a read is under way is applied to its answer too', async () => {
    const { calls, load } = manualLoad();
    let ctx: FollowContext<string> | null = null;
    const follow: Follow<string, string> = (_key, c) => {
      ctx = c;
      return () => {};
    };
    const { resource } = host('a', { load, follow });
    // The server read "a" before the log line was pushed; the push overtakes the answer.
    (ctx as FollowContext<string> | null)?.patch((d) => (d.includes('+line') ? d : `${d}+line`));
    calls[0]?.resolve('a');
    await settle();
    expect(resource.data).toBe('a+line');

    // A later read starts after the push was seen: its answer is taken as it is.
    resource.reload();
    calls[1]?.resolve('a (read again)');
    await settle();
    expect(resource.data).toBe('a (read again)');
  });

  test('a seed is shown and patched before the first answer', async () => {
    const { calls, load } = manualLoad();
    let ctx: FollowContext<string> | null = null;
    const follow: Follow<string, string> = (_key, c) => {
      ctx = c;
      return () => {};
    };
    const { resource } = host('t1', { load, follow, seed: (key) => `seed of ${key}` });
    expect(resource.data).toBe('seed of t1');
    (ctx as FollowContext<string> | null)?.patch((d) => (d.endsWith('+running') ? d : `${d}+running`));
    expect(resource.data).toBe('seed of t1+running');
    calls[0]?.resolve('t1');
    await settle();
    expect(resource.data).toBe('t1+running');
  });
});
