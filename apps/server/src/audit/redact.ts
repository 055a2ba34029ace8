const SECRET_KEY = /pass(word|phrase)?|secret|private.?key|token|credential|authorization|cookie/i;
export const REDACTED = '[redacted]';

/** Copies request parameters for the audit log with every secret-looking value replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  // Raw bodies (uploads) are data, not parameters: one key per byte would bloat the log.
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value && typeof value === 'object' && typeof (value as { pipe?: unknown }).pipe === 'function') return '[stream]';
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > 200) return `[object with ${entries.length} keys]`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string' && value.length > 2000) return value.slice(0, 2000) + '…';
  return value;
}
