import type { ImageSummary } from '@mirador/contract';
import { shortId } from '@mirador/docker';

/**
 * What to call an image in commands and URLs: its only tag (`docker rmi nginx:1.27` reads better
 * than an ID), else its ID (several tags or none).
 */
export function imageRef(img: Pick<ImageSummary, 'tags' | 'id'>): string {
  return img.tags.length === 1 ? img.tags[0]! : img.id;
}

/** Display name: the first tag, or the short ID of an untagged image. */
export function imageName(img: Pick<ImageSummary, 'tags' | 'id'>): string {
  return img.tags[0] ?? shortId(img.id);
}

export function imageKey(img: Pick<ImageSummary, 'hostId' | 'id'>): string {
  return `${img.hostId}/${img.id}`;
}

/** Suggested file name of an export (`docker save`). */
export function exportFileName(ref: string): string {
  return `${ref.replace(/^sha256:/, '').replace(/[/:@]+/g, '_')}.tar`;
}
