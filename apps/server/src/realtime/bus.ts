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
}

export function createEventBus(onListenerError: (err: unknown) => void = () => {}): EventBus {
  const topics = new Map<string, Set<Listener>>();
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
      if (!set) topics.set(topic, (set = new Set()));
      set.add(listener);
      return () => {
        set!.delete(listener);
        if (set!.size === 0) topics.delete(topic);
      };
    },
    listenerCount(topic) {
      return topics.get(topic)?.size ?? 0;
    },
  };
}
