/** Spanish strings of the containers pages (typed against the English ones). */
import type { enContainers } from './en.containers';

export const esContainers: Record<keyof typeof enContainers, string> = {
  'containers.title': 'Containers',
};
