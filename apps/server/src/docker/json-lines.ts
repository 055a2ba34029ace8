import { StringDecoder } from 'node:string_decoder';

/**
 * Feeds every JSON document of a newline-delimited engine stream (events, stats) to `onObject`.
 * Chunks split lines and UTF-8 characters anywhere; both are reassembled here.
 */
export function onJsonLines<T = unknown>(
  stream: NodeJS.ReadableStream,
  // The engine's documents are trusted to have the shape its API documents; callers name it.
  onObject: (value: T) => void,
  onBad: (line: string, err: unknown) => void,
): void {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  stream.on('data', (chunk: Buffer) => {
    carry += decoder.write(chunk);
    let nl: number;
    while ((nl = carry.indexOf('\n')) >= 0) {
      const line = carry.slice(0, nl).trim();
      carry = carry.slice(nl + 1);
      if (!line) continue;
      try {
        onObject(JSON.parse(line) as T);
      } catch (err) {
        onBad(line, err);
      }
    }
  });
}
