import type { StorageVolume } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import { freeDiskVolumes, isoVolumes, parseVolumeRef, volumeRef, type PoolVolume } from './hostVolumes';
import { buildVmBody, defaultVmValues, staleErrorKeys, validateVm, vmErrorField, type VmFormValues } from './vmForm';
import { ApiError } from '$lib/api';

function vol(pool: string, name: string, more: Partial<StorageVolume> = {}): PoolVolume {
  return {
    pool,
    name,
    path: `/pools/${pool}/${name}`,
    format: 'qcow2',
    type: 'file',
    capacityBytes: 1,
    allocationBytes: 1,
    usedBy: [],
    ...more,
  };
}

function values(more: Partial<VmFormValues>): VmFormValues {
  return { ...defaultVmValues(), hostId: 'h1', name: 'vm1', iso: '/isos/debian.iso', ...more };
}

describe('pool volumes offered by the wizard', () => {
  const all = [
    vol('default', 'debian.iso', { format: 'raw' }),
    vol('default', 'RESCUE.ISO', { format: 'raw' }),
    vol('isos', 'installer', { format: 'iso' }),
    vol('default', 'nopath.iso', { path: null }),
    vol('default', 'web.qcow2', { usedBy: ['web'] }),
    vol('default', 'spare.qcow2'),
    vol('default', 'subdir', { type: 'dir', format: null }),
  ];

  test('ISOs: *.iso (any case) or format iso, with a path', () => {
    expect(isoVolumes(all).map(volumeRef)).toEqual(['default/debian.iso', 'default/RESCUE.ISO', 'isos/installer']);
  });

  test('disks: not an ISO, not a directory, used by no VM', () => {
    expect(freeDiskVolumes(all).map(volumeRef)).toEqual(['default/spare.qcow2']);
  });

  test('pool/volume refs round-trip and reject halves', () => {
    expect(parseVolumeRef('default/spare.qcow2')).toEqual({ pool: 'default', volume: 'spare.qcow2' });
    expect(parseVolumeRef('')).toBeNull();
    expect(parseVolumeRef('default/')).toBeNull();
    expect(parseVolumeRef('/x')).toBeNull();
  });
});

describe('create-VM form', () => {
  test('a network install tree becomes install.location with --extra-args prefilled', () => {
    const v = values({ installKind: 'location', locationUrl: ' https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/ ' });
    expect(validateVm(v)).toEqual({});
    expect(buildVmBody(v).install).toEqual({
      kind: 'location',
      url: 'https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/',
      extraArgs: 'console=ttyS0',
    });
    expect(buildVmBody({ ...v, extraArgs: '' }).install).toEqual({ kind: 'location', url: v.locationUrl.trim() });
  });

  test('install tree URLs are checked like the server does', () => {
    for (const url of ['', 'file:///etc/passwd', 'http://a b/', 'http://mirror/a,b/', 'http://mirror/"x', 'https://'])
      expect(validateVm(values({ installKind: 'location', locationUrl: url })), url).toHaveProperty(['install.url']);
    expect(validateVm(values({ installKind: 'location', locationUrl: 'nfs://server/export/tree' }))).toEqual({});
    expect(validateVm(values({ installKind: 'location', locationUrl: 'http://m/', extraArgs: 'a\nb' }))).toHaveProperty([
      'install.extraArgs',
    ]);
  });

  test('an existing volume must be one the picker offers', () => {
    const v = values({ diskKind: 'volume', volumeRef: 'default/spare.qcow2' });
    expect(validateVm(v, ['default/spare.qcow2'])).toEqual({});
    expect(validateVm(v, [])).toHaveProperty(['disk.volume']);
    expect(validateVm({ ...v, volumeRef: '' }, [''])).toHaveProperty(['disk.volume']);
    expect(buildVmBody(v).disk).toEqual({ kind: 'volume', pool: 'default', volume: 'spare.qcow2' });
  });

  test('the screen is a VNC display unless chosen serial-only', () => {
    expect(buildVmBody(values({})).graphics).toBe('vnc');
    expect(buildVmBody(values({ graphics: 'none' })).graphics).toBe('none');
  });

  test('import boots an existing volume as well as a file', () => {
    expect(validateVm(values({ installKind: 'import', diskKind: 'volume', volumeRef: 'p/d.qcow2' }), ['p/d.qcow2'])).toEqual({});
    expect(validateVm(values({ installKind: 'import', diskKind: 'new' }))).toHaveProperty(['install']);
  });

  test('server errors about the install tree and the volume land on their inputs', () => {
    const err = (field: string) => new ApiError({ statusCode: 400, error: 'Bad Request', message: 'bad', field });
    expect(vmErrorField(err('source.url'))).toBe('install.url');
    expect(vmErrorField(err('/install/extraArgs'))).toBe('install.extraArgs');
    expect(vmErrorField(err('disk.volume'))).toBe('disk.volume');
  });
  test('an edited input makes the errors it feeds stale, and only those', () => {
    expect(staleErrorKeys(new Set(['name']))).toEqual(['name']);
    expect(staleErrorKeys(new Set(['pool']))).toEqual(['disk.pool']);
    // Another install source or network kind voids what was said about the previous one.
    expect(staleErrorKeys(new Set(['installKind']))).toEqual(
      expect.arrayContaining(['install', 'install.kernel', 'install.iso', 'install.url']) as string[],
    );
    expect(staleErrorKeys(new Set(['bridgeName']))).toEqual(['network.name']);
    expect(staleErrorKeys(new Set(['start']))).toEqual([]);
    // Whatever the client check reports, some input clears it.
    const all = new Set(Object.keys(defaultVmValues()) as (keyof VmFormValues)[]);
    const reported = Object.keys(validateVm({ ...defaultVmValues(), memoryMiB: 'x', vcpus: 'x', installKind: 'kernel', diskKind: 'path' }));
    expect(reported.length).toBeGreaterThan(4);
    expect(staleErrorKeys(all)).toEqual(expect.arrayContaining(reported) as string[]);
  });
});
