import type { VirtNetwork } from '@mirador/contract';
import { describe, expect, it } from 'vitest';
import { bulkImagePlan, bulkNetworkPlan, bulkVolumePlan, imageMenu } from '$lib/docker/bulkResources';
import { bulkNetPlan } from '$lib/libvirt-networks/bulkNetworks';
import { bulkVolumeDeletePlan, volDeleteCommand } from '$lib/storage/bulkVolumes';

/** The bulk plans of the images, volumes, networks, pool volumes and libvirt networks lists: targets, skips and exact lines. */
const ID = `sha256:${'ab'.repeat(32)}`;

describe('Docker lists', () => {
  it('an image row removes what it names: its tag, or an untagged image by ID', () => {
    const plan = bulkImagePlan([
      { img: { hostId: 'h', id: ID, tags: ['web:1', 'web:2'], containers: [] }, tag: 'web:1' },
      { img: { hostId: 'h', id: ID, tags: [], containers: [] }, tag: null },
    ]);
    expect(plan.skipped).toEqual([]);
    expect(plan.targets.map((t) => [t.key, t.label, t.command])).toEqual([
      [`h/${ID}/web:1`, 'web:1', 'docker rmi web:1'],
      [`h/${ID}/`, '<none> abababababab', `docker rmi ${ID}`],
    ]);
  });

  it('volumes and networks: docker volume rm / network rm; the engine’s own networks are left out', () => {
    expect(bulkVolumePlan([{ name: 'data' }]).targets[0]?.command).toBe('docker volume rm data');
    const plan = bulkNetworkPlan([
      { id: '1', name: 'bridge', builtin: true },
      { id: '2', name: 'front', builtin: false },
    ]);
    expect(plan.targets.map((t) => t.command)).toEqual(['docker network rm front']);
    expect(plan.skipped.map((s) => [s.label, s.reason])).toEqual([['bridge', 'it is one of the engine’s own networks']]);
  });

  it('a viewer’s image menu only exports', () => {
    const items = imageMenu({ img: { hostId: 'h', id: ID, tags: ['web:1'], containers: [] }, tag: 'web:1' }, 'h', {
      operate: false,
      onrequest: () => {},
    });
    expect(items.map((i) => i.id)).toEqual(['export']);
    expect(items[0]?.download).toBe('web_1.tar');
  });
});

describe('libvirt lists', () => {
  const cli = (name: string): VirtNetwork['cli'] => ({
    start: `virsh net-start ${name}`,
    stop: `virsh net-destroy ${name}`,
    autostartOn: '',
    autostartOff: '',
    delete: [`virsh net-destroy ${name}`, `virsh net-undefine ${name}`],
    dumpxml: '',
    leases: '',
  });

  it('start leaves out active networks; delete runs every line the server lists', () => {
    const nets = [
      { name: 'a', active: true, cli: cli('a') },
      { name: 'b', active: false, cli: cli('b') },
    ];
    const start = bulkNetPlan('start', nets);
    expect(start.targets.map((t) => t.command)).toEqual(['virsh net-start b']);
    expect(start.skipped.map((s) => s.reason)).toEqual(['it is active']);
    expect(bulkNetPlan('stop', nets).targets.map((t) => t.label)).toEqual(['a']);
    expect(bulkNetPlan('delete', nets).targets.map((t) => t.command)).toEqual([
      'virsh net-destroy a\nvirsh net-undefine a',
      'virsh net-destroy b\nvirsh net-undefine b',
    ]);
  });

  it('pool volumes: virsh vol-delete with the host’s URI, quoted', () => {
    expect(volDeleteCommand('default', 'disk 1.qcow2', 'qemu:///system')).toBe(
      'virsh -c qemu:///system vol-delete "disk 1.qcow2" --pool default',
    );
    expect(bulkVolumeDeletePlan('p', [{ name: 'a.img' }]).targets[0]?.command).toBe('virsh vol-delete a.img --pool p');
  });
});
