import type { LibvirtEndpoint } from '@mirador/contract';
import {
  CANONICAL_LIBVIRT_URIS,
  LibvirtValidationError,
  describeRefusedUri,
  libvirtUriOf,
  parseLibvirtUri,
  testFilePathOf,
} from '@mirador/libvirt';
import { HttpError, badRequest } from '../lib/http-errors.js';

/**
 * A host's libvirt endpoint is data (driver + mode); the URI handed to `virsh -c` is built from it
 * by @mirador/libvirt and nothing else. A row written by an older version (which took free text)
 * or straight into the database may hold any URI: such a URI is shown as a problem and never used.
 */
export const STORED_ENDPOINT_PROBLEM =
  "The libvirt endpoint stored for this host is not one Mirador builds (it may come from an older version or a direct database edit), so Mirador does not use it. An admin must pick the libvirt endpoint again in the host's settings.";

/** How a stored URI appears in the API. */
export function libvirtView(stored: string | null): {
  libvirt: LibvirtEndpoint | null;
  libvirtUri: string | null;
  libvirtProblem: string | null;
} {
  if (stored === null) return { libvirt: null, libvirtUri: null, libvirtProblem: null };
  const endpoint = parseLibvirtUri(stored);
  if (!endpoint) return { libvirt: null, libvirtUri: null, libvirtProblem: STORED_ENDPOINT_PROBLEM };
  return { libvirt: endpoint, libvirtUri: libvirtUriOf(endpoint), libvirtProblem: null };
}

/**
 * The URI a create/update body asks for (undefined: it does not say). `libvirt` is the field;
 * `libvirtUri` is still accepted when it is exactly a URI Mirador builds. The schema already
 * refuses anything else; this repeats the check so no other caller can skip it.
 */
export function requestedLibvirtUri(body: { libvirt?: LibvirtEndpoint | null; libvirtUri?: string | null }): string | null | undefined {
  let fromEndpoint: string | null | undefined;
  if (body.libvirt !== undefined) {
    try {
      fromEndpoint = body.libvirt === null ? null : libvirtUriOf(body.libvirt, 'libvirt');
    } catch (err) {
      if (err instanceof LibvirtValidationError) throw badRequest(`${err.field}: ${err.message}`, err.field);
      throw err;
    }
  }
  let fromUri: string | null | undefined;
  if (body.libvirtUri !== undefined) {
    if (body.libvirtUri !== null && !parseLibvirtUri(body.libvirtUri)) {
      throw badRequest(
        `libvirtUri ${describeRefusedUri(body.libvirtUri)} is not a libvirt endpoint Mirador builds; send libvirt: { driver, mode } (or one of ${CANONICAL_LIBVIRT_URIS.join(', ')})`,
        'libvirtUri',
      );
    }
    fromUri = body.libvirtUri;
  }
  if (fromEndpoint !== undefined && fromUri !== undefined && fromEndpoint !== fromUri) {
    throw badRequest('libvirtUri and libvirt name different endpoints; send only libvirt', 'libvirtUri');
  }
  return fromEndpoint !== undefined ? fromEndpoint : fromUri;
}

/** The last check before a stored URI reaches virsh: refuses (409) any URI Mirador did not build. */
export function usableLibvirtUri(stored: unknown): string {
  if (typeof stored !== 'string' || !parseLibvirtUri(stored)) {
    throw new HttpError(409, STORED_ENDPOINT_PROBLEM, { code: 'libvirt_endpoint_invalid', field: 'libvirt' });
  }
  return stored;
}

type Run = (argv: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/**
 * For a test-driver file endpoint, judges ON THE HOST (where virsh will open it) that the file,
 * after every symlink is resolved, lies inside the allowed directory (itself resolved): a name in
 * that directory may still be a link to /etc/… or elsewhere. Runs before any virsh command that
 * uses such a URI; any other URI passes untouched. `realpath -e` fails for a missing file.
 */
export async function assertTestFileInsideDir(run: Run, uri: string): Promise<void> {
  const target = testFilePathOf(uri);
  if (!target) return;
  const res = await run(['realpath', '-e', '--', target.dir, target.path]);
  const [dir, file] = res.stdout.split('\n').map((l) => l.trim());
  if (res.code !== 0 || !dir || !file) {
    throw new HttpError(409, `The test driver file ${target.file} does not exist in ${target.dir} on the host`, {
      code: 'libvirt_test_file_missing',
      field: 'libvirt.file',
    });
  }
  if (!file.startsWith(`${dir === '/' ? '' : dir}/`)) {
    throw new HttpError(
      403,
      `The test driver file ${target.file} leads outside ${target.dir} on the host (it resolves to another place); refused`,
      {
        code: 'libvirt_test_file_outside',
        field: 'libvirt.file',
      },
    );
  }
}
