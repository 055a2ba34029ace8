import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Lab {
  dockerSocket: string;
  libvirtUri: string;
  ssh: { host: string; port: number; user: string; privateKeyPath: string; publicKeyPath: string; hostKeyFingerprint: string };
  sshImpostor: { port: number; hostKeyFingerprint: string };
  dockerImage: string;
  storagePool: string;
  libvirtNetwork: string | null;
  /** A Linux bridge with no uplink (scripts/lab.sh), for bridged libvirt networks. */
  bridge: string;
  /** A distribution registry with htpasswd auth (plain HTTP on loopback, which docker allows). */
  registry: { address: string; username: string; password: string };
  /** The bootable VM kit (kernel + busybox initrd with a root shell on ttyS0). */
  vmKit: { kernel: string; initrd: string; cmdline: string; prompt: string };
  /** A second, distinct libvirt to migrate to: qemu:///session of a lab user behind its own sshd (scripts/lab/second-libvirt.sh). */
  secondLibvirt: {
    user: string;
    uri: string;
    hostUuid: string | null;
    ssh: { host: string; port: number; user: string; privateKeyPath: string; knownHostsPath: string; hostKeyFingerprint: string };
    migrationUri: string;
  };
}

const LAB_FILE = resolve(import.meta.dirname, '../../../../.lab/lab.json');

/** The test lab is a hard requirement: a missing lab fails the suite, it never skips it. */
export function readLab(): Lab {
  if (!existsSync(LAB_FILE)) {
    throw new Error(`The test lab is not up (${LAB_FILE} is missing). Run: bash scripts/lab.sh up`);
  }
  return JSON.parse(readFileSync(LAB_FILE, 'utf8')) as Lab;
}

export const labPrivateKey = (lab: Lab) => readFileSync(lab.ssh.privateKeyPath, 'utf8');
