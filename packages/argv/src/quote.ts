/**
 * The one place where argv becomes a remote shell command line.
 *
 * SSH "exec" hands the remote user's shell a single string, so every argument is
 * single-quoted (POSIX: nothing is special inside '...', and a literal ' is written '\'').
 * User text never reaches the remote shell any other way.
 */
const SAFE_ARG = /^[A-Za-z0-9_\-+=/.,:@%]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('Arguments cannot contain NUL bytes');
  if (arg.length > 0 && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Renders argv as a command line: used for execution and for showing users the equivalent CLI. */
export function toCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('Empty command');
  return argv.map(quoteArg).join(' ');
}
