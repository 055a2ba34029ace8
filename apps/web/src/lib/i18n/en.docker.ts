/** English strings of the docker pages (spread into `en`; keys start with `docker.`). */
export const enDocker = {
  'docker.title': 'Docker',
} as const;
