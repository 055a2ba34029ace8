export { quoteArg, toCommandLine } from './quote.js';
export { fingerprintSha256, keyAlgorithm, fingerprintOfPublicKeyLine } from './fingerprint.js';
export { generateKeyPair, checkPrivateKey, type GeneratedKeyPair, type KeyCheck } from './keys.js';
export { SshError, classifySshError, type SshErrorCode } from './errors.js';
export { connectSsh, type SshTarget, type SshConnection, type SshClient, type PresentedHostKey } from './connect.js';
export { execArgv, type ExecResult, type ExecOptions } from './exec.js';
