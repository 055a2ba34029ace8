/**
 * The state of the `docker run` form: the values, what the chosen engine offers (image suggestions,
 * user networks, the non-admin policy), the server's live preview, errors placed next to their input,
 * and the submit (pull a missing image as a visible task first, then create or recreate).
 * Construct it during component initialisation (it owns live resources and the preview effect).
 */
import type { CreateContainerBody, DockerEngine, Task } from '@mirador/contract';
import { untrack } from 'svelte';
import { goto } from '$app/navigation';
import { api, ApiError, errorMessage, type ApiData } from '$lib/api';
import { focusFirstInvalid } from '$lib/components/focusError';
import { FollowedTask } from '$lib/docker/followedTask.svelte';
import { t } from '$lib/i18n/index.svelte';
import { LiveResource } from '$lib/live/liveResource.svelte';
import { session } from '$lib/session.svelte';
import { toasts } from '$lib/toasts.svelte';
import { containerHref, loadEngines } from '../containers';
import { buildBody, emptyForm, errorSlot, type RunForm } from './runForm';

const PREVIEW_DEBOUNCE_MS = 300;
/** Slots whose client-side error shows at once (syntax), not only after a first submit. */
const EAGER_SLOTS = new Set([
  'command',
  'entrypoint',
  'cpus',
  'maxRetries',
  'name',
  'pidsLimit',
  'blkioWeight',
  'seccompProfile',
  'apparmor',
  'healthcheck.retries',
]);

export type ContainerPreview = ApiData<'post', '/api/hosts/{hostId}/containers/preview'>;
export type DockerPolicy = ApiData<'get', '/api/hosts/{hostId}/docker/policy'>;

export interface ContainerFormOptions {
  /** Preselected engine (`?host=`); ignored when recreating. */
  initialHostId?: string | null;
  /** Start from these values (recreate: the container's saved settings). */
  initial?: RunForm | null;
  /** Recreate this container instead of creating a new one (the engine is then fixed). */
  recreate?: { hostId: string; name: string } | null;
}

export class ContainerFormState {
  /** The form edits its own copy of `initial`. */
  values = $state<RunForm>(emptyForm());
  readonly recreate: { hostId: string; name: string } | null;
  readonly engines = new LiveResource<DockerEngine[]>({ key: () => 'engines', load: () => loadEngines() });

  preview = $state<ContainerPreview | null>(null);
  previewBusy = $state(false);
  previewError = $state<string | null>(null);
  /**
   * The latest server complaint, placed next to its input when it names one. `body` is what was
   * sent: a later preview of the same body must not wipe a submit error (e.g. "name in use").
   */
  serverError = $state<{ slot: string | null; message: string; body: string } | null>(null);
  attempted = $state(false);
  busy = $state(false);
  /** The form element (ContainerForm binds it): a refused submit scrolls to and focuses its invalid input there. */
  root: HTMLElement | undefined = undefined;
  /** A missing image is pulled first as a visible task (layer by layer), as `docker run` would. */
  readonly pull = new FollowedTask();
  #pullDone: ((task: Task) => void) | null = null;
  /** The component's `$props.id()`: ids stay unique when two forms are on one page. */
  readonly uid: string;

  readonly #images = new LiveResource({
    key: () => this.values.hostId || null,
    load: (hostId: string, signal) => api.GET('/api/hosts/{hostId}/images', { params: { path: { hostId } }, signal }),
  });
  readonly #networks = new LiveResource({
    key: () => this.values.hostId || null,
    load: (hostId: string, signal) => api.GET('/api/hosts/{hostId}/networks', { params: { path: { hostId } }, signal }),
  });
  readonly #info = new LiveResource({
    key: () => this.values.hostId || null,
    load: (hostId: string, signal) => api.GET('/api/hosts/{hostId}/docker/info', { params: { path: { hostId } }, signal }),
  });
  readonly #policy = new LiveResource({
    key: () => this.values.hostId || null,
    load: (hostId: string, signal) => api.GET('/api/hosts/{hostId}/docker/policy', { params: { path: { hostId } }, signal }),
  });

  engine = $derived(this.engines.data?.find((e) => e.hostId === this.values.hostId) ?? null);
  /** The engine's image tags, offered as suggestions. */
  imageTags = $derived(
    [...new Set((this.#images.data?.items ?? []).flatMap((i) => i.tags).filter((tag) => !tag.startsWith('<none>')))].sort(),
  );
  userNetworks = $derived(
    (this.#networks.data?.items ?? [])
      .filter((n) => !n.builtin)
      .map((n) => n.name)
      .sort(),
  );
  /** The engine's CPU count (a cpuset is checked against it), null while unknown. */
  cpuCount = $derived(this.#info.data?.cpus || null);
  /** What non-admins may do on this engine (null while unknown). */
  policy = $derived(this.#policy.data);
  built = $derived(buildBody(this.values));
  bodyJson = $derived(JSON.stringify(this.built.body));
  clientErrorCount = $derived(Object.keys(this.built.errors).length);
  canPrivileged = $derived(session.isAdmin || (this.policy?.allowPrivileged ?? false));
  imageKnown = $derived.by(() => {
    const image = this.values.image.trim();
    return !image || this.imageTags.includes(image) || this.imageTags.includes(`${image}:latest`);
  });
  /** A user-defined network is chosen (aliases apply only there). */
  userNetwork = $derived(this.values.network !== '' && this.values.network !== 'host' && this.values.network !== 'none');
  /** An engine and an image are chosen: a command line can exist. */
  previewReady = $derived(!!this.values.hostId && !!this.built.body.image);
  refusedForMe = $derived(!session.isAdmin && (this.preview?.refusals.length ?? 0) > 0);
  /**
   * Why there is no command line for what is on screen: a field the form already knows is wrong
   * (`name: …`), or the server's complaint about this very body. (No engine or image yet is not an error.)
   */
  previewBlockers = $derived.by((): string[] => {
    const out: string[] = [];
    for (const [slot, message] of Object.entries(this.built.errors)) if (slot !== 'image') out.push(`${slot}: ${message}`);
    if (this.serverError && this.serverError.body === this.bodyJson) out.push(this.serverError.message);
    return out;
  });

  constructor(uid: string, opts: ContainerFormOptions = {}) {
    this.uid = uid;
    this.recreate = opts.recreate ?? null;
    this.values = opts.initial ? $state.snapshot(opts.initial) : emptyForm(this.recreate?.hostId ?? '');

    $effect(() => {
      const engines = this.engines.data;
      if (!engines || untrack(() => this.values.hostId)) return;
      const ok = engines.filter((e) => e.state === 'ok');
      const wanted =
        engines.find((e) => e.hostId === opts.initialHostId) ?? ok.find((e) => e.transport === 'socket') ?? ok[0] ?? engines[0];
      if (wanted) this.values.hostId = wanted.hostId;
    });

    // Live preview: the server's command line, warnings and refusals for what is on screen.
    $effect(() => {
      const json = this.bodyJson;
      const hostId = this.values.hostId;
      const body = untrack(() => this.built.body);
      if (!hostId || this.clientErrorCount > 0 || !body.image) {
        this.previewBusy = false;
        return;
      }
      const ctrl = new AbortController();
      const timer = setTimeout(() => void this.#loadPreview(hostId, body, json, ctrl.signal), PREVIEW_DEBOUNCE_MS);
      return () => {
        clearTimeout(timer);
        ctrl.abort();
      };
    });
  }

  /** One preview request (the debounced effect above starts it; `json` is the body as compared later). */
  async #loadPreview(hostId: string, body: CreateContainerBody, json: string, signal: AbortSignal): Promise<void> {
    this.previewBusy = true;
    try {
      this.preview = await api.POST('/api/hosts/{hostId}/containers/preview', { params: { path: { hostId } }, body, signal });
      this.previewError = null;
      if (this.serverError && this.serverError.body !== json) this.serverError = null;
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      const slot =
        err instanceof ApiError
          ? errorSlot(
              err.field,
              untrack(() => this.built.index),
            )
          : null;
      if (slot) {
        this.serverError = { slot, message: errorMessage(err), body: json };
        this.previewError = null;
      } else this.previewError = errorMessage(err);
    } finally {
      if (!signal.aborted) this.previewBusy = false;
    }
  }

  /** The message for one input: the server's when it points there, else ours (after a first submit, or for syntax). */
  err(slot: string): string | null {
    if (this.serverError?.slot === slot) return this.serverError.message;
    const mine = this.built.errors[slot];
    return mine && (this.attempted || EAGER_SLOTS.has(slot)) ? mine : null;
  }

  /**
   * An input was edited: when it is the one the server refused (marked invalid), its complaint goes at
   * once (a stale error must not outlive the fix; the next preview or submit judges the new value).
   */
  edited(input: EventTarget | null): void {
    if (this.serverError?.slot && input instanceof Element && input.getAttribute('aria-invalid') === 'true') this.serverError = null;
  }

  /** The id of the message under an input, for its `aria-describedby`. */
  describedBy(slot: string): string | undefined {
    return this.err(slot) ? `${this.uid}-${slot.replace(/\./g, '-')}-err` : undefined;
  }

  /** The secure settings, one click away (never imposed). */
  harden(): void {
    this.values.noNewPrivileges = true;
    if (!this.values.capDrop.trim()) this.values.capDrop = 'ALL';
  }

  /** `TaskProgress` reports the pull's end. */
  pullFinished(task: Task): void {
    this.pull.finished = task;
    this.#pullDone?.(task);
  }

  async submit(): Promise<void> {
    this.attempted = true;
    if (this.clientErrorCount > 0 || !this.values.hostId) {
      void focusFirstInvalid(this.root);
      return;
    }
    this.busy = true;
    this.serverError = null;
    const hostId = this.recreate?.hostId ?? this.values.hostId;
    const body = this.built.body;
    try {
      const pulled = await this.#ensureImage(hostId, body.image);
      if (pulled && pulled.status !== 'ok') throw new Error(pulled.error ?? t('containers.form.pullFailed'));
      const res = this.recreate
        ? await api.POST('/api/hosts/{hostId}/containers/{id}/recreate', { params: { path: { hostId, id: this.recreate.name } }, body })
        : await api.POST('/api/hosts/{hostId}/containers', { params: { path: { hostId } }, body });
      toasts.success(this.recreate ? t('containers.form.recreated', { name: res.name }) : t('containers.form.created', { name: res.name }));
      for (const w of res.warnings) toasts.push('info', w, 10_000);
      await goto(containerHref({ hostId, name: res.name }));
    } catch (err) {
      const slot = err instanceof ApiError ? errorSlot(err.field, this.built.index) : null;
      this.serverError = { slot, message: errorMessage(err), body: this.bodyJson };
      if (slot) void focusFirstInvalid(this.root);
    } finally {
      this.busy = false;
      this.pull.reset();
      this.#pullDone = null;
    }
  }

  /** Pull the image first when the engine lacks it; resolves with the finished pull task, or null when none was needed. */
  async #ensureImage(hostId: string, image: string): Promise<Task | null> {
    try {
      await api.GET('/api/hosts/{hostId}/images/{image}', { params: { path: { hostId, image } } });
      return null;
    } catch (err) {
      // Anything but "not here" (a typo the server will name, an engine down) is for create to report.
      if (!(err instanceof ApiError && err.status === 404)) return null;
    }
    const started = await api.POST('/api/hosts/{hostId}/images/pull', { params: { path: { hostId } }, body: { image } });
    const finished = new Promise<Task>((resolve) => (this.#pullDone = resolve));
    this.pull.start(started);
    return finished;
  }
}
