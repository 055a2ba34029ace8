import { describe, expect, test } from 'vitest';
import { splitArgs } from '$lib/containers/argv';
import {
  containerListCommand,
  dockerNetworkListCommand,
  imageListCommand,
  libvirtNetworkListCommand,
  perHost,
  poolListCommand,
  vmListCommand,
  volListCommand,
  volumeListCommand,
} from './listCommands';

describe('list commands', () => {
  test('VMs: virsh list --all on the host’s connection; a state filter becomes virsh’s own flag', () => {
    expect(vmListCommand()).toBe('virsh list --all');
    expect(vmListCommand({ uri: 'qemu:///system' })).toBe('virsh -c qemu:///system list --all');
    expect(vmListCommand({ uri: 'qemu:///system', state: 'running' })).toBe('virsh -c qemu:///system list --all --state-running');
    expect(vmListCommand({ state: 'shut off' })).toBe('virsh list --all --state-shutoff');
    expect(vmListCommand({ state: 'paused' })).toBe('virsh list --all --state-paused');
    expect(vmListCommand({ state: 'crashed' })).toBe('virsh list --all --state-other');
  });

  test('VMs: the search becomes a quoted grep', () => {
    expect(vmListCommand({ query: 'web' })).toBe('virsh list --all | grep -iF -- web');
    expect(vmListCommand({ query: "it's; rm -rf /" })).toBe(`virsh list --all | grep -iF -- "it's; rm -rf /"`);
    expect(vmListCommand({ query: '   ' })).toBe('virsh list --all');
  });

  test('containers: docker ps -a with the UI’s filters', () => {
    expect(containerListCommand()).toBe('docker ps -a');
    expect(containerListCommand({ state: 'exited' })).toBe('docker ps -a --filter status=exited');
    expect(containerListCommand({ state: 'running', query: 'web' })).toBe('docker ps -a --filter status=running --filter name=web');
    expect(containerListCommand({ project: 'shop' })).toBe('docker ps -a --filter label=com.docker.compose.project=shop');
  });

  test('typed values are quoted so the shell reads them back unchanged', () => {
    const cmd = containerListCommand({ query: '$(touch /tmp/x) `id`' });
    const parsed = splitArgs(cmd);
    expect(parsed).toEqual({ ok: true, argv: ['docker', 'ps', '-a', '--filter', 'name=$(touch /tmp/x) `id`'] });
    const vol = volumeListCommand({ query: "a'b" });
    expect(splitArgs(vol)).toEqual({ ok: true, argv: ['docker', 'volume', 'ls', '--filter', "name=a'b"] });
  });

  test('images, volumes, networks', () => {
    expect(imageListCommand()).toBe('docker images');
    expect(imageListCommand({ dangling: true })).toBe('docker images --filter dangling=true');
    expect(volumeListCommand()).toBe('docker volume ls');
    expect(volumeListCommand({ unused: true, query: 'data' })).toBe('docker volume ls --filter dangling=true --filter name=data');
    expect(dockerNetworkListCommand()).toBe('docker network ls');
    expect(dockerNetworkListCommand({ query: 'lab' })).toBe('docker network ls --filter name=lab');
  });

  test('libvirt networks, pools and volumes', () => {
    expect(libvirtNetworkListCommand('qemu:///system')).toBe('virsh -c qemu:///system net-list --all');
    expect(poolListCommand(null)).toBe('virsh pool-list --all');
    expect(poolListCommand('qemu:///system')).toBe('virsh -c qemu:///system pool-list --all');
    expect(volListCommand('my pool', 'qemu:///system')).toBe('virsh -c qemu:///system vol-list "my pool" --details');
  });

  test('per host: one line each under a comment; a single host has no comment', () => {
    expect(perHost([{ name: 'lab', command: 'virsh list --all' }])).toBe('virsh list --all');
    expect(
      perHost([
        { name: 'a', command: 'virsh -c qemu:///system list --all' },
        { name: 'b\nx', command: 'virsh -c qemu:///session list --all' },
      ]),
    ).toBe('# a\nvirsh -c qemu:///system list --all\n# b x\nvirsh -c qemu:///session list --all');
    expect(perHost([])).toBe('');
  });
});
