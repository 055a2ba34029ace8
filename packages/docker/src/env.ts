/** What replaces an environment value a viewer may not read: `KEY=[hidden]` (ContainerDetail.envValuesHidden). */
export const HIDDEN_ENV_VALUE = '[hidden]';

/** `KEY=value` → KEY (an entry without "=" is all name, as the engine reads it). */
export function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Every value replaced by HIDDEN_ENV_VALUE; the names stay, so a viewer still sees what is configured. */
export function hideEnvValues(env: readonly string[]): string[] {
  return env.map((e) => (e.includes('=') ? `${envName(e)}=${HIDDEN_ENV_VALUE}` : e));
}

const SECRET_NAME = /pass(word|wd|phrase)?|pwd|secret|token|credential|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth|session|cookie|signature|salt|(^|[_.-])key$|dsn/i;

/**
 * Values that are credentials whatever their variable is called: URLs with a password, PEM keys,
 * JWTs, and the prefixed tokens of common providers (GitHub, GitLab, Slack, AWS, Stripe, OpenAI…).
 */
const SECRET_VALUE = [
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
  /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})/,
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/,
  /\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{16,}/,
  /\bsk-[A-Za-z0-9_-]{20,}/,
  /(^|[,;&\s-])(password|passwd|pwd|secret|token)=[^,;&\s]+/i,
];

/** Whether an environment entry's value looks like a credential (by its name or by the value itself). */
export function isSensitiveEnv(entry: string): boolean {
  const eq = entry.indexOf('=');
  if (eq < 0) return false;
  const value = entry.slice(eq + 1);
  if (value === '' || value === HIDDEN_ENV_VALUE) return false;
  return SECRET_NAME.test(entry.slice(0, eq)) || SECRET_VALUE.some((re) => re.test(value));
}

/** Names of the entries whose values look like credentials, each once, in order. */
export function sensitiveEnvNames(env: readonly string[]): string[] {
  return [...new Set(env.filter(isSensitiveEnv).map(envName))];
}
