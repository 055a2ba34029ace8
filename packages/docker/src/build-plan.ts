import { toCommandLine } from '@mirador/argv';
import { fail, show } from './errors.js';
import { parseImageRef } from './image-ref.js';

/**
 * How a build's files reach the engine: a Dockerfile alone (typed or uploaded; sent as text, the
 * server makes it a one-file context named `Dockerfile`) or a context tarball (sent as a tar).
 */
export type BuildSource = 'dockerfile' | 'context';

export interface BuildChoice {
  /** The image reference to tag the result with. */
  tag: string;
  source: BuildSource;
  /** Path of the Dockerfile inside a context tarball (default `Dockerfile`); a lone Dockerfile is always `Dockerfile`. */
  dockerfile?: string;
  pull?: boolean;
  noCache?: boolean;
}

export interface BuildPlan {
  /** The query of `POST /hosts/{hostId}/images/build` (what the UI sends). */
  query: { tag: string; dockerfile?: string; pull?: boolean; noCache?: boolean };
  /** The body's content type for that request. */
  contentType: 'text/plain' | 'application/x-tar';
  /** The engine's build options (what the server passes to the Docker API). */
  engine: { t: string; dockerfile: string; pull?: 'true'; nocache: boolean; rm: true; forcerm: true };
  /** The docker CLI line doing exactly that: the files on stdin, as the server sends them. */
  command: string;
}

const DOCKERFILE_PATH = /^[A-Za-z0-9._/-]{1,1024}$/;

/**
 * One build, planned once for both ends: the UI's request and preview, the server's engine call
 * and the line it logs come from here, so the command shown is the one that runs. Intermediate
 * containers are always removed (`--force-rm`), even when a step fails.
 */
export function buildPlan(choice: BuildChoice): BuildPlan {
  // `x` runs as `x:latest`: the line shows what the engine is given.
  const tag = parseImageRef(choice.tag, 'tag').normalized;
  const inContext = choice.source === 'context' ? choice.dockerfile?.trim() || undefined : undefined;
  if (inContext !== undefined && (!DOCKERFILE_PATH.test(inContext) || inContext.split('/').includes('..'))) {
    fail(
      'dockerfile',
      `${show(inContext)} is not a Dockerfile path inside the context; use letters, digits, ".", "_", "-" and "/", without "..".`,
    );
  }
  const dockerfile = inContext ?? 'Dockerfile';
  const argv = ['docker', 'build', '-t', tag, '--force-rm'];
  if (choice.pull) argv.push('--pull');
  if (choice.noCache) argv.push('--no-cache');
  // `-f` only where the CLI would not find the Dockerfile by itself (stdin context: `Dockerfile` at its root).
  if (dockerfile !== 'Dockerfile') argv.push('-f', dockerfile);
  argv.push('-');
  const stdin = choice.source === 'context' ? 'context.tar' : 'Dockerfile';
  return {
    query: {
      tag: choice.tag,
      ...(inContext !== undefined && { dockerfile: inContext }),
      ...(choice.pull && { pull: true }),
      ...(choice.noCache && { noCache: true }),
    },
    contentType: choice.source === 'context' ? 'application/x-tar' : 'text/plain',
    engine: {
      t: tag,
      dockerfile,
      ...(choice.pull && { pull: 'true' as const }),
      nocache: choice.noCache ?? false,
      rm: true,
      forcerm: true,
    },
    // A redirection, not an argument: appended after quoting, a constant.
    command: `${toCommandLine(argv)} < ${stdin}`,
  };
}
