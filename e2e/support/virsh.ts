import { execFileSync } from 'node:child_process';
import { readLab } from './env';

const LIBVIRT_URI = readLab().libvirtUri ?? 'qemu:///system';

/**
 * virsh against the lab's daemon directly (not through Mirador): for checks and cleanup. Quiet (`-q`);
 * a failing command answers '' (cleanup of what may not exist must not fail a spec).
 */
export function virsh(...args: string[]): string {
  try {
    return execFileSync('virsh', ['-q', '-c', LIBVIRT_URI, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return '';
  }
}
