import { TOPIC_PATTERN, type ServerMessage } from './realtime.js';

/**
 * Realtime topics, built and parsed in one place for the server and the UI: nobody writes
 * `task:${id}` by hand on one side and slices it apart on the other.
 */
export const topics = {
  hosts: 'hosts',
  tasks: 'tasks',
  audit: 'audit',
  vms: 'vms',
  docker: 'docker',
  dockerFleet: 'docker-fleet',
  security: 'security',
  task: (id: string) => `task:${id}` as const,
  vmStats: (hostId: string) => `vm-stats:${hostId}` as const,
  containerStats: (hostId: string, container: string) => `container-stats:${hostId}:${container}` as const,
} as const;

export type TopicName =
  | 'hosts'
  | 'tasks'
  | 'audit'
  | 'vms'
  | 'docker'
  | 'docker-fleet'
  | 'security'
  | `task:${string}`
  | `vm-stats:${string}`
  | `container-stats:${string}:${string}`;

export type ParsedTopic =
  | { kind: 'hosts' | 'tasks' | 'audit' | 'vms' | 'docker' | 'docker-fleet' | 'security' }
  | { kind: 'task'; taskId: string }
  | { kind: 'vm-stats'; hostId: string }
  | { kind: 'container-stats'; hostId: string; container: string };

const PATTERN = new RegExp(TOPIC_PATTERN);

/** What a topic names, or null when it is not one (the same pattern the websocket schema checks). */
export function parseTopic(topic: string): ParsedTopic | null {
  if (!PATTERN.test(topic)) return null;
  const [kind, a, b] = topic.split(':') as [string, string | undefined, string | undefined];
  if (kind === 'task' && a) return { kind, taskId: a };
  if (kind === 'vm-stats' && a) return { kind, hostId: a };
  if (kind === 'container-stats' && a && b) return { kind, hostId: a, container: b };
  if (
    kind === 'hosts' ||
    kind === 'tasks' ||
    kind === 'audit' ||
    kind === 'vms' ||
    kind === 'docker' ||
    kind === 'docker-fleet' ||
    kind === 'security'
  )
    return { kind };
  return null;
}

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** The messages each kind of topic carries (plus the error the server sends when it drops a topic). */
interface TopicMessages {
  hosts: Of<'host.updated' | 'host.removed'>;
  tasks: Of<'task.updated'>;
  task: Of<'task.updated' | 'task.log' | 'task.layers'>;
  audit: Of<'audit.appended'>;
  vms: Of<'vm.updated' | 'vm.removed'>;
  'vm-stats': Of<'vm.stats'>;
  docker: Of<'container.updated' | 'container.removed' | 'docker.changed'>;
  'docker-fleet': Of<'fleet.stats'>;
  security: Of<'security.changed'>;
  'container-stats': Of<'container.stats'>;
}

/** The messages a subscriber to `T` can receive. */
export type TopicMessage<T extends TopicName> =
  | Of<'error'>
  | (T extends `task:${string}`
      ? TopicMessages['task']
      : T extends `vm-stats:${string}`
        ? TopicMessages['vm-stats']
        : T extends `container-stats:${string}`
          ? TopicMessages['container-stats']
          : T extends keyof TopicMessages
            ? TopicMessages[T]
            : never);
