/**
 * The create-VM wizard's state: the values, their errors, and three steps — the form, a review of
 * what will run (the virt-install line and domain XML from `/preview`, nothing runs yet), then the
 * create task's progress. Construct it during component initialisation (it owns live resources).
 */
import type { CreateVmBody, Host } from '@mirador/contract';
import { tick, untrack } from 'svelte';
import { api, errorMessage, type ApiData } from '$lib/api';
import { focusFirstInvalid, withoutError } from '$lib/components/focusError';
import { FollowedTask } from '$lib/docker/followedTask.svelte';
import { LiveResource } from '$lib/live/liveResource.svelte';
import { freeDiskVolumes, isoVolumes, loadHostVolumes, volumeRef } from './hostVolumes';
import { buildVmBody, defaultVmValues, staleErrorKeys, validateVm, vmErrorField, type VmFormValues } from './vmForm';

export type VmStep = 'form' | 'review' | 'progress';
export type VmPreview = ApiData<'post', '/api/hosts/{hostId}/vms/preview'>;

/** Hosts with libvirt only, by name. */
function libvirtHosts(all: Host[]): Host[] {
  return all.filter((h) => h.libvirtUri !== null).sort((a, b) => a.name.localeCompare(b.name));
}

export class CreateVmForm {
  step = $state<VmStep>('form');
  values = $state<VmFormValues>(defaultVmValues());
  errors = $state<Record<string, string>>({});
  formError = $state<string | null>(null);
  busy = $state(false);
  /** The step-1 form element (StepForm binds it): a refused value is scrolled to and focused there. */
  root: HTMLElement | undefined = undefined;
  preview = $state<VmPreview | null>(null);
  /** What the review shows and "Create" sends (the values may be edited again later). */
  body = $state<CreateVmBody | null>(null);
  readonly task = new FollowedTask();
  readonly hosts = new LiveResource<Host[]>({
    key: () => 'libvirt',
    load: async (_, signal) => libvirtHosts(await api.GET('/api/hosts', { signal })),
  });
  /** The chosen host's pools, networks and OS variants, offered as suggestions (typing stays possible). */
  readonly resources = new LiveResource({
    key: () => this.values.hostId || null,
    load: (hostId: string, signal) => api.GET('/api/hosts/{hostId}/virt-resources', { params: { path: { hostId } }, signal }),
  });

  /** The volumes of the chosen host's running pools: ISOs for the CD-ROM, free volumes for the disk. */
  readonly volumes = new LiveResource({
    key: () => this.values.hostId || null,
    load: loadHostVolumes,
  });
  isos = $derived(isoVolumes(this.volumes.data ?? []));
  freeVolumes = $derived(freeDiskVolumes(this.volumes.data ?? []));

  host = $derived(this.hosts.data?.find((h) => h.id === this.values.hostId) ?? null);
  /** Where the finished create leads (null until it succeeded). */
  created = $derived(this.task.finished?.status === 'ok' && this.body ? { hostId: this.values.hostId, name: this.body.name } : null);

  /** `initialHostId`: preselected (e.g. the list's host filter); else the first online host. */
  constructor(initialHostId: string | null) {
    $effect(() => {
      const hosts = this.hosts.data;
      if (!hosts || untrack(() => this.values.hostId)) return;
      const wanted = hosts.find((h) => h.id === initialHostId) ?? hosts.find((h) => h.status === 'online') ?? hosts[0];
      if (wanted) this.values.hostId = wanted.id;
    });

    // A fixed input loses its error at once (not at the next review): the errors its change makes stale go.
    let before = { ...untrack(() => this.values) };
    $effect(() => {
      const now = { ...this.values };
      const changed = new Set((Object.keys(now) as (keyof VmFormValues)[]).filter((k) => now[k] !== before[k]));
      before = now;
      if (changed.size) untrack(() => (this.errors = withoutError(this.errors, ...staleErrorKeys(changed))));
    });
  }

  /** Check the values, then ask the server what would run. */
  async review(): Promise<void> {
    this.formError = null;
    this.errors = validateVm(this.values, this.freeVolumes.map(volumeRef));
    if (Object.keys(this.errors).length) {
      void focusFirstInvalid(this.root);
      return;
    }
    this.busy = true;
    try {
      const body = buildVmBody(this.values);
      this.preview = await api.POST('/api/hosts/{hostId}/vms/preview', { params: { path: { hostId: this.values.hostId } }, body });
      this.body = body;
      this.step = 'review';
      window.scrollTo({ top: 0 });
    } catch (err) {
      await this.#showError(err);
    } finally {
      this.busy = false;
    }
  }

  /** Start the create task (what the review showed) and follow it. */
  async create(): Promise<void> {
    if (!this.body) return;
    this.busy = true;
    this.formError = null;
    try {
      const started = await api.POST('/api/hosts/{hostId}/vms', { params: { path: { hostId: this.values.hostId } }, body: this.body });
      this.task.reset();
      this.task.start(started);
      this.step = 'progress';
    } catch (err) {
      // Back to the form with the field highlighted and focused (e.g. the name was taken meanwhile).
      if (vmErrorField(err)) this.step = 'form';
      await this.#showError(err);
    } finally {
      this.busy = false;
    }
  }

  /** Back to the form (from the review, or after a failed create). */
  edit(): void {
    this.step = 'form';
    this.preview = null;
  }

  /** The server's refusal under the input it names, scrolled to and focused; else for the whole form. */
  async #showError(err: unknown): Promise<void> {
    const field = vmErrorField(err);
    if (field) {
      this.errors = { [field]: errorMessage(err) };
      this.formError = null;
      // The form may only now be back on screen (from the review): let it mount and bind first.
      await tick();
      if (await focusFirstInvalid(this.root)) return;
    }
    this.formError = errorMessage(err);
  }
}
