import { createSubscriber } from 'svelte/reactivity';

/**
 * One clock for every relative time on screen ("Up 5 minutes"): a single timer, running only
 * while something on screen reads it, so a list of 2,000 containers costs one interval, not one per row.
 */
const TICK_MS = 1000;
let current = Date.now();
const subscribe = createSubscriber((update) => {
  current = Date.now();
  const timer = setInterval(() => {
    current = Date.now();
    update();
  }, TICK_MS);
  return () => clearInterval(timer);
});

export const clock = {
  /** Now, in ms; read inside a reactive context it re-renders once a second. */
  get now(): number {
    subscribe();
    return current;
  },
};
