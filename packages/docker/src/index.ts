export { DockerValidationError } from './errors.js';
export { PATH_MAX_LENGTH, validateHostPath, validateContainerPath, isPathAtOrUnder } from './paths.js';
export {
  DOCKER_NAME_PATTERN,
  DOCKER_NAME_MAX,
  ENV_KEY_PATTERN,
  LINUX_CAPABILITIES,
  type DeviceSpec,
  validateContainerName,
  validateVolumeName,
  validateNetworkName,
  validateContainerRef,
  validateHostname,
  validateUser,
  validateEnv,
  validateLabelKey,
  validateLabels,
  validateCapability,
  validateSignal,
  validateDevice,
  formatDevice,
  isBuiltinNetwork,
  shortId,
} from './validate.js';
export { type ImageRef, parseImageRef, imageRegistry, isImageId, validateImageOrId } from './image-ref.js';
export { type PortSpec, type PortProtocol, parsePortSpec, formatPortSpec, isIPv4, isIPv6 } from './ports.js';
export { SIZE_MAX_BYTES, parseSize, formatSize } from './sizes.js';
export { MEMORY_MIN_BYTES, type NetworkKind, networkKind, validateNetworkMode, validateCreateBody } from './validate-create.js';
export { type CreateOptions, toCreateOptions } from './create-options.js';
export {
  CPUSET_MAX_CPU,
  SECCOMP_FILE_PLACEHOLDER,
  SECCOMP_PROFILE_MAX,
  TMPFS_OPTIONS,
  ULIMIT_NAMES,
  type Ulimit,
  formatDuration,
  formatUlimit,
  parseCpuset,
  parseDuration,
  parseUlimit,
  securityOptions,
  selinuxOptions,
  validateApparmorProfile,
  validateHealthcheck,
  validateSeccompProfile,
  validateTmpfsMode,
  validateTmpfsOptions,
} from './hardening.js';
export { dockerRunArgv, dockerRunCommand } from './run-command.js';
export { settingsFromInspect, droppedInspectSettings } from './inspect-settings.js';
export { DOCKER_SOCKET_PATHS, type PolicyOptions, type PolicyResult, checkPolicy, joinedContainer } from './policy.js';
export { checkVolumePolicy, volumeBindDevice } from './volume-policy.js';
export { type NamespaceField, type NamespaceJoin, checkContainerPolicy, containerJoins } from './container-policy.js';
export {
  HIDDEN_ENV_VALUE,
  envName,
  hideBuildStepValues,
  hideEnvValues,
  hideHistoryValues,
  isSensitiveEnv,
  sensitiveEnvNames,
} from './env.js';
export { dockerCommands } from './commands.js';
export { type BuildChoice, type BuildPlan, type BuildSource, buildPlan } from './build-plan.js';
export { computeStatsPoint } from './stats.js';
export { type LogFrame, type LogStreamName, DockerLogDemuxer, splitTimestamp } from './logs.js';
export { LayerProgressTracker, parseJsonLines } from './progress.js';
