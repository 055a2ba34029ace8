/** English strings of the VM page's Clone action (spread into `en`). */
export const enVmClone = {
  'vms.clone.button': 'Clone',
  'vms.clone.title': 'Clone {name}',
  'vms.clone.name': 'Name of the clone',
  'vms.clone.nameHint': 'Letters, digits, ".", "_", "+" and "-"; it must be free on this host.',
  'vms.clone.nameInvalid': 'Use 1 to 64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit.',
  'vms.clone.disks': 'Disks',
  'vms.clone.copy': 'Full copy',
  'vms.clone.copyHint': 'Each disk is copied into its pool (vol-clone): the clone is independent of the source.',
  'vms.clone.linked': 'Linked clone',
  'vms.clone.linkedHint':
    'Each disk is a new qcow2 on top of the source’s disk (its backing file): instant and small, but the source must stay shut off and be kept.',
  'vms.clone.start': 'Start the clone when it is ready',
  'vms.clone.allowRunning': 'The source is {state}: pause it during the copy',
  'vms.clone.allowRunningHint':
    'The copy is crash-consistent (like pulling the power cord); the source is resumed right after the copy, also if it fails.',
  'vms.clone.consentNeeded': 'Shut the source down first, or allow pausing it during the copy.',
  'vms.clone.submit': 'Clone',
  'vms.clone.progress': 'Cloning into {name}',
  'vms.clone.commands': 'What runs',
  'vms.clone.diskPlan': 'Disks of the clone',
  'vms.clone.shared': 'shared as it is',
  'vms.clone.action.copy': 'copy',
  'vms.clone.action.linked': 'linked',
  'vms.clone.action.shared': 'shared',
};
