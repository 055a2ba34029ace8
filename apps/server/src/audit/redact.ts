/**
 * The one place that decides what a secret looks like, used for everything Mirador writes down
 * about a request: audit params, error messages and exports, task params and errors, the server log.
 *
 * A secret is hidden by the name it is given (`password: …`) *and* by what it looks like wherever
 * it appears: option strings (`o=addr=10.0.0.5,password=…`), env entries (`DB_PASSWORD=…`), URLs
 * with a password (`https://user:…@host`), PEM private keys, `Bearer …` headers, Mirador and cloud
 * tokens, and every secret Mirador itself holds (see `knownSecrets`), whatever it is called.
 */
export const REDACTED = '[redacted]';

/** Object keys whose value is a secret whatever it looks like. */
const SECRET_KEY = /pass(word|phrase)?|secret|private.?key|api.?key|access.?key|^key$|_key$|token|credential|authorization|cookie/i;
/** Names in `name=value` pairs and env entries: broader, since an option string has no other structure. */
const SECRET_NAME = /pass|pwd|secret|token|credential|auth|cookie|(^|[^a-z])key|key($|[^a-z])|apikey|privatekey|accesskey/i;

// ---------------------------------------------------------------------------------------------
// Secrets Mirador knows by value

const MAX_KNOWN = 500;
const MIN_KNOWN_LENGTH = 6;

/**
 * Every credential Mirador stores or uses (host passwords, passphrases, private keys, registry
 * passwords), so the exact value is hidden even under an innocent name or inside an error message.
 * In memory only (it would be a list of secrets on disk), bounded: the oldest are dropped first.
 * Short values are ignored: hiding every "admin" in the log would hide more than it protects.
 */
const known = new Map<string, true>();
let longestFirst: string[] | null = null;

export const knownSecrets = {
  add(value: unknown): void {
    if (typeof value !== 'string' || value.length < MIN_KNOWN_LENGTH || value === REDACTED) return;
    known.delete(value);
    known.set(value, true);
    if (known.size > MAX_KNOWN) known.delete(known.keys().next().value!);
    longestFirst = null;
  },
  /** A sealed plaintext: a JSON object of secrets (hosts) or one secret (registries). */
  addPlaintext(plaintext: string): void {
    if (plaintext.startsWith('{')) {
      try {
        for (const v of Object.values(JSON.parse(plaintext) as Record<string, unknown>)) this.add(v);
        return;
      } catch {
        // not JSON after all: register it whole
      }
    }
    this.add(plaintext);
  },
  replaceIn(text: string): string {
    // Longest first, so a password that contains another known secret is hidden whole.
    longestFirst ??= [...known.keys()].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of longestFirst) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Secrets recognised by their shape

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g;
/** scheme://user:password@host — the password only; `ssh://root@host` has none and stays. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):([^\s/?#]*)@/gi;
const AUTH_HEADER = /\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/-]{8,}=*)/g;
/** "Basic authentication failed" is prose; a credential has digits, symbols or inner capitals, or is long. */
const looksLikeCredential = (v: string) => /[^A-Za-z]|[a-z][A-Z]/.test(v) || v.length >= 20;
const TOKENS: RegExp[] = [
  /\bmir_[A-Za-z0-9_-]{16,}/g, // Mirador API tokens
  /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, // JWTs
  /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub tokens (ghcr.io logins)
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
];
/** `NAME=value` as a whole string: an env entry; the value is everything after the first "=". */
const ENV_ENTRY = /^([A-Za-z_][A-Za-z0-9_.-]*)=([\s\S]*)$/;
/** `'NAME=value'` / `"NAME=value"`: a quoted pair (a rendered command line), the value runs to the quote. */
const QUOTED_PAIR = /(['"])([A-Za-z0-9_.-]+)=((?:(?!\1)[^\\]|\\.)*)(?=\1)/g;
/** `name=value` inside option strings, query strings, command lines. */
const PAIR = /(^|[^A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=("[^"]*"|'[^']*'|(?:[^\s,;&"'<>{}[\]]|\[redacted\])*)/g;
/** `"name": "value"` inside JSON embedded in a message. */
const JSON_PAIR = /"([A-Za-z0-9_.-]+)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s\]]+)/g;

function redactPairs(text: string): string {
  return text.replace(PAIR, (all, pre: string, name: string, value: string) => {
    if (SECRET_NAME.test(name)) return `${pre}${name}=${REDACTED}`;
    // `o=password=x`: the value of an innocent option may itself hold pairs.
    return value.includes('=') ? `${pre}${name}=${redactPairs(value)}` : all;
  });
}

/** Hides every secret-looking part of a free-text value and keeps the rest readable. */
export function redactText(text: string): string {
  if (!text) return text;
  let out = text.replace(PEM_PRIVATE_KEY, '[redacted private key]');
  out = knownSecrets.replaceIn(out);
  const env = ENV_ENTRY.exec(out);
  if (env && SECRET_NAME.test(env[1]!) && !env[2]!.includes('\n')) return `${env[1]}=${REDACTED}`;
  out = out.replace(URL_PASSWORD, `$1:${REDACTED}@`);
  out = out.replace(AUTH_HEADER, (all, scheme: string, space: string, value: string) =>
    looksLikeCredential(value) ? `${scheme}${space}${REDACTED}` : all,
  );
  for (const re of TOKENS) out = out.replace(re, REDACTED);
  out = out.replace(QUOTED_PAIR, (all, q: string, name: string) => (SECRET_NAME.test(name) ? `${q}${name}=${REDACTED}` : all));
  out = out.replace(JSON_PAIR, (all, name: string, colon: string, value: string) =>
    SECRET_NAME.test(name) && !/^("\[redacted\]"|null|true|false)$/.test(value) ? `"${name}"${colon}"${REDACTED}"` : all,
  );
  return redactPairs(out);
}

/** Copies a value (request parameters, task params) with every secret replaced, by name and by value. */
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
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string') return redactText(value.length > 2000 ? value.slice(0, 2000) + '…' : value);
  return value;
}

/**
 * A request body as the audit log keeps it when no handler summarised it (refused or failed calls):
 * environment entries keep their names only. Their values are configuration a user may not have
 * named like a secret (`DB_URL=postgres://…`), and a successful create records them the same way.
 */
export function withoutEnvValues(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('env' in body) || !Array.isArray(body.env)) return body;
  return { ...body, env: body.env.map((e: unknown) => (typeof e === 'string' ? `${e.split('=')[0]}=…` : e)) };
}
