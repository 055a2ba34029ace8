/**
 * The advisor's findings, read once for the whole tab and shared by the Security page, the dashboard card
 * and every badge on the host/VM/container lists — a list of a thousand rows costs one request, not one per
 * row. It is a `LiveResource` (the one way the UI loads and follows data) living while anything shows it:
 * components call `securityFindings.watch()` in an effect; the last one to go stops it after a grace period,
 * so moving between pages does not read everything again.
 */
import type { SecurityFindingList } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { LiveResource, onTopic } from '$lib/live/liveResource.svelte';
import { securityApi } from './api';
import { summariseByHost, summariseByTarget, targetKey, type TargetSummary } from './findings';

/** Kept this long after the last viewer left (navigating from one list to another). */
const GRACE_MS = 30_000;
/** The advisor recomputes in bursts (a host reconnecting changes many targets): one re-read per second at most. */
const DEBOUNCE_MS = 1000;

class SecurityFindings {
  resource = $state<LiveResource<SecurityFindingList> | null>(null);
  #watchers = 0;
  #stop: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  get data(): SecurityFindingList | null {
    return this.resource?.data ?? null;
  }

  /** Badges look their target up here: built once per answer. */
  readonly byTarget = $derived(summariseByTarget(this.resource?.data?.items ?? []));

  summary(kind: Parameters<typeof targetKey>[0], hostId: string, id: string): TargetSummary | null {
    return this.byTarget.get(targetKey(kind, hostId, id)) ?? null;
  }

  /** Host rows and pages: everything open on the host. */
  readonly byHost = $derived(summariseByHost(this.resource?.data?.items ?? []));

  hostSummary(hostId: string): TargetSummary | null {
    return this.byHost.get(hostId) ?? null;
  }

  /** Keep the findings loaded and followed while the caller is mounted; returns the stop function. */
  watch(): () => void {
    this.#watchers++;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (!this.#stop) {
      this.#stop = $effect.root(() => {
        this.resource = new LiveResource<SecurityFindingList>({
          key: () => 'all',
          load: (_all, signal) => securityApi.findings({}, signal),
          // `security.changed` says the advisor recomputed: read the list again.
          follow: onTopic(() => topics.security),
          debounceMs: DEBOUNCE_MS,
        });
      });
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.#watchers--;
      if (this.#watchers > 0) return;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#watchers > 0) return;
        this.#stop?.();
        this.#stop = null;
        this.resource = null;
      }, GRACE_MS);
    };
  }

  /** Read again now (after acknowledging or fixing). */
  reload(): void {
    this.resource?.reload();
  }

  patch(update: (data: SecurityFindingList) => SecurityFindingList): void {
    this.resource?.patch(update);
  }
}

export const securityFindings = new SecurityFindings();
