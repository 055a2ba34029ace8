import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { hostname } from 'node:os';
import type { HostFacts } from '@mirador/contract';
import { execArgv, type SshClient } from '@mirador/ssh';
import { parseLibvirtUri } from '@mirador/libvirt';
import { STORED_ENDPOINT_PROBLEM, assertTestFileInsideDir } from './libvirt-endpoint.js';

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

export function parseOsRelease(text: string): string | undefined {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] || undefined;
}

/** `virsh version --daemon` prints several lines; the daemon's version is what matters to users. */
export function parseVirshVersion(text: string): string | undefined {
  const daemon = /Running against daemon:\s*(\S+)/.exec(text)?.[1];
  const lib = /Using library:\s*libvirt\s+(\S+)/.exec(text)?.[1];
  const hv = /Running hypervisor:\s*(.+)/.exec(text)?.[1]?.trim();
  const v = daemon ?? lib;
  return v ? (hv ? `${v} (${hv})` : v) : undefined;
}

/** What a lab admin wants to know about a host, gathered with a few read-only commands. */
export async function probeOverSsh(
  client: SshClient,
  opts: { libvirtUri: string | null; docker: boolean; dockerSocket?: string | null },
): Promise<HostFacts> {
  const run = (argv: string[]) => execArgv(client, argv, { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
  // A stored URI Mirador did not build is never handed to virsh (it could name a program to run).
  const libvirtUsable = opts.libvirtUri !== null && parseLibvirtUri(opts.libvirtUri) !== null;
  const [uname, host, osRelease, kvm, virsh, docker] = await Promise.all([
    run(['uname', '-srm']),
    run(['hostname']),
    run(['cat', '/etc/os-release']),
    run(['test', '-c', '/dev/kvm']),
    libvirtUsable ? virshVersion(run, opts.libvirtUri!) : null,
    opts.docker ? probeDockerOverSsh(run, opts.dockerSocket ?? null) : null,
  ]);
  const facts: HostFacts = {
    hostname: firstLine(host.stdout) || undefined,
    os: parseOsRelease(osRelease.stdout),
    kernel: uname.stdout.trim().split(' ').slice(0, 2).join(' ') || undefined,
    arch: uname.stdout.trim().split(' ')[2] || undefined,
    kvm: kvm.code === 0,
  };
  if (opts.libvirtUri !== null && !libvirtUsable) facts.libvirtError = STORED_ENDPOINT_PROBLEM;
  if (virsh) {
    if (virsh.code === 0) facts.libvirtVersion = parseVirshVersion(virsh.stdout) ?? firstLine(virsh.stdout);
    else
      facts.libvirtError = firstLine(virsh.stderr) || (virsh.code === 127 ? 'virsh is not installed' : `virsh exited with ${virsh.code}`);
  }
  if (docker) {
    if (docker.code === 0) facts.dockerVersion = firstLine(docker.stdout);
    else
      facts.dockerError =
        firstLine(docker.stderr) || (docker.code === 127 ? 'docker is not installed' : `docker exited with ${docker.code}`);
  }
  return facts;
}

type Run = (argv: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/** `virsh version` on the host; a test-driver file outside its allowed directory is reported, never opened. */
async function virshVersion(run: Run, uri: string) {
  try {
    await assertTestFileInsideDir(run, uri);
  } catch (err) {
    return { code: 1, stdout: '', stderr: err instanceof Error ? err.message : String(err) };
  }
  return run(['virsh', '-c', uri, 'version', '--daemon']);
}

/**
 * `docker version` on the host, against the socket Mirador will forward to when the host names one.
 * The socket is checked first, after resolving symlinks on the host: a path that leads to something
 * other than a socket is reported instead of being talked to.
 */
async function probeDockerOverSsh(run: Run, socket: string | null) {
  if (socket) {
    const real = await run(['readlink', '-e', '--', socket]);
    const resolved = real.code === 0 ? real.stdout.trim() : '';
    if (!resolved) return { code: 1, stdout: '', stderr: `The Docker socket ${socket} does not exist on the host` };
    const isSocket = await run(['test', '-S', resolved]);
    if (isSocket.code !== 0) {
      const via = resolved === socket ? '' : ` (it resolves to ${resolved})`;
      return { code: 1, stdout: '', stderr: `The Docker socket ${socket} is not a socket on the host${via}` };
    }
    return run(['docker', '-H', `unix://${resolved}`, 'version', '--format', '{{.Server.Version}}']);
  }
  return run(['docker', 'version', '--format', '{{.Server.Version}}']);
}

/** Asks a Docker engine for its version over its unix socket. */
export function dockerVersionOverSocket(socketPath: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/version', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          const v = JSON.parse(body) as { Version?: string };
          if (res.statusCode !== 200 || !v.Version) return reject(new Error(`Docker answered HTTP ${res.statusCode}`));
          resolve(v.Version);
        } catch {
          reject(new Error('Docker answered something that is not JSON'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('Docker did not answer in time')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EACCES'
            ? `Permission denied on ${socketPath}`
            : err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
              ? `No Docker engine answers on ${socketPath}`
              : err.message,
        ),
      ),
    );
    req.end();
  });
}

export async function probeLocal(dockerSocket: string | null): Promise<HostFacts> {
  const facts: HostFacts = { hostname: hostname() };
  facts.os = parseOsRelease(await readFile('/etc/os-release', 'utf8').catch(() => ''));
  if (dockerSocket) {
    try {
      facts.dockerVersion = await dockerVersionOverSocket(dockerSocket);
    } catch (err) {
      facts.dockerError = (err as Error).message;
    }
  }
  return facts;
}
