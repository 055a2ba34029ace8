import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PidReportReader, withPidReport } from '../../src/docker/exec-reaper.js';

/** The wrapper must work in every POSIX sh an image may have: dash (Debian), BusyBox ash (Alpine), bash. */
const shells = [['dash'], ['busybox', 'sh'], ['bash']].filter(([bin]) => {
  try {
    execFileSync('which', [bin!], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

describe('the pid-reporting wrapper', () => {
  it.each(shells)('reports the pid of the command it becomes, in %s', (...sh) => {
    // The wrapper's own /bin/sh replaced by the shell under test; the command prints its own pid.
    const [, ...rest] = withPidReport(['sh', '-c', 'echo "me=$$"']);
    const out = execFileSync(sh[0]!, [...sh.slice(1), ...rest], { encoding: 'utf8' });
    const reader = new PidReportReader();
    const visible = reader.push(out);
    expect(reader.pid).toBeGreaterThan(0);
    // `exec` keeps the pid: the command's $$ is the one reported.
    expect(visible).toBe(`me=${reader.pid}\n`);
  });

  it('passes the command as arguments, never through the script', () => {
    const argv = withPidReport(['/bin/echo', '$(id)', '; rm -rf /']);
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv.slice(3)).toEqual(['sh', '/bin/echo', '$(id)', '; rm -rf /']);
  });
});

describe('PidReportReader', () => {
  it('holds output back until the report, split over chunks, and strips it', () => {
    const r = new PidReportReader();
    expect(r.push('\x1b]7770;mirador')).toBe('');
    expect(r.push('-pid=42\x07\r\n/ # ')).toBe('\r\n/ # ');
    expect(r.pid).toBe(42);
    expect(r.push('more')).toBe('more');
  });

  it('gives up and lets everything through when the report does not come first', () => {
    const r = new PidReportReader();
    expect(r.push('OCI runtime exec failed: ')).toBe('');
    expect(r.giveUp()).toBe('OCI runtime exec failed: ');
    expect(r.pid).toBeNull();
    expect(r.push('next')).toBe('next');
    const long = new PidReportReader();
    expect(long.push('x'.repeat(300))).toBe('x'.repeat(300));
    expect(long.gaveUp).toBe(true);
  });

  it('does not take a report the user types later', () => {
    const r = new PidReportReader();
    r.push('\x1b]7770;mirador-pid=7\x07');
    expect(r.push('\x1b]7770;mirador-pid=1\x07')).toBe('\x1b]7770;mirador-pid=1\x07');
    expect(r.pid).toBe(7);
  });
});
