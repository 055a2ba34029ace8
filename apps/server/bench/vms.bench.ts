/**
 * VM benchmark (issue: "Benchmark — a script, not a test; print figures").
 *   bash scripts/bench.sh vms
 * Needs the lab (bash scripts/lab.sh up). Prints:
 *  - GET /api/vms p50/p99 with 500 extra domains (defined, never started) in the lab's libvirt, against the floor of
 *    `virsh list --all` over the same SSH connection;
 *  - time from `virsh destroy` on the host to the change reaching a websocket client;
 *  - console keystroke echo round trip through Mirador vs a direct `virsh console` over SSH.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SshHostConnection } from '@mirador/ssh';
import { consoleArgv, withCLocale } from '@mirador/libvirt';
import { startTestApp } from '../test/helpers/app.js';
import { labPrivateKey, readLab } from '../test/helpers/lab.js';
import { wsConnect } from '../test/helpers/ws-client.js';

// Server and worker-process messages are read loosely here: the benchmark's own checks (workload present,
// counts reached) judge them, and typing every worker message would only restate them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = { type: string; [k: string]: any };
// Never block the event loop while measuring: the server under test runs in this process.
const virshAsync = (...args: string[]) => promisify(execFile)('virsh', ['-c', 'qemu:///system', ...args]);
const lab = readLab() as ReturnType<typeof readLab> & { vmKit: { kernel: string; initrd: string } };
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 500);

function pct(samples: number[], p: number) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
function report(label: string, samples: number[]) {
  console.log(
    `${label.padEnd(58)} n=${String(samples.length).padStart(3)}  p50 ${fmt(pct(samples, 50)).padStart(10)}  p99 ${fmt(pct(samples, 99)).padStart(10)}`,
  );
}

/**
 * The big inventory: domains defined (never started) in the lab's qemu:///system and removed at the
 * end. Mirador only reaches local endpoints it builds, so a test-driver file is not an option.
 */
const SYSTEM = 'qemu:///system';
const benchName = (i: number) => `mirador-test-bench-list-${String(i).padStart(4, '0')}`;

function defineBenchDomains(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-bench-'));
  try {
    const files = Array.from({ length: n }, (_, i) => {
      const file = join(dir, `${benchName(i)}.xml`);
      writeFileSync(
        file,
        `<domain type='qemu'><name>${benchName(i)}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>` +
          `<devices><disk type='file' device='disk'><source file='/guest/bench-${i}.img'/><target dev='vda' bus='virtio'/></disk>` +
          `<interface type='user'><mac address='52:54:00:${[i >> 8, i & 255, 1].map((x) => x.toString(16).padStart(2, '0')).join(':')}'/></interface>` +
          `<serial type='pty'/></devices></domain>`,
      );
      return file;
    });
    execFileSync('virsh', ['-q', '-c', SYSTEM, files.map((f) => `define ${f}`).join('; ')], {
      stdio: 'ignore',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function undefineBenchDomains(n: number) {
  const script = Array.from({ length: n }, (_, i) => `undefine ${benchName(i)}`).join('; ');
  try {
    execFileSync('virsh', ['-q', '-c', SYSTEM, script], { stdio: 'ignore' });
  } catch {
    /* some were never defined */
  }
}

async function main() {
  undefineBenchDomains(DOMAINS);
  defineBenchDomains(DOMAINS);
  const t = await startTestApp();
  try {
    const admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const key = labPrivateKey(lab);
    const addHost = async (name: string, libvirtUri: string) => {
      const h = (
        await t.call({
          method: 'POST',
          url: '/api/hosts',
          cookie: admin,
          payload: { name, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: key, libvirtUri },
        })
      ).json();
      const tested = (await t.call({ method: 'POST', url: `/api/hosts/${h.id}/test`, cookie: admin })).json<{ ok: boolean }>();
      if (!tested.ok) throw new Error(`the lab host does not answer over SSH: ${JSON.stringify(tested)}`);
      return h;
    };
    const real = await addHost('lab', SYSTEM);

    console.log(`\n== Inventory: ${DOMAINS} defined domains + the lab's VMs ==`);
    let t0 = performance.now();
    const first = (await t.call({ method: 'GET', url: '/api/vms', cookie: admin })).json<{
      items: Array<{ name: string; hostId: string }>;
      hosts: Array<{ hostId: string; ok: boolean; loading: boolean; error: string | null }>;
    }>();
    const firstMs = performance.now() - t0;
    // Figures about an inventory that did not load would mean nothing: the host must have loaded without
    // an error, and every bench domain must be in the list, before anything is printed.
    const status = first.hosts.find((h) => h.hostId === real.id);
    const benchListed = new Set(
      first.items.filter((v) => v.hostId === real.id && v.name.startsWith('mirador-test-bench-list-')).map((v) => v.name),
    );
    if (!status?.ok || status.loading || benchListed.size !== DOMAINS)
      throw new Error(
        `the workload is not there: ${benchListed.size} of ${DOMAINS} bench domains listed, host ${JSON.stringify(status ?? null)}`,
      );
    console.log(`first load (cold, batched dumpxml)`.padEnd(58), fmt(firstMs), `— ${first.items.length} VMs (${DOMAINS} bench domains)`);
    const listSamples: number[] = [];
    for (let i = 0; i < 200; i++) {
      t0 = performance.now();
      const res = await fetch(`http://${base}/api/vms`, { headers: { cookie: admin } });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`GET /api/vms: HTTP ${res.status}`);
      listSamples.push(performance.now() - t0);
    }
    report('GET /api/vms over HTTP (warm inventory)', listSamples);
    const runner = await t.app.connections.runner(real.id);
    const floor: number[] = [];
    for (let i = 0; i < 30; i++) {
      t0 = performance.now();
      await runner.exec(['virsh', '-c', SYSTEM, 'list', '--all']);
      floor.push(performance.now() - t0);
    }
    report('floor: virsh list --all over the same SSH connection', floor);

    console.log('\n== virsh destroy on the host → websocket client ==');
    const ws = await wsConnect<Msg>(`ws://${base}/api/ws`, admin);
    ws.send({ type: 'subscribe', topic: 'vms' });
    await ws.waitFor((m) => m.type === 'subscribed');
    await t.call({ method: 'GET', url: `/api/hosts/${real.id}/vms`, cookie: admin });
    const latency: number[] = [];
    const virshOnly: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `mirador-test-bench-${randomBytes(2).toString('hex')}`;
      const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><kernel>${lab.vmKit.kernel}</kernel><initrd>${lab.vmKit.initrd}</initrd><cmdline>console=ttyS0</cmdline></os><devices><serial type='pty'/></devices></domain>`;
      const path = `/tmp/${name}.xml`;
      writeFileSync(path, xml);
      await virshAsync('create', path);
      await ws.waitFor((m) => m.type === 'vm.updated' && m.vm.name === name, 20_000);
      t0 = performance.now();
      let virshDone = 0;
      const destroyed = virshAsync('destroy', name).then(() => (virshDone = performance.now()));
      await ws.waitFor(
        (m) => (m.type === 'vm.removed' && m.name === name) || (m.type === 'vm.updated' && m.vm.name === name && m.vm.state === 'shut off'),
        20_000,
      );
      const seen = performance.now();
      await destroyed;
      latency.push(seen - t0);
      virshOnly.push(virshDone - t0);
    }
    report('virsh destroy started → websocket client has the change', latency);
    report('(for scale: the virsh destroy command itself returns after)', virshOnly);
    ws.close();

    console.log('\n== Console keystroke echo round trip ==');
    const name = `mirador-test-bench-con-${randomBytes(2).toString('hex')}`;
    writeFileSync(
      `/tmp/${name}.xml`,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><kernel>${lab.vmKit.kernel}</kernel><initrd>${lab.vmKit.initrd}</initrd><cmdline>console=ttyS0</cmdline></os><devices><serial type='pty'/><console type='pty'/></devices></domain>`,
    );
    const watch = await wsConnect<Msg>(`ws://${base}/api/ws`, admin);
    watch.send({ type: 'subscribe', topic: 'vms' });
    await watch.waitFor((m) => m.type === 'subscribed');
    await virshAsync('create', `/tmp/${name}.xml`);
    try {
      await watch.waitFor((m) => m.type === 'vm.updated' && m.vm.name === name && m.vm.state === 'running', 20_000);
      watch.close();
      const con = await wsConnect<Msg>(`ws://${base}/api/hosts/${real.id}/vms/${name}/console`, admin);
      await con.waitFor((m) => m.type === 'status' && m.state === 'attached', 60_000);
      const out = () =>
        con.messages
          .filter((m) => m.type === 'output')
          .map((m) => m.data)
          .join('');
      for (let i = 0; i < 90 && !out().includes('lab-vm#'); i++) {
        con.send({ type: 'input', data: '\r' });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const viaMirador: number[] = [];
      for (let i = 0; i < 30; i++) {
        const ch = String.fromCharCode(97 + (i % 26));
        const before = con.messages.length;
        t0 = performance.now();
        con.send({ type: 'input', data: ch });
        await con.waitFor((m) => con.messages.indexOf(m) >= before && m.type === 'output' && String(m.data).includes(ch), 10_000);
        viaMirador.push(performance.now() - t0);
      }
      con.send({ type: 'input', data: '\x15' }); // ^U clears the typed line
      con.close();
      report('through Mirador (websocket → shared console)', viaMirador);

      await new Promise((r) => setTimeout(r, 16_000)); // let Mirador's idle console close (one stream per VM)
      const direct = new SshHostConnection({ host: lab.ssh.host, port: lab.ssh.port, username: lab.ssh.user, privateKey: key });
      const chan = await direct.spawn(withCLocale(consoleArgv('qemu:///system', name)), { pty: { cols: 80, rows: 24 } });
      let text = '';
      chan.on('data', (d: Buffer) => (text += d.toString()));
      await new Promise((r) => setTimeout(r, 1000));
      const viaSsh: number[] = [];
      for (let i = 0; i < 30; i++) {
        const ch = String.fromCharCode(97 + (i % 26));
        const start = text.length;
        t0 = performance.now();
        chan.write(ch);
        while (!text.slice(start).includes(ch)) await new Promise((r) => setImmediate(r));
        viaSsh.push(performance.now() - t0);
      }
      chan.kill('KILL');
      await direct.close();
      report('direct virsh console over SSH', viaSsh);
    } finally {
      execFileSync('virsh', ['-c', 'qemu:///system', 'destroy', name], { stdio: 'ignore' });
    }
  } finally {
    await t.close();
    undefineBenchDomains(DOMAINS);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
