/**
 * Name rules shared by the server (enforced) and the UI (early feedback).
 * Kept conservative on purpose: whatever passes here is safe in argv, XML and file names.
 */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$';
export const HOST_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
/** DNS name, IPv4 or bracket-less IPv6 literal. */
export const HOST_ADDRESS_PATTERN = '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]{2,45})$';
/** POSIX login names (useradd's default rule, plus upper case which some sites use). */
export const SSH_USER_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$';
export const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$';
/** libvirt connection URIs Mirador accepts: driver[+transport]://[host]/path[?query-without-shell-metachars]. */
export const LIBVIRT_URI_PATTERN = '^[a-z][a-z0-9+]*://[A-Za-z0-9._@:\\[\\]-]*/[A-Za-z0-9._/-]*(?:\\?[A-Za-z0-9._=&/-]*)?$';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
