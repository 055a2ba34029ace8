// The quoting helper lives in @mirador/argv; re-exported for callers of the transport.
export { quoteArg, toCommandLine } from '@mirador/argv';
export { fingerprintSha256, keyAlgorithm, fingerprintOfPublicKeyLine } from './fingerprint.js';
export { generateKeyPair, checkPrivateKey, type GeneratedKeyPair, type KeyCheck } from './keys.js';
export { SshError, classifySshError, type SshErrorCode } from './errors.js';
export { connectSsh, type SshTarget, type SshConnection, type SshClient, type PresentedHostKey, type ConnectHooks } from './connect.js';
export { execArgv, type ExecResult, type ExecOptions } from './exec.js';
export type {
  CommandRunner,
  ProcessChannel,
  ConnectionState,
  StateDetail,
  StateListener,
  RunExecOptions,
  SpawnOptions,
  PtyOptions,
  RunnerLoad,
} from './runner.js';
export { SshHostConnection, type SshHostConnectionOptions, type BackoffOptions } from './host-connection.js';
export { LocalRunner, type LocalRunnerOptions } from './local-runner.js';
