export type SshErrorCode = 'unreachable' | 'timeout' | 'auth_failed' | 'host_key_mismatch' | 'no_credentials' | 'ssh_error';

/** An SSH failure a person can act on: the code drives the UI, the message says what to do. */
export class SshError extends Error {
  constructor(
    readonly code: SshErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SshError';
  }
}

interface NodeishError extends Error {
  code?: string;
  level?: string;
}

/** Maps ssh2 / socket errors to SshError. */
export function classifySshError(err: unknown, target: string): SshError {
  if (err instanceof SshError) return err;
  const e = err as NodeishError;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    // The name itself is the problem, not the network: say so, so nobody chases sshd or host keys.
    const name = /@(.*):\d+$/.exec(target)?.[1] ?? target;
    return new SshError(
      'unreachable',
      `Cannot resolve ${name}: no DNS or /etc/hosts entry for that name (check the spelling, or use its IP address)`,
    );
  }
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code)) {
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused (is sshd running on that port?)'
        : code === 'ECONNRESET'
          ? 'the connection was reset'
          : 'no route to the host';
    return new SshError('unreachable', `Cannot reach ${target}: ${why}`);
  }
  if (e?.level === 'client-timeout' || /timed out/i.test(msg)) {
    return new SshError('timeout', `Timed out connecting to ${target}`);
  }
  if (e?.level === 'client-authentication') {
    return new SshError('auth_failed', `Authentication failed on ${target}: the server refused the key or password`);
  }
  return new SshError('ssh_error', `SSH error with ${target}: ${msg}`);
}
