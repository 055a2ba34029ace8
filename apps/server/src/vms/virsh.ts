import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner, SshError, type CommandRunner, type ExecResult, type ProcessChannel, type SpawnOptions } from '@mirador/ssh';
import { XML_FROM_STDIN } from '@mirador/libvirt';
import { HttpError } from '../lib/http-errors.js';
import { assertTestFileInsideDir, usableLibvirtUri } from '../hosts/libvirt-endpoint.js';

/** A virsh failure with libvirt's own message ("error: Requested operation is not valid: …"). */
export class VirshError extends HttpError {
  constructor(
    message: string,
    readonly stderr: string,
    statusCode = 409,
  ) {
    super(statusCode, message, { code: 'libvirt_error' });
  }
}

function libvirtMessage(res: ExecResult): string {
  const lines = res.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const msg = lines.filter((l) => !/^error: failed to connect to the hypervisor$/i.test(l)).join(' ') || lines.join(' ');
  if (msg) return msg.replace(/^error:\s*/i, '');
  // No exit code: virsh (or the `timeout` that bounds it) was ended by a signal.
  return res.code === null ? `virsh was ended by signal ${res.signal ?? 'unknown'}` : `virsh exited with code ${res.code}`;
}

/** stderr of a virsh that could not reach libvirt at all (nothing in the session can have worked). */
export const isConnectFailure = (stderr: string) =>
  /failed to connect to the hypervisor|failed to connect socket|no valid connection/i.test(stderr);

/**
 * Defence in depth: whoever built the argv, virsh only ever connects to a URI Mirador builds; a
 * test-driver file is first judged on the host to lie inside the allowed directory.
 */
async function guardUri(runner: CommandRunner, argv: readonly string[]): Promise<void> {
  const c = argv.findIndex((a) => a === '-c' || a === '--connect');
  if (c < 0) return;
  const uri = usableLibvirtUri(argv[c + 1]);
  await assertTestFileInsideDir((a) => runner.exec(a, { timeoutMs: 10_000 }), uri);
}

/** A host that cannot be reached (down, refused login, changed host key) is a 502 people can read. */
function unreachable(err: unknown): unknown {
  return err instanceof SshError ? new HttpError(502, `The host is not reachable: ${err.message}`, { code: err.code }) : err;
}

async function execOnHost(
  runner: CommandRunner,
  argv: readonly string[],
  opts: { timeoutMs: number; stdin?: string },
): Promise<ExecResult> {
  try {
    await guardUri(runner, argv);
    return await runner.exec(argv, opts);
  } catch (err) {
    throw unreachable(err);
  }
}

/** Starts a long-running virsh (an event stream) on a host, with the same guard and errors as `runVirsh`. */
export async function spawnVirsh(runner: CommandRunner, argv: readonly string[], opts?: SpawnOptions): Promise<ProcessChannel> {
  try {
    await guardUri(runner, argv);
    return await runner.spawn(argv, opts);
  } catch (err) {
    throw unreachable(err);
  }
}

/** Runs virsh argv on a host and returns stdout; failures become errors people can read. */
export async function runVirsh(
  runner: CommandRunner,
  argv: readonly string[],
  opts: { timeoutMs?: number; stdin?: string } = {},
): Promise<string> {
  const res = await execOnHost(runner, argv, { timeoutMs: opts.timeoutMs ?? 60_000, stdin: opts.stdin });
  if (res.timedOut)
    throw new HttpError(504, `virsh did not answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`, { code: 'timeout' });
  if (res.code === 127)
    throw new HttpError(502, 'virsh is not installed on this host (install libvirt-clients)', { code: 'libvirt_missing' });
  if (res.code !== 0) throw new VirshError(libvirtMessage(res), res.stderr);
  return res.stdout;
}

/**
 * Tokens allowed inside a virsh command script. virsh parses its one-argument form itself, so
 * instead of quoting for a second parser, only tokens without any special character are accepted.
 */
const SCRIPT_TOKEN = /^[A-Za-z0-9._+:/=@-]+$/;
export const SPLIT_MARKER = '---MIRADOR-SPLIT---';

/**
 * Runs several virsh commands in ONE session (`virsh -c URI 'cmd1; echo MARK; cmd2'`), so a
 * full inventory of hundreds of domains costs two round trips instead of hundreds.
 */
export async function virshBatch(
  runner: CommandRunner,
  uri: string,
  commands: readonly (readonly string[])[],
  timeoutMs = 120_000,
): Promise<string[]> {
  if (commands.length === 0) return [];
  for (const cmd of commands) {
    for (const token of cmd) if (!SCRIPT_TOKEN.test(token)) throw new Error(`Refusing unsafe virsh token ${JSON.stringify(token)}`);
  }
  const script = commands.map((c) => c.join(' ')).join(`; echo ${SPLIT_MARKER}; `);
  const res = await execOnHost(runner, ['virsh', '-c', uri, script], { timeoutMs });
  if (res.timedOut) throw new HttpError(504, 'virsh did not answer in time', { code: 'timeout' });
  if (res.code === 127)
    throw new HttpError(502, 'virsh is not installed on this host (install libvirt-clients)', { code: 'libvirt_missing' });
  const parts = res.stdout.split(`${SPLIT_MARKER}\n`);
  if (parts.length !== commands.length) {
    // A connection failure prints nothing at all; report libvirt's reason.
    throw new VirshBatchError(libvirtMessage(res), res.stderr, parts.slice(0, -1));
  }
  return parts;
}

/**
 * A batch that virsh did not finish (it died, or could not connect): `completed` holds the output
 * of the commands that did run to their end, in order; the command after them is the one it stopped in.
 */
export class VirshBatchError extends VirshError {
  constructor(
    message: string,
    stderr: string,
    readonly completed: readonly string[],
  ) {
    super(message, stderr, 502);
  }
}

/** Whether a token can go into a virsh command script (see virshBatch); other names are read with argv. */
export const isScriptToken = (token: string) => SCRIPT_TOKEN.test(token);

/**
 * Runs a virsh command that reads XML from a file argument. Over SSH the XML travels on stdin
 * (`/dev/stdin` is a pipe there); a local child's stdin is a socket that virsh cannot open by
 * path, so locally the XML goes through a private temp file instead.
 */
export async function runVirshWithXml(runner: CommandRunner, argvFor: (file: string) => string[], xml: string): Promise<string> {
  if (!(runner instanceof LocalRunner)) return runVirsh(runner, argvFor(XML_FROM_STDIN), { stdin: xml });
  const dir = await mkdtemp(join(tmpdir(), 'mirador-xml-'));
  try {
    const file = join(dir, 'domain.xml');
    await writeFile(file, xml, { mode: 0o600 });
    return await runVirsh(runner, argvFor(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
