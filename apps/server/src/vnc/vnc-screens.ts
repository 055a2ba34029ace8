import type { Duplex } from 'node:stream';
import { toCommandLine, type CommandRunner } from '@mirador/ssh';
import { loopbackVncPort, parseVncDisplay, securityDumpxmlArgv } from '@mirador/libvirt';
import { ByteQueue, handshakeWithServer, RfbError } from '@mirador/rfb';
import type { VmSummary } from '@mirador/contract';
import { runVirsh } from '../vms/virsh.js';
import { VncTickets } from './vnc-tickets.js';
import { VncViewerSession } from './vnc-session.js';

/** Each handshake step with the display must answer within this long (TCG guests are slow, QEMU is not). */
const HANDSHAKE_STEP_MS = 10_000;

/** The display could not be reached now; `message` says why, for the viewer. */
export class ScreenUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScreenUnavailable';
  }
}

export interface ScreenHost {
  id: string;
  name: string;
  kind: string;
  address: string;
  port: number;
  username: string;
  libvirtUri: string;
}

export interface VncScreensDeps {
  runner(hostId: string): Promise<CommandRunner>;
  /** The VM as the inventory sees it (throws 404 when unknown). */
  vm(hostId: string, name: string): Promise<Pick<VmSummary, 'state' | 'graphics'>>;
}

/**
 * The graphical consoles: tickets, and one tunnelled session per watching browser, counted per VM
 * so everyone watching sees how many do.
 */
export class VncScreens {
  readonly tickets = new VncTickets();
  private watching = new Map<string, Set<VncViewerSession>>();

  constructor(private readonly deps: VncScreensDeps) {}

  /** Refuses early (before a ticket is spent) when there is no screen to see. */
  async check(hostId: string, name: string): Promise<void> {
    const vm = await this.deps.vm(hostId, name);
    if (!vm.graphics.some((g) => g.type === 'vnc'))
      throw new ScreenUnavailable('This VM has no VNC display (it was created serial-only); its serial console still works');
    if (vm.state !== 'running') throw new ScreenUnavailable('The VM is not running; start it to see its screen');
  }

  /**
   * Opens a tunnel to the VM's display through the host connection and does the display's side of
   * the RFB handshake (with its password, read from the host for this connection only).
   */
  async open(host: ScreenHost, name: string): Promise<VncViewerSession> {
    await this.check(host.id, name);
    const runner = await this.deps.runner(host.id);
    const display = parseVncDisplay(await runVirsh(runner, securityDumpxmlArgv(host.libvirtUri, name)));
    if (!display) throw new ScreenUnavailable('This VM has no VNC display');
    const where = loopbackVncPort(display);
    if ('refused' in where) throw new ScreenUnavailable(where.refused);
    let tunnel: Duplex;
    try {
      tunnel = await runner.openLoopbackPort(where.port);
    } catch (err) {
      throw new ScreenUnavailable(`Could not reach the display on ${host.name}: ${(err as Error).message}`);
    }
    const queue = new ByteQueue(HANDSHAKE_STEP_MS);
    const feed = (chunk: Buffer) => queue.push(chunk);
    const gone = () => queue.end(new RfbError('The display closed the connection during the handshake'));
    tunnel.on('data', feed);
    tunnel.once('close', gone);
    tunnel.once('error', gone);
    try {
      const init = await handshakeWithServer(tunnel, queue, { password: display.password });
      tunnel.off('data', feed);
      tunnel.off('close', gone);
      tunnel.off('error', gone);
      const key = `${host.id}/${name}`;
      return new VncViewerSession(tunnel, init, queue.drain(), {
        joined: (s) => {
          const set = this.watching.get(key) ?? new Set();
          this.watching.set(key, set.add(s));
          this.announce(key);
        },
        left: (s) => {
          const set = this.watching.get(key);
          set?.delete(s);
          if (set?.size === 0) this.watching.delete(key);
          this.announce(key);
        },
      });
    } catch (err) {
      tunnel.destroy();
      throw err instanceof RfbError ? new ScreenUnavailable(err.message) : err;
    }
  }

  viewers(hostId: string, name: string) {
    return this.watching.get(`${hostId}/${name}`)?.size ?? 0;
  }

  /** The same screen from a workstation: virt-viewer tunnels through the same SSH login. */
  commandFor(host: ScreenHost, name: string): string {
    if (host.kind === 'local') return toCommandLine(['virt-viewer', '--connect', host.libvirtUri, name]);
    const path = new URL(host.libvirtUri).pathname;
    const driver = host.libvirtUri.split(':')[0];
    const address = host.address.includes(':') ? `[${host.address}]` : host.address;
    const uri = `${driver}+ssh://${host.username}@${address}${host.port === 22 ? '' : `:${host.port}`}${path}`;
    return toCommandLine(['virt-viewer', '--connect', uri, name]);
  }

  private announce(key: string) {
    const set = this.watching.get(key);
    if (!set) return;
    for (const s of set) s.announce(set.size);
  }
}
