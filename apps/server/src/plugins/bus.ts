import type { ServerMessage } from '@mirador/contract';

/** Messages that belong to a topic (everything the server pushes unprompted). */
export type TopicMessage = Extract<ServerMessage, { topic: string }>;
type Listener = (msg: TopicMessage) => void;

/**
 * In-process pub/sub between services and websocket connections. Services publish
 * domain messages; the websocket route decides who may receive them.
 */
export interface EventBus {
  publish(msg: TopicMessage): void;
  subscribe(topic: string, listener: Listener): () => void;
  listenerCount(topic: string): number;
  /**
   * Told when a topic gains its first listener or loses its last one, so on-demand sources
   * (per-container stats) run only while someone watches.
   */
  onActivity(fn: (topic: string, active: boolean) => void): () => void;
}

export function createEventBus(onListenerError: (err: unknown) => void = () => {}): EventBus {
  const topics = new Map<string, Set<Listener>>();
  const watchers = new Set<(topic: string, active: boolean) => void>();
  const tell = (topic: string, active: boolean) => {
    for (const w of [...watchers]) {
      try {
        w(topic, active);
      } catch (err) {
        onListenerError(err);
      }
    }
  };
  return {
    publish(msg) {
      const listeners = topics.get(msg.topic);
      if (!listeners) return;
      for (const l of [...listeners]) {
        try {
          l(msg);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
    subscribe(topic, listener) {
      let set = topics.get(topic);
      const first = !set;
      if (!set) topics.set(topic, (set = new Set()));
      set.add(listener);
      if (first) tell(topic, true);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        set!.delete(listener);
        if (set!.size === 0 && topics.get(topic) === set) {
          topics.delete(topic);
          tell(topic, false);
        }
      };
    },
    listenerCount(topic) {
      return topics.get(topic)?.size ?? 0;
    },
    onActivity(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
  };
}
