/**
 * English strings of the bulk actions on the images, volumes and networks lists (Docker) and the
 * storage volumes and libvirt networks lists (spread into `en`); the shared bulk texts are `fleet.*`.
 */
export const enBulk = {
  'bulk.imagesTitle.one': '{op}: {count} image selected',
  'bulk.imagesTitle.other': '{op}: {count} images selected',
  'bulk.volumesTitle.one': '{op}: {count} volume selected',
  'bulk.volumesTitle.other': '{op}: {count} volumes selected',
  'bulk.networksTitle.one': '{op}: {count} network selected',
  'bulk.networksTitle.other': '{op}: {count} networks selected',
  'bulk.storageVolumesTitle.one': '{op}: {count} volume of "{pool}" selected',
  'bulk.storageVolumesTitle.other': '{op}: {count} volumes of "{pool}" selected',
  'bulk.libvirtNetworksTitle.one': '{op}: {count} libvirt network selected',
  'bulk.libvirtNetworksTitle.other': '{op}: {count} libvirt networks selected',
  'bulk.imagesHint':
    'Each row removes what it names, as docker rmi does: a tag (the image goes with its last tag) or an untagged image by its ID. The engine refuses an image a container uses; the others go on.',
  'bulk.inUseHint': 'One that is still in use is refused and says why; the others go on.',
  'bulk.libvirtRunningHint': 'A network with running VMs on it is refused here (stop it from its row to confirm those VMs).',
  'bulk.skip.builtin': 'it is one of the engine’s own networks',
  'bulk.menu.download': 'Download',
  'bulk.menu.grow': 'Grow…',
} as const;
