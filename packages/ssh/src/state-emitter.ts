import { EventEmitter } from 'node:events';
import type { ConnectionState, StateDetail, StateListener } from './runner.js';

/**
 * What every CommandRunner shares as an event emitter: typed 'state' listeners, and telling them of a
 * change without letting one listener's bug break the runner's own bookkeeping.
 */
export abstract class StateEmitter extends EventEmitter {
  override on(event: 'state', fn: StateListener): this;
  // EventEmitter's own listener type, which these overloads must stay compatible with.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override on(event: string | symbol, fn: (...args: any[]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override on(event: string | symbol, fn: (...args: any[]) => void): this {
    return super.on(event, fn);
  }

  override off(event: 'state', fn: StateListener): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override off(event: string | symbol, fn: (...args: any[]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override off(event: string | symbol, fn: (...args: any[]) => void): this {
    return super.off(event, fn);
  }

  /** Calls every 'state' listener; `who` names the runner in the warning a throwing listener leaves. */
  protected tellState(who: string, state: ConnectionState, detail: StateDetail): void {
    for (const fn of this.listeners('state') as StateListener[]) {
      try {
        fn(state, detail);
      } catch (err) {
        process.emitWarning(`${who} 'state' listener threw: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }
}
