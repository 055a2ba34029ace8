import type { Host, HostFacts } from '@mirador/contract';
import { libvirtView } from './libvirt-endpoint.js';

export interface HostRow {
  id: string;
  name: string;
  kind: string;
  address: string;
  port: number;
  username: string;
  authMethod: string;
  secretEnc: string | null;
  publicKey: string | null;
  hostKeyFingerprint: string | null;
  hostKeyAlgorithm: string | null;
  hostKeyPinnedAt: Date | null;
  tags: string;
  notes: string;
  libvirtUri: string | null;
  dockerMode: string;
  dockerSocket: string | null;
  status: string;
  statusMessage: string | null;
  lastCheckedAt: Date | null;
  facts: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Picks the public fields: secrets cannot leak through a response by accident. */
export function toHostDto(h: HostRow): Host {
  return {
    id: h.id,
    name: h.name,
    kind: h.kind === 'local' ? 'local' : 'ssh',
    address: h.address,
    port: h.port,
    username: h.username,
    authMethod: h.authMethod as Host['authMethod'],
    hasSecret: Boolean(h.secretEnc),
    publicKey: h.publicKey,
    hostKey:
      h.hostKeyFingerprint && h.hostKeyPinnedAt
        ? { fingerprint: h.hostKeyFingerprint, algorithm: h.hostKeyAlgorithm ?? 'unknown', pinnedAt: h.hostKeyPinnedAt.toISOString() }
        : null,
    tags: JSON.parse(h.tags) as string[],
    notes: h.notes,
    ...libvirtView(h.libvirtUri),
    dockerMode: h.dockerMode as Host['dockerMode'],
    dockerSocket: h.dockerSocket,
    status: h.status as Host['status'],
    statusMessage: h.statusMessage,
    lastCheckedAt: h.lastCheckedAt?.toISOString() ?? null,
    facts: h.facts ? (JSON.parse(h.facts) as HostFacts) : null,
    createdAt: h.createdAt.toISOString(),
    updatedAt: h.updatedAt.toISOString(),
  };
}
