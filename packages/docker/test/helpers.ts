import { expect } from 'vitest';
import { DockerValidationError } from '../src/index.js';

/** Runs `fn`, expects a DockerValidationError and returns it. */
export function validationError(fn: () => unknown): DockerValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DockerValidationError);
    return err as DockerValidationError;
  }
  throw new Error('expected a DockerValidationError');
}

/** Hostile strings every text validator must refuse. */
export const HOSTILE = ['; rm -rf /', '$(id)', '`id`', 'a\nb', '../etc', 'a\0b', 'a b', "a'b", 'a|b', 'a&b', '-rf'];
