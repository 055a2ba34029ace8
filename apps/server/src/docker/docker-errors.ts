import { HttpError } from '../lib/http-errors.js';

interface EngineFailure {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
  code?: string;
}

/** The engine's own sentence when it sent one (dockerode wraps it in `json.message`). */
export function engineMessage(err: unknown): string {
  const e = err as EngineFailure;
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  const raw = fromJson ?? e?.message ?? String(err);
  // A stream cut mid-answer says only "aborted" (node's http client): say what that means.
  if (raw === 'aborted' || e?.code === 'ECONNRESET') return 'the engine closed the connection (it stopped or restarted)';
  // dockerode prefixes "(HTTP code 404) no such container - "; keep only what the engine said.
  return raw.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

/**
 * Engine failures reach the user verbatim (the engine's words are what `docker` would print),
 * with the status a script can act on: 4xx for the user's input, 502/503 when the engine failed.
 */
export function engineError(err: unknown, engineName: string): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as EngineFailure;
  const message = engineMessage(err);
  if (e?.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE'].includes(e.code)) {
    return new HttpError(503, `Cannot reach the Docker engine on ${engineName}: ${message}`, { code: 'engine_unreachable' });
  }
  const status = e?.statusCode;
  if (status === 404) return new HttpError(404, message, { code: 'not_found' });
  if (status === 409) return new HttpError(409, message, { code: 'conflict' });
  if (status === 400) return new HttpError(400, message, { code: 'engine_rejected' });
  if (status === 403) return new HttpError(409, message, { code: 'engine_refused' });
  if (status === 500 && /port is already allocated|address already in use|bind for .* failed/i.test(message)) {
    return new HttpError(409, message, { code: 'port_in_use' });
  }
  if (typeof status === 'number' && status >= 500)
    return new HttpError(502, `The Docker engine on ${engineName} failed: ${message}`, { code: 'engine_error' });
  if ((err as { name?: string })?.name === 'SshError')
    return new HttpError(503, `Cannot reach the Docker engine on ${engineName}: ${message}`, { code: 'engine_unreachable' });
  return new HttpError(502, `The Docker engine on ${engineName} failed: ${message}`, { code: 'engine_error' });
}

/** Runs an engine call, translating its failure. */
export async function onEngine<T>(engineName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, engineName);
  }
}
