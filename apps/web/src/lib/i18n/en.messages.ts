/**
 * English texts for the codes the server puts on its messages (ErrorResponse.code, Task.messageCode /
 * errorCode, console status frames), spread into `en` as `server.<code>`. The server's own English text
 * is the fallback for a code with no entry here; serverMessages.test.ts holds this list to the codes the
 * server uses.
 */
export const enMessages = {
  'server.validation.required': '{field} is required',
  'server.validation.pattern': '{field} contains characters that are not allowed or is not in the expected format',
  'server.validation.empty': '{field} must not be empty',
  'server.validation.minLength': '{field} must be at least {limit} characters',
  'server.validation.maxLength': '{field} must be at most {limit} characters',
  'server.validation.minimum': '{field} must be at least {limit}',
  'server.validation.maximum': '{field} must be at most {limit}',
  'server.validation.type': '{field} must be a {type}',
  'server.validation.format': '{field} must be a valid {format}',
  'server.validation.anyOf': '{field} is not one of the accepted values',
  'server.validation.const': '{field} must be {allowed}',
  'server.validation.enum': '{field} must be one of {allowed}',
  'server.validation.minProperties': '{field} must contain at least one field to change',
  'server.validation.maxItems': '{field} must have at most {limit} items',
  'server.validation.uniqueItems': '{field} must not contain duplicates',
  'server.validation.additionalProperties': '{field} has an unknown field "{additionalProperty}"',
  'server.validation.not': '{field} is not allowed',
  'server.validation.invalid': '{field} is invalid',

  'server.notFound.host': 'Host not found',
  'server.notFound.libvirtHost': 'Host {name} with libvirt not found',
  'server.notFound.registry': 'Registry not found',
  'server.notFound.task': 'Task not found',
  'server.notFound.user': 'User not found',
  'server.notFound.token': 'Token not found',
  'server.notFound.session': 'Session not found',
  'server.notFound.container': 'Container not found',
  'server.notFound.vm': 'VM "{name}" not found',
  'server.notFound.pool': 'Storage pool "{name}" not found',
  'server.notFound.network': 'Network "{name}" not found',
  'server.notFound.snapshot': 'Snapshot "{name}" of VM "{vm}" not found',
  'server.notFound.nic': 'NIC {name} of "{vm}" not found',
  'server.notFound.disk': 'Disk {name} of "{vm}" not found',
  'server.notFound.finding': 'Finding not found',
  'server.notFound.findingAck': 'Acknowledgement not found',
  'server.security.noFix': 'Mirador cannot apply this fix by itself: follow the steps under “How to fix”',
  'server.security.alreadyFixed': 'This no longer applies to {name}: nothing to fix',
  'server.security.fixWouldDrop': 'Recreating {name} would drop {settings}: apply the fix by hand',

  'server.unauthenticated': 'Log in first',
  'server.forbidden': 'Your role does not allow this',
  'server.rate_limited': 'Too many attempts: wait {seconds} s and try again',
  'server.internal': 'Something went wrong on the server; the details are in its log',

  'server.host.nameTaken': 'A host named "{name}" already exists',
  'server.host.noLibvirt': 'Host "{host}" has no libvirt connection configured',
  'server.host.noDocker': 'Host "{host}" has no Docker engine configured (set its Docker mode to SSH)',
  'server.vm.nameTaken': 'A VM named "{name}" already exists on {host}',
  'server.registry.nameTaken': 'A registry named "{name}" exists already',
  'server.registry.wrongHost':
    'The credentials of "{name}" are for {registryHost}, but this image is on {imageHost}: they are sent only to their own registry',
  'server.registry.credentialsRefused':
    '{registry} refused the credentials stored in Mirador (registry user "{user}"); the registry said: {detail}',
  'server.registry.noCredentials':
    'No credentials are stored in Mirador for {registry} (add them under Registries); the registry said: {detail}',
  'server.docker.registryDenied':
    'The registry refused the engine on {host}: check the image name, or store its credentials under Registries ({detail})',

  'server.docker.portTaken': 'Host port {port} is taken — pick another ({detail})',
  'server.docker.policyRefused': 'Not allowed on {host} without an administrator: {reasons}',
  'server.engine_unreachable': 'Cannot reach the Docker engine on {host}: {detail}',
  'server.engine_error': 'The Docker engine on {host} failed: {detail}',

  'server.task.step': 'Step {step}/{total}',
  'server.task.completedSteps.one': 'Completed {count} step',
  'server.task.completedSteps.other': 'Completed {count} steps',
  'server.task.cancelled': 'Cancelled',
  'server.task.interrupted': 'Interrupted: Mirador stopped while this task was running',
  'server.task.failed': '{detail}',
  'server.task.alreadyFinished': 'The task has already finished ({status})',
  'server.task.notCancellable': 'This task cannot be cancelled once started',
  'server.console.connecting': 'Connecting to the serial console',
  'server.console.attached': 'Connected to the serial console',
  'server.console.closed': 'Console closed',
  'server.console.readOnly': 'Read-only: your role may watch this console but not type',
  'server.console.noSerial': 'This VM has no serial console (add <serial type="pty"/> to its definition)',
  'server.console.notRunning': 'The VM is not running; the console attaches when it starts',
  'server.console.detachedWaiting': 'Console detached; re-attaching when the VM is running',
  'server.console.detached': 'Console detached: {detail}',
  'server.console.openFailed': 'Could not open the console: {detail}',
  'server.vm.created': 'VM "{name}" created',
  'server.vm.createdStarted': 'VM "{name}" created and started',
  'server.vm.cloned': 'VM "{name}" cloned from "{source}"',
  'server.vm.clonedStarted': 'VM "{name}" cloned from "{source}" and started',
  'server.vm.snapshotTaken': 'Snapshot "{snapshot}" of "{vm}" taken',
  'server.vm.snapshotTakenMemory': 'Snapshot "{snapshot}" of "{vm}" taken with its memory',
  'server.security.fixed': 'Recreated {container}: the finding is fixed',

  // Outcomes the audit log records with a code (audit.plugin.ts, undo-journal.ts, storage uploads).
  'server.host.testFailed': 'The connection test failed: {detail}',
  'server.registry.testFailed': 'The registry login failed: {detail}',
  'server.libvirt_invalid': 'libvirt refused the definition: {detail}',
  'server.storage.uploadNotStarted': 'Could not start the upload on the host: {detail}',
  'server.storage.uploadCutShort': 'The upload of "{name}" stopped after {sent} of {expected} bytes; the partial volume was deleted',
  'server.storage.uploadCutShortKept':
    'The upload of "{name}" stopped after {sent} of {expected} bytes; the partial volume is still there (Mirador deletes it at its next start)',
  'server.storage.uploadFailed': 'The upload of "{name}" failed and the partial volume was deleted: {detail}',
  'server.storage.uploadFailedKept':
    'The upload of "{name}" failed; the partial volume is still there (Mirador deletes it at its next start): {detail}',
  'server.recovery.interruptedRemoved':
    'Interrupted: Mirador stopped during this operation; what it had made ({target}) was removed when it started again',
  'server.recovery.interruptedNothingMade':
    'Interrupted: Mirador stopped during this operation before it made anything ({target}); nothing was left',
  'server.recovery.interruptedHostGone':
    'Interrupted: Mirador stopped during this operation; {target} may remain, because its host is no longer in Mirador ({command})',
  'server.recovery.undoHostGone': '{target} may remain: its host is no longer in Mirador (to remove it there: {command})',
  'server.stream.openFailed': 'Could not open the stream: {detail}',
};
