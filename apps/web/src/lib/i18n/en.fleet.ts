/**
 * English strings of the UI at fleet size (spread into `en`): row selection and bulk actions, row
 * menus, role notices, and host/registry onboarding (test connection, test login).
 */
export const enFleet = {
  'fleet.selectAll': 'Select all {count} shown',
  'fleet.selectRow': 'Select {name}',
  'fleet.rowActions': 'Actions for {name}',
  'fleet.openDetails': 'Details',
  'fleet.delete': 'Delete',
  'fleet.bulkToolbar': 'Actions on the selected rows',
  'fleet.selected': '{count} selected',
  'fleet.clearSelection': 'Clear selection',
  'fleet.copyCommands': 'Copy the commands',
  'fleet.bulkTargets': 'Will run on {count}:',
  'fleet.bulkNothing': 'None of the selected rows can take this action.',
  'fleet.bulkSkipped': '{count} selected left out',
  'fleet.bulkAllOk': 'Done on all {count}.',
  'fleet.bulkSomeFailed': '{ok} done, {failed} failed: the reason is under each one.',
  'fleet.bulkConfirm': '{op} ({count})',
  'fleet.bulkContainersTitle': '{op}: {count} containers selected',
  'fleet.bulkVmsTitle': '{op}: {count} VMs selected',
  'fleet.vmDeleteKeepsDisks':
    'Deleting several VMs at once keeps their disks. To delete a VM with its storage, use Delete on its own page.',
  'fleet.skip.state': 'it is {state}',
  'fleet.skip.stopFirst': 'it is {state}: stop it first',
  'fleet.skip.shutDownFirst': 'it is {state}: shut it down first',
  'fleet.terminalViewerTitle': 'A shell needs the operator role',
  'fleet.terminalViewerBody':
    'Your role (viewer) can read logs and settings but not open a shell in a container. Ask an administrator for the operator role.',
  'action.registry.test': 'Tested a registry login',
  // Host onboarding
  'onboard.test': 'Test connection',
  'onboard.testing': 'Connecting…',
  'onboard.testHint': 'Connects with these settings without saving them, and shows the SSH host key the server presents.',
  'onboard.fingerprint': 'SSH host key',
  'onboard.fingerprintCheck': 'Compare it with the key on the host: {command}',
  'onboard.confirmKey': 'This is the key of my host: trust it',
  'onboard.keyPinned': 'Saving pins this key: a server presenting any other key will be refused.',
  'onboard.mustTest':
    'Test the connection and confirm the host key before saving, or save without a key and test it later from the host page.',
  'onboard.changed': 'The settings changed since the test: test again.',
  'onboard.libvirt': 'libvirt',
  'onboard.docker': 'Docker',
  'onboard.kvm': 'KVM',
  'onboard.notFound': 'not found',
  'onboard.notAsked': 'not checked',
  'onboard.failed': 'The connection failed',
  'onboard.saveWithoutKey': 'Save without testing',
  // Registries
  'registry.testLogin': 'Test login',
  'registry.testing': 'Logging in…',
  'registry.testOk': 'Login succeeded on {host}.',
  'registry.testFailed': 'Login refused on {host}: {message}',
  'registry.openSettings': 'Registry settings',
} as const;
