/**
 * Re-captures test/fixtures/ from the real libvirt on this machine (the lab: bash scripts/lab.sh up).
 *
 *   pnpm --filter @mirador/libvirt run capture-fixtures
 *
 * Fixtures are committed so unit tests stay fast and deterministic; this script is how they were
 * made and how to refresh them after a libvirt upgrade. It only creates and removes domains and
 * volumes named mirador-test-*, and removes them even when a step fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDomainXml, parseDomainXml, type DomainSpec } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../test/fixtures');
const LAB_FILE = resolve(here, '../../../.lab/lab.json');
const TEST_URI = 'test:///default';
const VM_CONSOLE = resolve(here, '../../../scripts/lab/vm-console.py');

interface LabJson {
  libvirtUri: string;
  storagePool: string;
  libvirtNetwork: string;
  vmKit: { kernel: string; initrd: string; cmdline: string; domainType: 'qemu' | 'kvm' };
}

const env = { ...process.env, LC_ALL: 'C' };

function virsh(uri: string, args: string[], input?: string, allowFail = false): string {
  // Node hands a child its stdin as a socketpair, and open("/dev/stdin") on a socket fails with
  // ENXIO; `cat |` turns it into the real pipe that sshd also provides in production.
  const r =
    input === undefined
      ? spawnSync('virsh', ['-c', uri, ...args], { encoding: 'utf8', env, timeout: 60_000 })
      : spawnSync('sh', ['-c', 'cat | virsh "$@"', 'sh', '-c', uri, ...args], { input, encoding: 'utf8', env, timeout: 60_000 });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`virsh -c ${uri} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

function save(name: string, content: string): void {
  writeFileSync(resolve(FIXTURES, name), content);
  console.log(`  wrote ${name} (${content.length} bytes)`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForState(uri: string, name: string, want: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (virsh(uri, ['domstate', name], undefined, true).trim() === want) return true;
    await sleep(250);
  }
  return false;
}

function captureTestDriver(): void {
  console.log(`${TEST_URI}:`);
  save('test-dumpxml.xml', virsh(TEST_URI, ['dumpxml', 'test']));
  save('test-domstats-raw.txt', virsh(TEST_URI, ['domstats', '--raw']));
  save('test-capabilities.xml', virsh(TEST_URI, ['capabilities']));
  save('test-pool-dumpxml.xml', virsh(TEST_URI, ['pool-dumpxml', 'default-pool']));
  save('test-net-dumpxml.xml', virsh(TEST_URI, ['net-dumpxml', 'default']));
  save('test-list-name.txt', virsh(TEST_URI, ['list', '--all', '--name']));
  save('test-list-uuid.txt', virsh(TEST_URI, ['list', '--all', '--uuid']));
  save('test-domstate-reason.txt', virsh(TEST_URI, ['domstate', 'test', '--reason']));
  save('test-pool-list-name.txt', virsh(TEST_URI, ['pool-list', '--all', '--name']));
  save('test-net-list-name.txt', virsh(TEST_URI, ['net-list', '--all', '--name']));
  // test:///default is private to each virsh process, so volumes must be made in the same invocation.
  const volScript = [
    'vol-create-as default-pool mirador-a.qcow2 1G --format qcow2',
    "vol-create-as default-pool 'name with space.img' 10M",
    'vol-create-as default-pool tiny 100',
    'vol-list --pool default-pool --details',
  ].join('; ');
  const volOut = virsh(TEST_URI, [volScript]);
  save('test-vol-list-details.txt', volOut.slice(volOut.indexOf(' Name')));
}

async function captureQemu(lab: LabJson): Promise<void> {
  const uri = lab.libvirtUri;
  const tag = randomBytes(3).toString('hex');
  const vmName = `mirador-test-libvirt-${tag}`;
  const richName = `mirador-test-libvirt-${tag}-rich`;
  const volA = `mirador-test-libvirt-${tag}-a.qcow2`;
  const volB = `mirador-test-libvirt-${tag}-b.raw`;
  const createdDomains: string[] = [];
  const createdVolumes: string[] = [];
  console.log(`${uri}:`);

  save('qemu-capabilities.xml', virsh(uri, ['capabilities']));
  save('qemu-pool-dumpxml.xml', virsh(uri, ['pool-dumpxml', lab.storagePool]));
  save('qemu-net-dumpxml.xml', virsh(uri, ['net-dumpxml', lab.libvirtNetwork]));

  const events = spawn('virsh', ['-c', uri, 'event', '--all', '--loop', '--timestamp'], { env });
  let eventText = '';
  events.stdout.setEncoding('utf8').on('data', (d: string) => (eventText += d));
  await sleep(500);

  const meta: Record<string, unknown> = { vmName, richName, volumes: [volA, volB], capturedAt: new Date().toISOString() };
  try {
    virsh(uri, ['vol-create-as', lab.storagePool, volA, '1G', '--format', 'qcow2']);
    createdVolumes.push(volA);
    virsh(uri, ['vol-create-as', lab.storagePool, volB, '10M', '--format', 'raw']);
    createdVolumes.push(volB);
    save('qemu-vol-list-details.txt', virsh(uri, ['vol-list', '--pool', lab.storagePool, '--details']));

    // 1. The brief's minimal VM: transient, kernel boot, no disk, no network.
    const spec: DomainSpec = {
      name: vmName,
      memoryMiB: 128,
      vcpus: 1,
      domainType: lab.vmKit.domainType,
      boot: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: lab.vmKit.cmdline },
      disks: [],
      network: null,
      serialConsole: true,
    };
    const xml = buildDomainXml(spec);
    save('qemu-vm-built.xml', xml);
    virsh(uri, ['create', '/dev/stdin'], xml);
    createdDomains.push(vmName);
    if (!(await waitForState(uri, vmName, 'running', 20_000))) throw new Error(`${vmName} did not start`);
    await sleep(2000);
    save('qemu-vm-dumpxml.xml', virsh(uri, ['dumpxml', vmName]));
    save('qemu-vm-domstate-reason.txt', virsh(uri, ['domstate', vmName, '--reason']));
    const t1 = Date.now();
    const s1 = virsh(uri, ['domstats', '--raw', vmName]);
    await sleep(1000);
    const t2 = Date.now();
    const s2 = virsh(uri, ['domstats', '--raw', vmName]);
    save('qemu-vm-domstats-1.txt', s1);
    save('qemu-vm-domstats-2.txt', s2);
    meta.vmSampleElapsedMs = t2 - t1;
    virsh(uri, ['suspend', vmName]);
    save('qemu-vm-domstate-paused.txt', virsh(uri, ['domstate', vmName, '--reason']));
    virsh(uri, ['resume', vmName]);
    virsh(uri, ['destroy', vmName]);
    createdDomains.splice(createdDomains.indexOf(vmName), 1);

    // 2. A persistent VM with a disk and a NIC, for block/net counters and a richer dumpxml.
    const rich = buildDomainXml({
      ...spec,
      name: richName,
      vcpus: 2,
      osinfoId: 'http://debian.org/debian/12',
      disks: [{ kind: 'volume', pool: lab.storagePool, volume: volA, format: 'qcow2' }],
      network: { kind: 'network', name: lab.libvirtNetwork },
      graphics: 'vnc',
    });
    save('qemu-rich-built.xml', rich);
    virsh(uri, ['define', '/dev/stdin'], rich);
    createdDomains.push(richName);
    save('qemu-rich-dumpxml-inactive.xml', virsh(uri, ['dumpxml', richName, '--inactive']));
    virsh(uri, ['start', richName]);
    if (!(await waitForState(uri, richName, 'running', 20_000))) throw new Error(`${richName} did not start`);
    await sleep(3000);
    save('qemu-rich-dumpxml.xml', virsh(uri, ['dumpxml', richName]));
    const r1t = Date.now();
    const r1 = virsh(uri, ['domstats', '--raw', richName]);
    await sleep(1000);
    const r2t = Date.now();
    const r2 = virsh(uri, ['domstats', '--raw', richName]);
    save('qemu-rich-domstats-1.txt', r1);
    save('qemu-rich-domstats-2.txt', r2);
    meta.richSampleElapsedMs = r2t - r1t;
    // ACPI requests are lost while the guest is still booting, so wait for its shell prompt first.
    const waitForPrompt = () => {
      const pty = parseDomainXml(virsh(uri, ['dumpxml', richName])).serials[0]?.sourcePath;
      if (!pty) throw new Error('running domain has no serial pty');
      const r = spawnSync('python3', [VM_CONSOLE, pty, '--command', 'echo console-ok', '--expect', 'console-ok', '--timeout', '90'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`serial console check failed: ${r.stderr}`);
    };
    waitForPrompt();
    meta.serialConsoleWorks = true;
    virsh(uri, ['reboot', richName]);
    const rebootSeen = Date.now() + 30_000;
    while (!eventText.includes(`event 'reboot' for domain '${richName}'`) && Date.now() < rebootSeen) await sleep(250);
    meta.rebootEventSeen = eventText.includes(`event 'reboot' for domain '${richName}'`);
    waitForPrompt();
    virsh(uri, ['shutdown', richName]);
    const clean = await waitForState(uri, richName, 'shut off', 30_000);
    meta.richShutdownClean = clean;
    if (!clean) virsh(uri, ['destroy', richName], undefined, true);
    save('qemu-rich-domstate-off.txt', virsh(uri, ['domstate', richName, '--reason']));
    virsh(uri, ['undefine', richName]);
    createdDomains.splice(createdDomains.indexOf(richName), 1);
    await sleep(500);
  } finally {
    for (const d of createdDomains) {
      virsh(uri, ['destroy', d], undefined, true);
      virsh(uri, ['undefine', d], undefined, true);
    }
    for (const v of createdVolumes) virsh(uri, ['vol-delete', v, '--pool', lab.storagePool], undefined, true);
    events.kill('SIGTERM');
  }
  // Other people's domains show up on the shared daemon; keep only ours.
  const ours = eventText
    .split('\n')
    .filter((l) => l.includes(`'${vmName}`))
    .join('\n');
  save('qemu-events.txt', `${ours}\n`);
  save('qemu-capture.json', `${JSON.stringify(meta, null, 2)}\n`);
}

function captureOsinfo(): void {
  const r = spawnSync('osinfo-query', ['os', '--fields=short-id,name,version'], { encoding: 'utf8', env });
  if (r.status !== 0) {
    console.log('osinfo-query not installed (apt-get install libosinfo-bin): keeping existing osinfo fixtures');
    return;
  }
  save('osinfo-query-os.txt', r.stdout);
  const withId = spawnSync('osinfo-query', ['os', '--fields=short-id,name,version,id'], { encoding: 'utf8', env });
  // A slice is enough to pin the id column's format; the full table is ~130 KB.
  const lines = withId.stdout.split('\n');
  save(
    'osinfo-query-os-with-id.txt',
    `${[...lines.slice(0, 2), ...lines.slice(2).filter((l) => /debian|alpine|win11/.test(l))].join('\n')}\n`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(LAB_FILE)) throw new Error(`Lab is not up (${LAB_FILE} missing): bash scripts/lab.sh up`);
  const lab = JSON.parse(readFileSync(LAB_FILE, 'utf8')) as LabJson;
  mkdirSync(FIXTURES, { recursive: true });
  captureTestDriver();
  await captureQemu(lab);
  captureOsinfo();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
