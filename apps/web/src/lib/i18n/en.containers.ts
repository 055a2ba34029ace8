/** English strings of the containers pages (spread into `en`; keys start with `containers.`). */
export const enContainers = {
  'containers.title': 'Containers',
} as const;
