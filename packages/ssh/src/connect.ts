import ssh2 from 'ssh2';
import { SshError, classifySshError } from './errors.js';
import { fingerprintSha256, keyAlgorithm } from './fingerprint.js';

const { Client } = ssh2;
export type SshClient = InstanceType<typeof Client>;

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /** The pinned fingerprint; null/undefined means trust on first use (the caller pins what it gets). */
  expectedFingerprint?: string | null;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is declared dead (default 3). */
  keepaliveCountMax?: number;
}

/** Optional low-level hooks (diagnostics, and for owners of long-lived connections). */
export interface ConnectHooks {
  /**
   * Called with the ssh2 Client before it connects, so listeners ('close', 'error') are attached
   * before anything can happen. Handshake failures are still reported through the returned promise.
   */
  onClient?: (client: SshClient) => void;
  /** ssh2's debug output (protocol trace; never contains key material). */
  debug?: (message: string) => void;
}

export interface PresentedHostKey {
  fingerprint: string;
  algorithm: string;
}

export interface SshConnection {
  client: SshClient;
  hostKey: PresentedHostKey;
}

/**
 * Opens an authenticated SSH connection, refusing it when the server's host key does not
 * match the pinned fingerprint — before any credential is sent.
 */
export function connectSsh(target: SshTarget, hooks: ConnectHooks = {}): Promise<SshConnection> {
  const where = `${target.username}@${target.host}:${target.port}`;
  if (!target.privateKey && !target.password) {
    return Promise.reject(new SshError('no_credentials', `No key or password stored for ${where}`));
  }
  return new Promise((resolve, reject) => {
    const client = new Client();
    hooks.onClient?.(client);
    let presented: PresentedHostKey | null = null;
    let mismatch = false;
    let settled = false;
    const finish = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.end();
      if (mismatch && presented) {
        reject(
          new SshError(
            'host_key_mismatch',
            `Host key of ${where} does not match the pinned key: expected ${target.expectedFingerprint}, ` +
              `got ${presented.fingerprint}. The host may have been reinstalled — or someone is impersonating it. ` +
              `Mirador refused to connect; if the change is expected, an admin can forget the pinned key.`,
            { expected: target.expectedFingerprint ?? '', presented: presented.fingerprint },
          ),
        );
      } else reject(classifySshError(err, where));
    };
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('error', finish);
      // Keep an error listener: a later socket error must never crash the process.
      client.on('error', () => {});
      resolve({ client, hostKey: presented! });
    });
    client.on('error', finish);
    client.on('close', () => finish(new Error('connection closed during handshake')));
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        privateKey: target.privateKey,
        passphrase: target.passphrase,
        password: target.password,
        tryKeyboard: false,
        readyTimeout: target.readyTimeoutMs ?? 10_000,
        keepaliveInterval: target.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: target.keepaliveCountMax ?? 3,
        debug: hooks.debug,
        hostVerifier: (key: Buffer) => {
          presented = { fingerprint: fingerprintSha256(key), algorithm: keyAlgorithm(key) };
          if (target.expectedFingerprint && target.expectedFingerprint !== presented.fingerprint) {
            mismatch = true;
            return false;
          }
          return true;
        },
      });
    } catch (err) {
      finish(err);
    }
  });
}
