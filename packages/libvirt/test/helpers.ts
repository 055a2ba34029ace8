import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const fixture = (name: string): string => readFileSync(resolve(import.meta.dirname, 'fixtures', name), 'utf8');

export interface CaptureMeta {
  vmName: string;
  richName: string;
  volumes: string[];
  vmSampleElapsedMs: number;
  richSampleElapsedMs: number;
}
export const captureMeta = (): CaptureMeta => JSON.parse(fixture('qemu-capture.json')) as CaptureMeta;

export interface Lab {
  libvirtUri: string;
  storagePool: string;
  libvirtNetwork: string;
  vmKit: { kernel: string; initrd: string; cmdline: string; domainType: 'qemu' | 'kvm' };
}

const LAB_FILE = resolve(import.meta.dirname, '../../../.lab/lab.json');

/** The lab is a hard requirement, as for the server's integration tests: a missing lab fails, never skips. */
export function readLab(): Lab {
  if (!existsSync(LAB_FILE)) throw new Error(`The test lab is not up (${LAB_FILE} is missing). Run: bash scripts/lab.sh up`);
  return JSON.parse(readFileSync(LAB_FILE, 'utf8')) as Lab;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv locally with LC_ALL=C. With `input`, stdin goes through `cat |` because Node gives
 * children a socketpair for stdin and virsh cannot open /dev/stdin on a socket (ENXIO); sshd
 * provides a real pipe, which is what `cat` recreates here.
 */
export function run(argv: readonly string[], input?: string): RunResult {
  const env = { ...process.env, LC_ALL: 'C' };
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  const r =
    input === undefined
      ? spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 30_000 })
      : spawnSync('sh', ['-c', 'cat | "$@"', 'sh', cmd, ...args], { input, encoding: 'utf8', env, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function runOk(argv: readonly string[], input?: string): string {
  const r = run(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
