import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { hostname } from 'node:os';
import type { HostFacts } from '@mirador/contract';
import { execArgv, type SshClient } from '@mirador/ssh';

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
export async function probeOverSsh(client: SshClient, opts: { libvirtUri: string | null; docker: boolean }): Promise<HostFacts> {
  const run = (argv: string[]) => execArgv(client, argv, { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
  const [uname, host, osRelease, kvm, virsh, docker] = await Promise.all([
    run(['uname', '-srm']),
    run(['hostname']),
    run(['cat', '/etc/os-release']),
    run(['test', '-c', '/dev/kvm']),
    opts.libvirtUri ? run(['virsh', '-c', opts.libvirtUri, 'version', '--daemon']) : null,
    opts.docker ? run(['docker', 'version', '--format', '{{.Server.Version}}']) : null,
  ]);
  const facts: HostFacts = {
    hostname: firstLine(host.stdout) || undefined,
    os: parseOsRelease(osRelease.stdout),
    kernel: uname.stdout.trim().split(' ').slice(0, 2).join(' ') || undefined,
    arch: uname.stdout.trim().split(' ')[2] || undefined,
    kvm: kvm.code === 0,
  };
  if (virsh) {
    if (virsh.code === 0) facts.libvirtVersion = parseVirshVersion(virsh.stdout) ?? firstLine(virsh.stdout);
    else facts.libvirtError = firstLine(virsh.stderr) || (virsh.code === 127 ? 'virsh is not installed' : `virsh exited with ${virsh.code}`);
  }
  if (docker) {
    if (docker.code === 0) facts.dockerVersion = firstLine(docker.stdout);
    else facts.dockerError = firstLine(docker.stderr) || (docker.code === 127 ? 'docker is not installed' : `docker exited with ${docker.code}`);
  }
  return facts;
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
      reject(new Error(err.code === 'EACCES' ? `Permission denied on ${socketPath}` : err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? `No Docker engine answers on ${socketPath}` : err.message)),
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
