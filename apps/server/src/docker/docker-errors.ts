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

const REGISTRY_DENIED = /unauthorized|authentication required|pull access denied|denied: requested access|may require 'docker login'/i;

/**
 * Engine failures reach the user verbatim (the engine's words are what `docker` would print),
 * with the status a script can act on: 4xx for the user's input, 502/503 when the engine failed.
 */
export function engineError(err: unknown, engineName: string): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as EngineFailure;
  const message = engineMessage(err);
  if (e?.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE'].includes(e.code)) {
    return new HttpError(503, `Cannot reach the Docker engine on ${engineName}: ${message}`, {
      code: 'engine_unreachable',
      params: { host: engineName, detail: message },
    });
  }
  const status = e?.statusCode;
  // A registry refusing the engine's pull/push: the fix is credentials (Settings → Registries) or the name.
  if (status && REGISTRY_DENIED.test(message)) {
    return new HttpError(status >= 500 ? 502 : status === 404 ? 404 : 403, message, {
      code: 'docker.registryDenied',
      params: { host: engineName, detail: message },
    });
  }
  if (status === 404) return new HttpError(404, message, { code: 'not_found' });
  if (status === 409) return new HttpError(409, message, { code: 'conflict' });
  if (status === 400) return new HttpError(400, message, { code: 'engine_rejected' });
  if (status === 403) return new HttpError(409, message, { code: 'engine_refused' });
  if (status === 500 && /port is already allocated|address already in use|bind for .* failed/i.test(message)) {
    return portTaken(message);
  }
  const params = { host: engineName, detail: message };
  if (typeof status === 'number' && status >= 500)
    return new HttpError(502, `The Docker engine on ${engineName} failed: ${message}`, { code: 'engine_error', params });
  if ((err as { name?: string })?.name === 'SshError')
    return new HttpError(503, `Cannot reach the Docker engine on ${engineName}: ${message}`, { code: 'engine_unreachable', params });
  return new HttpError(502, `The Docker engine on ${engineName} failed: ${message}`, { code: 'engine_error', params });
}

/**
 * The engine says "Bind for 0.0.0.0:2222 failed: port is already allocated": say what to do instead,
 * keeping the engine's words after it for whoever needs them.
 */
function portTaken(engineWords: string): HttpError {
  const port = /(?:[\d.]+|\[[\da-f:]*\]):(\d{1,5})\b/i.exec(engineWords)?.[1];
  if (!port)
    return new HttpError(409, `A host port is taken — pick another (${engineWords})`, {
      code: 'docker.portTaken',
      params: { detail: engineWords },
    });
  return new HttpError(409, `Host port ${port} is taken — pick another (${engineWords})`, {
    code: 'docker.portTaken',
    params: { port: Number(port), detail: engineWords },
  });
}

/** Runs an engine call, translating its failure. */
export async function onEngine<T>(engineName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, engineName);
  }
}
