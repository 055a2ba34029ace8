import { describe, expect, it } from 'vitest';
import type { CommandRunner, ExecResult } from '@mirador/ssh';
import { readDomains } from '../../src/vms/domain-reader.js';
import { SPLIT_MARKER } from '../../src/vms/virsh.js';

const URI = 'qemu:///system';
const xmlOf = (name: string) => `<domain type='qemu'><name>${name}</name></domain>\n`;
const ok = (stdout: string, stderr = ''): ExecResult => ({ code: 0, signal: null, stdout, stderr, timedOut: false });

/**
 * Plays virsh for the reader: the script form (`virsh -c URI 'a; echo MARK; b'`) and the argv form.
 * `dies(command)` makes virsh die in that command (killed by a signal, nothing on stderr), like a
 * virsh that crashes; `gone` domains answer "failed to get domain". Every session is recorded.
 */
function fakeVirsh(domains: string[], opts: { dies?: (cmd: string[]) => boolean; gone?: string[]; connectFails?: boolean } = {}) {
  const sessions: string[][][] = [];
  const answer = (cmd: string[]): { out: string; err?: string } => {
    const args = cmd.filter((a) => a !== '--domain' && a !== '--');
    const [verb, ...rest] = args;
    const name = verb === 'list' ? '' : verb === 'domstats' ? rest.at(-1)! : rest[0]!;
    if (verb === 'list') return { out: domains.join('\n') + '\n' };
    if (!domains.includes(name) || opts.gone?.includes(name)) return { out: '', err: `error: failed to get domain '${name}'\n` };
    if (verb === 'dumpxml') return { out: xmlOf(name) };
    if (verb === 'domstats') return { out: `Domain: '${name}'\n  state.state=1\n  state.reason=1\n\n` };
    if (verb === 'domifaddr') return { out: '' };
    throw new Error(`unexpected ${verb}`);
  };
  const runner = {
    async exec(argv: readonly string[]): Promise<ExecResult> {
      const [, , , ...rest] = argv;
      const commands = rest.length === 1 ? rest[0]!.split(`; echo ${SPLIT_MARKER}; `).map((c) => c.split(' ')) : [rest];
      sessions.push(commands);
      if (opts.connectFails)
        return { code: 1, signal: null, stdout: '', stderr: 'error: failed to connect to the hypervisor\n', timedOut: false };
      let stdout = '';
      let stderr = '';
      for (const [i, cmd] of commands.entries()) {
        if (opts.dies?.(cmd)) return { code: null, signal: 'SEGV', stdout, stderr, timedOut: false };
        const a = answer(cmd);
        stdout += a.out;
        if (a.err) stderr += a.err;
        if (i < commands.length - 1) stdout += `${SPLIT_MARKER}\n`;
      }
      // argv form: virsh's exit code says whether the one command worked.
      if (rest.length > 1 && stderr) return { code: 1, signal: null, stdout, stderr, timedOut: false };
      return ok(stdout, stderr);
    },
  } as unknown as CommandRunner;
  return { runner, sessions };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `vm-${String(i).padStart(3, '0')}`);

describe('readDomains: batched reads that degrade per domain', () => {
  it('reads 120 domains in three sessions of 50, the leading lists in the first', async () => {
    const all = names(120);
    const v = fakeVirsh(all);
    const { leading, domains } = await readDomains(v.runner, URI, all, { state: true, leading: [['list', '--all', '--name']] });
    expect(v.sessions.length).toBe(3);
    expect(v.sessions[0]![0]).toEqual(['list', '--all', '--name']);
    expect(leading).toEqual([all.join('\n') + '\n']);
    expect(domains.size).toBe(120);
    expect(domains.get('vm-007')).toMatchObject({ xml: xmlOf('vm-007'), state: 1 });
    expect([...domains.values()].some((d) => d.problem)).toBe(false);
  });

  it('a virsh that dies in one domain: the others are kept, that one says what failed', async () => {
    const all = names(10);
    const v = fakeVirsh(all, { dies: (cmd) => cmd[0] === 'domifaddr' && cmd.includes('vm-004') });
    const { domains } = await readDomains(v.runner, URI, all, { state: false });
    expect([...domains.keys()].sort()).toEqual(all);
    for (const n of all.filter((n) => n !== 'vm-004')) expect(domains.get(n)).toEqual({ xml: xmlOf(n), ips: new Map() });
    // Its definition was read on its own; only its addresses failed, and the row says so.
    expect(domains.get('vm-004')).toMatchObject({ xml: xmlOf('vm-004') });
    expect(domains.get('vm-004')!.problem).toMatch(/^Reading its addresses \(virsh domifaddr\) failed: virsh was ended by signal SEGV/);
    // The failed session, two commands for vm-004 alone (no state asked), one session for the domains after it.
    expect(v.sessions.length).toBe(4);
  });

  it('a domain whose definition cannot be read at all comes back without XML and with the reason', async () => {
    const all = names(4);
    const v = fakeVirsh(all, { dies: (cmd) => cmd[0] === 'dumpxml' && cmd.includes('vm-002') });
    const { domains } = await readDomains(v.runner, URI, all, { state: true });
    expect(domains.get('vm-002')).toMatchObject({ xml: null, state: 1 });
    expect(domains.get('vm-002')!.problem).toMatch(/definition \(virsh dumpxml\) failed: virsh was ended by signal SEGV/);
    expect(domains.get('vm-003')).toMatchObject({ xml: xmlOf('vm-003') });
  });

  it('a domain that vanished mid-read is gone, not a problem', async () => {
    const v = fakeVirsh(['a', 'b'], { gone: ['b'] });
    const { domains } = await readDomains(v.runner, URI, ['a', 'b'], { state: true });
    expect(domains.get('b')).toEqual({ xml: null, ips: new Map() });
  });

  it('names that cannot go into a command script are read on their own with argv', async () => {
    const odd = ['mirtest odd name', '-starts-with-dash', 'café'];
    const v = fakeVirsh(['plain', ...odd]);
    const { domains } = await readDomains(v.runner, URI, ['plain', ...odd], { state: true });
    for (const n of odd) expect(domains.get(n)).toMatchObject({ xml: xmlOf(n), state: 1 });
    expect(v.sessions.filter((s) => s.length > 1).length).toBe(1); // "plain" in one script
    expect(
      v.sessions
        .flat()
        .filter((c) => c[0] === 'dumpxml' && c.includes('--domain'))
        .map((c) => c.at(-1)),
    ).toEqual(odd);
  });

  it('does not ask stopped domains for addresses', async () => {
    const v = fakeVirsh(['up', 'down']);
    await readDomains(v.runner, URI, ['up', 'down'], { state: false, addresses: (n) => n === 'up' });
    expect(v.sessions[0]!.map((c) => c.join(' '))).toEqual(['dumpxml up', 'domifaddr up --source lease', 'dumpxml down']);
  });

  it('a failure of the whole host still rejects (nothing to blame on one domain)', async () => {
    const v = fakeVirsh(['a'], { connectFails: true });
    await expect(readDomains(v.runner, URI, ['a'], { state: true })).rejects.toThrow(/failed to connect/);
  });
});
