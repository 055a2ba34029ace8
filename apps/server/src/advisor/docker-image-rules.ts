import { isImageId, parseImageRef } from '@mirador/docker';
import type { FindingDraft } from './finding-draft.js';
import { draft } from './docker-rule-catalog.js';

/** One container's use of an image, as the image rules need it. */
export interface ImageUse {
  container: string;
  /** The reference the container was created from (`Config.Image`), e.g. `nginx`, `nginx:1.27`, an image ID. */
  reference: string;
  /** The container's own healthcheck (`Config.Healthcheck.Test`), which may override the image's. */
  healthcheck: string[] | null;
  /** The image's healthcheck (`docker image inspect` `Config.Healthcheck.Test`), null when it has none or is unknown. */
  imageHealthcheck: string[] | null;
}

const hasCheck = (test: string[] | null) => test !== null && test.length > 0 && test[0] !== 'NONE';

function refOf(reference: string): { normalized: string; tag: string | null; digest: string | null } | null {
  if (isImageId(reference)) return null; // created from an image ID: there is no name, hence no tag, to judge
  try {
    return parseImageRef(reference);
  } catch {
    return null; // a reference this parser does not take: nothing to say about its tag
  }
}

/** Rules about the images containers run (OWASP Docker D9, CIS Docker 4.6), one finding per image reference. */
export function imageRules(uses: readonly ImageUse[]): FindingDraft[] {
  const byRef = new Map<string, ImageUse[]>();
  for (const u of uses) {
    const ref = refOf(u.reference);
    if (!ref) continue;
    byRef.set(ref.normalized, [...(byRef.get(ref.normalized) ?? []), u]);
  }
  const out: FindingDraft[] = [];
  for (const [normalized, list] of [...byRef].sort(([a], [b]) => a.localeCompare(b))) {
    const ref = refOf(normalized)!;
    const target = { kind: 'image' as const, id: normalized, name: normalized };
    const containers = [...new Set(list.map((u) => u.container))].sort();
    if (ref.tag === 'latest' && !ref.digest) {
      const written = [...new Set(list.map((u) => u.reference))].join(', ');
      out.push(
        draft('docker.image.latest-tag', target, {
          evidence: `Config.Image = ${written} of ${containers.join(', ')} (tag latest${written.includes(':latest') ? '' : ', implied'})`,
          why: 'OWASP Docker D9: a `latest` tag names whatever was pushed last, so nobody can tell which scanned (or unscanned) image a container runs, nor roll back to it.',
          fix: `Pin a version tag or a digest: docker run ${ref.normalized.replace(/:latest$/, '')}:<version> (or @sha256:<digest>).`,
          params: { image: normalized, containers: containers.join(', ') },
        }),
      );
    }
    const unchecked = list.filter((u) => !hasCheck(u.healthcheck) && !hasCheck(u.imageHealthcheck));
    if (unchecked.length) {
      const names = [...new Set(unchecked.map((u) => u.container))].sort();
      out.push(
        draft('docker.image.no-healthcheck', target, {
          evidence: `image Config.Healthcheck = none; Config.Healthcheck of ${names.join(', ')} = none`,
          why: 'CIS Docker 4.6: without a healthcheck the engine cannot tell a hung service from a working one, so nothing restarts or reports it.',
          fix: 'Add HEALTHCHECK CMD <probe> to the Dockerfile, or docker run --health-cmd "<probe>" --health-interval 30s.',
          params: { image: normalized, containers: names.join(', ') },
        }),
      );
    }
  }
  return out;
}
