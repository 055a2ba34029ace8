import type { RawData } from 'ws';

/**
 * What a viewer sends to an interactive stream: keys, and its terminal size. The console and the
 * container terminal contracts (ConsoleClientMessage, TerminalClientMessage) both have this shape;
 * each route checks messages against its own schema, whose limits differ.
 */
export type StreamInput = { type: 'input'; data: string } | { type: 'resize'; cols: number; rows: number };

/** A compiled contract schema (typebox `Compile(...)`). */
export interface InputCheck<T extends StreamInput> {
  Check(value: unknown): value is T;
}

export const NOT_JSON = 'Messages must be JSON';
export const MALFORMED = 'Unknown or malformed message';
export const BINARY_ONLY = 'This stream takes binary frames only';

/** A websocket frame as JSON; `undefined` when it is not JSON at all (answered with NOT_JSON at once). */
export function parseFrame(raw: RawData): { value: unknown } | undefined {
  try {
    // ws hands text frames over as one Buffer (binaryType 'nodebuffer').
    return { value: JSON.parse(raw.toString()) as unknown };
  } catch {
    return undefined;
  }
}
