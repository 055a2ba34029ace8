/**
 * The "equivalent command" of each dialog (teaching aid), from @mirador/docker's builders.
 * Those validate their input and throw on anything a shell should never see, so while a form is
 * half-typed there is simply no command to show yet.
 */
import { parseImageRef } from '@mirador/docker';

export function commandFor(build: () => string): string | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}

/** A full image reference as the engine would accept it (`nginx`, `registry:5000/team/web:1.0`). */
export function isImageRef(v: string): boolean {
  try {
    parseImageRef(v, 'image');
    return true;
  } catch {
    return false;
  }
}
