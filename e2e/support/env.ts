import fs from 'node:fs';
import path from 'node:path';

/** Repository root (e2e/ lives directly under it). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The administrator created by the first spec and used by the others. */
export const ADMIN = { username: 'admin', password: 'e2e-Admin-passw0rd' } as const;

export interface LabInfo {
  ssh: {
    host: string;
    port: number;
    user: string;
    privateKeyPath: string;
    hostKeyFingerprint: string;
  };
  /** A second sshd with a different host key (for host-key-mismatch tests). */
  sshImpostor?: { port: number; hostKeyFingerprint: string };
  /** libvirt URI of the lab's own daemon (for out-of-band cleanup with virsh). */
  libvirtUri?: string;
  /** A tiny bootable guest: kernel + initrd that drop to a root shell on the serial console. */
  vmKit?: { kernel: string; initrd: string; cmdline: string; domainType: string; prompt: string; banner: string };
  [key: string]: unknown;
}

export const LAB_JSON = path.join(REPO_ROOT, '.lab', 'lab.json');

/**
 * The lab (bash scripts/lab.sh up) must be running. Missing lab → hard failure, never a skip:
 * a green run must mean the SSH flows were really exercised.
 */
export function readLab(): LabInfo {
  if (!fs.existsSync(LAB_JSON)) {
    throw new Error(
      `E2E LAB MISSING: ${LAB_JSON} does not exist.\n` +
        `Start the lab first:  bash scripts/lab.sh up\n` +
        `The end-to-end suite needs the lab's SSH host and refuses to skip those flows.`,
    );
  }
  const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabInfo;
  const ssh = lab.ssh;
  if (!ssh?.host || !ssh.port || !ssh.user || !ssh.privateKeyPath || !ssh.hostKeyFingerprint) {
    throw new Error(`E2E LAB INVALID: ${LAB_JSON} lacks ssh.{host,port,user,privateKeyPath,hostKeyFingerprint}`);
  }
  return lab;
}

/** The lab's private key, as a user would paste it. */
export function readLabPrivateKey(lab: LabInfo): string {
  const p = path.isAbsolute(lab.ssh.privateKeyPath) ? lab.ssh.privateKeyPath : path.join(REPO_ROOT, lab.ssh.privateKeyPath);
  if (!fs.existsSync(p)) throw new Error(`E2E LAB INVALID: private key ${p} (from ${LAB_JSON}) does not exist`);
  return fs.readFileSync(p, 'utf8');
}

/** Name of the host the host spec adds and later specs reuse. */
export const LAB_HOST_NAME = 'lab-ssh';

/** The lab's VM kit; missing → hard failure (the VM spec must really boot a guest). */
export function readVmKit(lab: LabInfo): NonNullable<LabInfo['vmKit']> {
  const kit = lab.vmKit;
  if (!kit?.kernel || !kit.initrd || !kit.prompt) {
    throw new Error(`E2E LAB INVALID: ${LAB_JSON} lacks vmKit.{kernel,initrd,prompt} — re-run: bash scripts/lab.sh up`);
  }
  return kit;
}

/** VMs the e2e suite creates start with this, so cleanup can find leftovers of failed runs. */
export const E2E_VM_PREFIX = 'mirador-test-e2e-';
