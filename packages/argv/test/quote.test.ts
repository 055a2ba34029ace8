import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArg, toCommandLine } from '../src/index.js';

const hostile = [
  'x; rm -rf /',
  '$(reboot)',
  '`id`',
  "it's",
  '../x',
  '<domain>&amp;</domain>',
  'a\nb',
  '"double" \\ back',
  '',
  ' leading space',
  '*',
  '~root',
  '--flag=$HOME',
];

describe('quoteArg', () => {
  it('leaves plain words readable', () => {
    expect(toCommandLine(['virsh', '-c', 'qemu:///system', 'list', '--all'])).toBe('virsh -c qemu:///system list --all');
  });

  it.each(hostile)('a real POSIX shell receives %j unchanged', (arg) => {
    // printf prints each argument between markers; the shell must see exactly one argument.
    const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${quoteArg(arg)}`]).toString();
    expect(out).toBe(`[${arg}]`);
  });

  it('keeps argument boundaries for a whole argv', () => {
    const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${toCommandLine(hostile)}`]).toString();
    expect(out).toBe(hostile.map((a) => `[${a}]`).join(''));
  });

  it('refuses NUL bytes', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/);
  });
});
