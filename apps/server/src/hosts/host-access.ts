import { HOST_FIELDS_FOR_OPERATORS, UpdateHostBody, type Role } from '@mirador/contract';
import { HttpError } from '../lib/http-errors.js';

const OPEN_TO_OPERATORS: ReadonlySet<string> = new Set(HOST_FIELDS_FOR_OPERATORS);
/**
 * Every other field of a host change decides how Mirador reaches the host as root: address, port,
 * user, credentials, libvirt endpoint, Docker mode and socket. Derived from the contract, so a
 * field added later is admin-only until someone decides otherwise.
 */
const ADMIN_ONLY: ReadonlySet<string> = new Set(Object.keys(UpdateHostBody.properties).filter((k) => !OPEN_TO_OPERATORS.has(k)));

/**
 * Refuses (403, naming the field) a host change that touches a connection setting unless the caller
 * is an admin. Runs before body validation, so an operator learns nothing about which values would pass.
 */
export function assertMayChangeHostFields(role: Role | undefined, body: unknown): void {
  if (role === 'admin' || body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const field = Object.keys(body).find((k) => ADMIN_ONLY.has(k));
  if (field) {
    throw new HttpError(
      403,
      `Changing ${field} changes how Mirador reaches the host; that needs the admin role (operators may change ${HOST_FIELDS_FOR_OPERATORS.join(', ')})`,
      {
        code: 'forbidden',
        field,
      },
    );
  }
}
