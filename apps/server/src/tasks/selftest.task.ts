import type { SelfTestTaskBody } from '@mirador/contract';
import type { TaskContext } from './task-manager.js';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('cancelled'))), { once: true });
  });

/** A harmless task that exercises progress, logs, cancel and failure end to end. */
export function selfTestTask(body: SelfTestTaskBody) {
  const steps = body.steps ?? 5;
  const interval = body.intervalMs ?? 500;
  return async (ctx: TaskContext) => {
    for (let i = 1; i <= steps; i++) {
      await sleep(interval, ctx.signal);
      if (body.failAtStep === i) throw new Error(`Self-test failed on purpose at step ${i}`);
      ctx.log(`step ${i} of ${steps} done`);
      ctx.progress(i / steps, `Step ${i}/${steps}`, { code: 'task.step', params: { step: i, total: steps } });
    }
    return { message: `Completed ${steps} steps`, code: 'task.completedSteps', params: { count: steps } };
  };
}
