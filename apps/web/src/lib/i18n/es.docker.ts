/** Spanish strings of the docker pages (typed against the English ones). */
import type { enDocker } from './en.docker';

export const esDocker: Record<keyof typeof enDocker, string> = {
  'docker.title': 'Docker',
};
