import { describeChar, fail, firstBadChar, requireString, show } from './errors.js';

/**
 * Image references, following the distribution reference grammar the engine uses
 * (github.com/distribution/reference):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]          host: DNS labels, IPv4, or [IPv6]
 *   path-comp  := [a-z0-9]+ (separator [a-z0-9]+)*     separator: "." | "_" | "__" | "-"+
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex{32,}   algorithm: [A-Za-z][A-Za-z0-9]* ([+._-][A-Za-z][A-Za-z0-9]*)*
 *
 * As in docker, the first component is a registry only if it contains "." or ":" or is
 * "localhost"; `nginx` and `library/nginx` are Docker Hub images.
 */
export interface ImageRef {
  /** `registry.lab:5000`, `ghcr.io`; null for Docker Hub (nothing written). */
  registry: string | null;
  /** Path without registry, tag or digest: `library/nginx`, `nginx`, `course/web`. */
  repository: string;
  tag: string | null;
  digest: string | null;
  /** The reference as written, with `:latest` added when it has neither tag nor digest. */
  normalized: string;
}

export const IMAGE_NAME_MAX = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

function looksLikeRegistry(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

function checkDomain(domain: string, field: string, ref: string): void {
  let host = domain;
  let port: string | null = null;
  const m = /^(.*):([^:\]]*)$/.exec(domain);
  if (m && !(domain.startsWith('[') && !domain.includes(']:'))) {
    // Both groups are required (the port one may match ''), so a successful match has them.
    host = m[1]!;
    port = m[2]!;
  }
  const hostOk = IPV6_HOST.test(host) || (host.length > 0 && host.split('.').every((c) => DOMAIN_COMPONENT.test(c)));
  if (!hostOk)
    fail(
      field,
      `${show(ref)} has an invalid registry ${show(domain)}; a registry is a host name with an optional :port, e.g. "registry.example.org:5000".`,
    );
  if (port !== null && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    fail(field, `${show(ref)} has an invalid registry port ${show(port)}; use a number from 1 to 65535.`);
  }
}

export function parseImageRef(ref: unknown, field = 'image'): ImageRef {
  const s = requireString(ref, field, 'Image');
  if (s.length === 0) fail(field, 'Image cannot be empty; give a name such as "nginx" or "registry.lab:5000/course/web:1.0".');
  if (s.length > 512) fail(field, `Image reference is ${s.length} characters long; the limit is 512.`);
  const bad = firstBadChar(s, /[A-Za-z0-9._:/@+\-[\]]/);
  if (bad !== undefined) {
    fail(
      field,
      `${show(s)} contains ${describeChar(bad)}; an image reference is [registry/]name[:tag][@digest] with letters, digits and . _ - / : @.`,
    );
  }

  let rest = s;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      fail(field, `${show(s)} has an invalid digest ${show(digest)}; a digest looks like "sha256:" followed by 64 hex digits.`);
  }

  let tag: string | null = null;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && !rest.slice(lastColon).includes(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      fail(
        field,
        `${show(s)} has an invalid tag ${show(tag)}; a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-".`,
      );
    }
  }

  if (rest.length === 0) fail(field, `${show(s)} has no image name.`);
  if (rest.length > IMAGE_NAME_MAX) fail(field, `The image name in ${show(s)} is longer than ${IMAGE_NAME_MAX} characters.`);
  const components = rest.split('/');
  let registry: string | null = null;
  if (components.length > 1 && looksLikeRegistry(components[0]!)) {
    registry = components.shift()!;
    checkDomain(registry, field, s);
  }
  for (const c of components) {
    if (c === '') fail(field, `${show(s)} has an empty path component; remove the extra "/".`);
    if (c !== c.toLowerCase())
      fail(field, `${show(s)} contains uppercase letters; repository names must be lowercase (tags may use uppercase).`);
    if (!PATH_COMPONENT.test(c)) {
      fail(
        field,
        `${show(s)} has an invalid path component ${show(c)}; use lowercase letters and digits, separated by single ".", "_", "__" or "-".`,
      );
    }
  }
  const repository = components.join('/');
  const normalized = tag === null && digest === null ? `${s}:latest` : s;
  return { registry, repository, tag, digest, normalized };
}

/** The registry an image comes from: its first component, or `docker.io` for Docker Hub images. */
export function imageRegistry(ref: string): string {
  return parseImageRef(ref).registry ?? 'docker.io';
}

/** An image ID (`sha256:…`, or a hex prefix of at least 4) — accepted where the CLI takes an image. */
export function isImageId(s: string): boolean {
  return /^(sha256:)?[0-9a-f]{4,64}$/.test(s);
}

/** A reference or an ID (`docker tag`, `docker rmi`, `docker save` accept both). */
export function validateImageOrId(s: unknown, field = 'image'): string {
  if (typeof s === 'string' && /^sha256:[0-9a-f]{1,64}$/.test(s)) {
    if (!isImageId(s)) fail(field, `${show(s)} is too short to be an image ID.`);
    return s;
  }
  parseImageRef(s, field);
  return s as string;
}
