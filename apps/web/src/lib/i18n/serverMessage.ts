/**
 * The one place a message the server produced (an error answer, a task's message or error, a console
 * status frame) becomes text in the user's language: its stable `code` looks up `server.<code>` and
 * `params` fill it in; without a code, or with one this UI does not know yet, the server's English
 * `message` is shown as it is.
 */
import type { MessageParams } from '@mirador/contract';
import { hasKey, t, tn, type PluralKey } from './index.svelte';

export interface ServerMessage {
  code?: string | null;
  params?: MessageParams | null;
  message?: string | null;
}

export function serverMessageKey(code: string): string {
  return `server.${code}`;
}

/** The message in the current language, or the server's English text; '' when there is neither. */
export function translateServerMessage({ code, params, message }: ServerMessage): string {
  if (code) {
    const key = serverMessageKey(code);
    // A code with plural forms (`server.task.completedSteps.one/.other`) is counted by `params.count`.
    const count = params?.count;
    let text: string | null = null;
    if (typeof count === 'number' && hasKey(`${key}.other`)) text = tn(key as PluralKey, count, params ?? undefined);
    else if (hasKey(key)) text = t(key, params ?? undefined);
    // A placeholder left unfilled means the server sent fewer values than the text needs: its own words are better.
    if (text !== null && (!/\{\w+\}/.test(text) || !message)) return text;
  }
  return message ?? '';
}

interface CodedTask {
  message: string | null;
  messageCode?: string;
  messageParams?: MessageParams;
  error: string | null;
  errorCode?: string;
  errorParams?: MessageParams;
}

/** A task's progress/final message in the user's language. */
export function taskMessage(task: CodedTask): string {
  return translateServerMessage({ code: task.messageCode, params: task.messageParams, message: task.message });
}

/** Why a task failed, in the user's language. */
export function taskError(task: CodedTask): string {
  return translateServerMessage({ code: task.errorCode, params: task.errorParams, message: task.error });
}
