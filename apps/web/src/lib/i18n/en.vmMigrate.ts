/** English strings of a VM's live migration dialog (spread into `en`). */
export const enVmMigrate = {
  'vms.migrate.button': 'Migrate',
  'vms.migrate.title': 'Migrate {name} to another host',
  'vms.migrate.submit': 'Migrate',
  'vms.migrate.progress': 'Migrating {name}',
  'vms.migrate.destination': 'Destination host',
  'vms.migrate.destinationHint': 'Another libvirt host of the inventory; the source host connects to it over SSH with its own key.',
  'vms.migrate.pickHost': 'Pick a destination host',
  'vms.migrate.noHosts': 'There is no other host with libvirt in the inventory. Add one under Hosts first.',
  'vms.migrate.undefineSource': 'Remove the definition from this host afterwards',
  'vms.migrate.undefineSourceHint': 'virsh migrate --undefinesource; the VM is always defined (persistent) on the destination.',
  'vms.migrate.copyStorage': 'Copy the disks too (--copy-storage-all)',
  'vms.migrate.copyStorageHint': 'For hosts without shared storage: the disks’ contents travel with the memory. Slower.',
  'vms.migrate.checking': 'Running the pre-flight checks…',
  'vms.migrate.checklist': 'Pre-flight checks',
  'vms.migrate.passed': 'passed',
  'vms.migrate.failed': 'fails',
  'vms.migrate.notChecked': 'not checked',
  'vms.migrate.ready':
    'Every check passed (or could not be checked). A running VM keeps running while its memory is copied; a shut-off VM has its definition copied.',
  'vms.migrate.blocked': 'The migration is refused until the failing checks are fixed.',
};
