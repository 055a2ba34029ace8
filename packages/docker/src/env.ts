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

const SECRET_NAME =
  /pass(word|wd|phrase)?|pwd|secret|token|credential|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth|session|cookie|signature|salt|(^|[_.-])key$|dsn/i;

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

// ---- build history -----------------------------------------------------------------------------
// An image's history and its `ContainerConfig.Cmd` repeat the Dockerfile: `ENV K=v`, `ARG K=default`,
// and the build arguments a RUN step saw (`|2 K=v K2=v2 /bin/sh -c …`). The values are the same
// environment values a viewer may not read in the image's `Config.Env`.

const PAIR_START = /^[A-Za-z_][A-Za-z0-9_.-]*=/;
/** Classic builder `/bin/sh -c #(nop)  ENV …`, BuildKit `ENV …`. */
const ENV_OR_ARG = /^(.*?#\(nop\)\s+|)(ENV|ARG)(\s+)([\s\S]*)$/;
/** Build arguments of a RUN step: classic `|N K=v … cmd`, BuildKit `RUN |N K=v … cmd`. */
const BUILD_ARGS = /^((?:RUN\s+)?)\|(\d+)\s+([\s\S]*)$/;
/** Where the last build argument's value ends: before the shell, else at the first blank. */
const SHELL_AFTER = /\s(?=\S*sh\s+-c\s)/;

/**
 * `K=v K2=v2` (values may hold blanks: `ENV K=a b` is recorded as is) with every value hidden;
 * words before the first pair (`ARG NAME` without a default) stay.
 */
function hidePairs(text: string, legacyEnv: boolean): string {
  const words = text.split(/\s+/).filter(Boolean);
  // `ENV KEY value` (no "="): the first word is the name, the rest is its value.
  if (legacyEnv && words.length > 1 && !PAIR_START.test(words[0]!)) return `${words[0]} ${HIDDEN_ENV_VALUE}`;
  const out: string[] = [];
  let inPair = false;
  for (const w of words) {
    if (PAIR_START.test(w)) {
      out.push(`${envName(w)}=${HIDDEN_ENV_VALUE}`);
      inPair = true;
    } else if (!inPair) out.push(w);
  }
  return out.join(' ');
}

/** `K=v K2=v2 /bin/sh -c cmd` (the first `count` pairs) with their values hidden, the command kept. */
function hideBuildArgs(rest: string, count: number): string {
  const out: string[] = [];
  let s = rest;
  for (let i = 0; i < count; i++) {
    const m = PAIR_START.exec(s);
    if (!m) break;
    out.push(`${m[0]}${HIDDEN_ENV_VALUE}`);
    s = s.slice(m[0].length);
    const end = i < count - 1 ? s.search(/\s[A-Za-z_][A-Za-z0-9_.-]*=/) : ((SHELL_AFTER.exec(s) ?? /\s/.exec(s))?.index ?? -1);
    s = end < 0 ? '' : s.slice(end + 1);
  }
  return [...out, s].filter(Boolean).join(' ');
}

/** One history line (`docker history --no-trunc`) with the values of ENV, ARG and build arguments hidden. */
export function hideHistoryValues(createdBy: string): string {
  const args = BUILD_ARGS.exec(createdBy);
  if (args) return `${args[1]}|${args[2]} ${hideBuildArgs(args[3]!, Number(args[2]))}`;
  const step = ENV_OR_ARG.exec(createdBy);
  if (step) return `${step[1]}${step[2]}${step[3]}${hidePairs(step[4]!, step[2] === 'ENV')}`;
  return createdBy;
}

/**
 * A build step as argv (an image's `ContainerConfig.Cmd`): `["|1", "K=v", "/bin/sh", "-c", …]` or
 * `["/bin/sh", "-c", "#(nop) ", "ENV K=v"]`, with the same values hidden.
 */
export function hideBuildStepValues(cmd: readonly string[]): string[] {
  const n = /^\|(\d+)$/.exec(cmd[0] ?? '');
  const args = n ? Number(n[1]) : 0;
  return cmd.map((part, i) => {
    if (i >= 1 && i <= args && PAIR_START.test(part)) return `${envName(part)}=${HIDDEN_ENV_VALUE}`;
    return /^(ENV|ARG)\s/.test(part) ? hideHistoryValues(part) : part;
  });
}
