import type { LayerProgress } from '@mirador/contract';

/* eslint-disable @typescript-eslint/no-explicit-any -- progress events are read defensively. */

/**
 * Splits a newline-delimited JSON stream that arrives in arbitrary chunks: pass the text of each
 * chunk and the previous `carry` (start with ''); the unfinished last line comes back as `carry`.
 * Throws on a line that is not JSON.
 */
export function parseJsonLines(text: string, carry: string): { objects: any[]; carry: string } {
  const lines = (carry + text).split('\n');
  const rest = lines.pop() ?? '';
  const objects: any[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      objects.push(JSON.parse(trimmed));
    } catch {
      throw new Error(`The engine sent a progress line that is not JSON: ${trimmed.slice(0, 200)}`);
    }
  }
  return { objects, carry: rest };
}

const DONE = /^(already exists|pull complete|layer already exists|pushed|mounted from .*)$/i;

interface Layer {
  id: string;
  status: string;
  current: number | null;
  total: number | null;
  /** Bytes of the layer (download or upload size), once known. */
  size: number | null;
  downloaded: number;
  extracted: number;
  push: boolean;
  done: boolean;
}

/**
 * Per-layer progress of `POST /images/create` (pull) and `POST /images/{name}/push` streams.
 *
 * `fraction()` weighs each layer by its size: for a pull, downloading is the first half of a
 * layer's share and extracting the second half (the engine reports both against similar totals);
 * for a push, uploading is the whole share. Layers whose size was never reported (typically
 * "Already exists") count only once every layer is done. Null while no size is known.
 */
export class LayerProgressTracker {
  private readonly byId = new Map<string, Layer>();
  private last: string | null = null;
  private err: string | null = null;

  update(evt: any): void {
    if (!evt || typeof evt !== 'object') return;
    if (evt.error !== undefined || evt.errorDetail !== undefined) {
      const message = String(evt.errorDetail?.message ?? evt.error ?? 'unknown error');
      this.err ??= message;
      this.last = message;
      return;
    }
    const status = typeof evt.status === 'string' ? evt.status : null;
    if (status === null) return;
    const id = typeof evt.id === 'string' ? evt.id : null;
    // `{"status":"Pulling from library/nginx","id":"latest"}` names the tag, not a layer.
    if (id === null || /^Pulling from /i.test(status) || /^Pulling repository/i.test(status)) {
      this.last = status;
      return;
    }
    this.last = `${id}: ${status}`;
    let layer = this.byId.get(id);
    if (!layer) {
      layer = { id, status, current: null, total: null, size: null, downloaded: 0, extracted: 0, push: false, done: false };
      this.byId.set(id, layer);
    }
    layer.status = status;
    const current = typeof evt.progressDetail?.current === 'number' ? evt.progressDetail.current : null;
    const total = typeof evt.progressDetail?.total === 'number' && evt.progressDetail.total > 0 ? evt.progressDetail.total : null;
    if (current !== null) layer.current = current;
    if (total !== null) layer.total = total;

    const s = status.toLowerCase();
    if (DONE.test(status)) {
      layer.done = true;
      if (layer.total !== null) layer.current = layer.total;
    } else if (s === 'downloading') {
      if (total !== null) layer.size = total;
      if (current !== null) layer.downloaded = current;
    } else if (s === 'download complete' || s === 'verifying checksum') {
      if (layer.size !== null) layer.downloaded = layer.size;
    } else if (s === 'extracting') {
      if (layer.size !== null) layer.downloaded = layer.size;
      if (current !== null && total !== null) {
        const size = (layer.size ??= total);
        layer.extracted = (current / total) * size;
      }
    } else if (s === 'pushing') {
      layer.push = true;
      if (total !== null) layer.size = total;
      if (current !== null) layer.downloaded = current;
    }
  }

  layers(): LayerProgress[] {
    return [...this.byId.values()].map(({ id, status, current, total }) => ({ id, status, current, total }));
  }

  fraction(): number | null {
    const all = [...this.byId.values()];
    if (all.length > 0 && all.every((l) => l.done)) return 1;
    let known = 0;
    let done = 0;
    for (const l of all) {
      if (l.size === null) continue;
      const share = l.push ? l.size : 2 * l.size;
      known += share;
      done += l.done ? share : Math.min(share, l.downloaded + (l.push ? 0 : l.extracted));
    }
    if (known === 0) return null;
    // Layers of unknown size may still be running: never claim completion before they are done.
    return Math.min(done / known, 0.99);
  }

  /** The latest status line (`a1b2c3d4e5f6: Downloading`, `Digest: sha256:…`), or the error. */
  lastStatus(): string | null {
    return this.last;
  }

  error(): string | null {
    return this.err;
  }
}
