import { createHash } from 'node:crypto';
import type { MessageParams, VmXml, VmXmlBody, VmXmlError, VmXmlSaved } from '@mirador/contract';
import {
  LibvirtValidationError,
  assertSameDomain,
  carryVncPasswords,
  commandLineOf,
  defineValidatedArgv,
  defineValidatedShownArgv,
  inactiveDumpxmlArgv,
  locateLibvirtError,
  parseEditedDomainXml,
  securityInactiveDumpxmlArgv,
  volPathArgv,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { HttpError } from '../lib/http-errors.js';
import type { VmTarget } from '../vms/vms.service.js';
import { VirshError, runVirsh, runVirshWithXml } from '../vms/virsh.js';
import { allowedRoots, judgeOne, type PathCaller } from '../vms/vm-paths.js';
import { reviewXmlEdit, type XmlEditReview } from './xml-rules.js';
import { unifiedDiff, withoutSecrets } from './unified-diff.js';

/** A refused save, answered with where it points (line/element) or, on 409, the definition as it is now. */
export class XmlEditRefusal extends HttpError {
  constructor(
    statusCode: number,
    message: string,
    readonly details: { code: string; field?: string; params?: MessageParams; line?: number; element?: string; current?: VmXml },
  ) {
    super(statusCode, message, { code: details.code, field: details.field, params: details.params });
  }
  body(): VmXmlError {
    const reasons: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 409: 'Conflict' };
    const { code, field, params, line, element, current } = this.details;
    return {
      statusCode: this.statusCode,
      error: reasons[this.statusCode] ?? 'Error',
      message: this.message,
      code,
      ...(field ? { field } : {}),
      ...(params ? { params } : {}),
      ...(line ? { line } : {}),
      ...(element ? { element } : {}),
      ...(current ? { current } : {}),
    };
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What the audit keeps of an edit: the diff (never secrets) and the command. */
export type XmlAuditNote = (params: { command: string; diff: string; expectedHash?: string }) => void;

export function createVmXmlService(deps: { target(hostId: string, name: string): Promise<VmTarget> }) {
  /** The line people would type: the XML as a file named after the VM. */
  const commandFor = (uri: string, name: string) => commandLineOf(defineValidatedShownArgv(uri, name));

  async function readInactive(runner: CommandRunner, uri: string, name: string): Promise<string> {
    return runVirsh(runner, inactiveDumpxmlArgv(uri, name));
  }

  /** Every reason a non-admin may not make this edit: restricted features, then host paths judged on the host. */
  async function problemsOf(runner: CommandRunner, t: VmTarget, review: XmlEditReview): Promise<string[]> {
    const problems = review.restricted.map((r) => `${r} is for administrators`);
    if (review.paths.length === 0 && review.volumes.length === 0) return problems;
    const roots = await allowedRoots(runner, t.uri);
    for (const p of review.paths) {
      const r = await judgeOne(runner, t.hostName, roots, { field: p.field, path: p.path, qcow2: p.qcow2 });
      if (r.why) problems.push(`${p.field}: ${r.why}`);
    }
    for (const v of review.volumes) {
      const out = await runVirsh(runner, volPathArgv(t.uri, v.pool, v.volume)).catch(() => null);
      const path = out?.trim() ?? '';
      if (!path.startsWith('/') || path.includes('\n')) {
        problems.push(`${v.field}: there is no volume "${v.volume}" in the pool "${v.pool}" on ${t.hostName}`);
        continue;
      }
      const r = await judgeOne(runner, t.hostName, roots, { field: v.field, path, qcow2: true });
      if (r.why) problems.push(`${v.field}: the volume "${v.pool}/${v.volume}" at ${r.why}`);
    }
    return problems;
  }

  /** The document's own checks (size, no DTD, one <domain>, same name and UUID) as 400s naming the field and line. */
  function checked(xml: string, t: VmTarget) {
    try {
      const edited = parseEditedDomainXml(xml);
      assertSameDomain(edited, { name: t.vm.name, uuid: t.vm.uuid });
      return edited;
    } catch (err) {
      if (!(err instanceof LibvirtValidationError)) throw err;
      const line = /\(line (\d+)\)/.exec(err.message)?.[1];
      throw new XmlEditRefusal(400, err.message, { code: 'invalid_input', field: err.field, ...(line ? { line: Number(line) } : {}) });
    }
  }

  return {
    async read(hostId: string, name: string): Promise<VmXml> {
      const t = await deps.target(hostId, name);
      const xml = await readInactive(await t.runner(), t.uri, name);
      return { xml, hash: sha256(xml), command: commandFor(t.uri, name) };
    },

    /**
     * `virsh edit` as an API: checks, optimistic concurrency, the operator rules, the VNC password
     * carried over, then `virsh define --validate` (libvirt's schema, then its parser). A refusal
     * leaves the definition as it was, and the answer says where libvirt's message points.
     */
    async save(hostId: string, name: string, body: VmXmlBody, caller: PathCaller, note: XmlAuditNote): Promise<VmXmlSaved> {
      const t = await deps.target(hostId, name);
      const command = commandFor(t.uri, name);
      const edited = checked(body.xml, t);
      const runner = await t.runner();
      const current = await readInactive(runner, t.uri, name);
      const hash = sha256(current);
      const submittedDiff = unifiedDiff(withoutSecrets(current), withoutSecrets(body.xml), {
        a: `${name}.xml (current)`,
        b: `${name}.xml (edited)`,
      });
      note({ command, diff: submittedDiff, ...(body.expectedHash ? { expectedHash: body.expectedHash } : {}) });
      if (body.expectedHash !== undefined && body.expectedHash !== hash) {
        throw new XmlEditRefusal(409, `The definition of "${name}" changed since you opened it; review the current one and edit again`, {
          code: 'conflict',
          field: 'expectedHash',
          current: { xml: current, hash, command },
        });
      }

      const problems = await problemsOf(runner, t, reviewXmlEdit(parseEditedDomainXml(current), edited));
      if (problems.length && !caller.isAdmin) {
        throw new XmlEditRefusal(403, `Not allowed on ${t.hostName} without an administrator: ${problems.join('; ')}`, {
          code: 'forbidden',
          field: 'xml',
        });
      }

      // The editor never sees the VNC password (no --security-info): keep it, or the define would drop it.
      const secret = await runVirsh(runner, securityInactiveDumpxmlArgv(t.uri, name));
      const { xml: toDefine } = carryVncPasswords(body.xml, secret);
      try {
        await runVirshWithXml(runner, (file) => defineValidatedArgv(t.uri, file), toDefine);
      } catch (err) {
        if (!(err instanceof VirshError)) throw err;
        const after = await readInactive(runner, t.uri, name).catch(() => null);
        const where = locateLibvirtError(err.stderr || err.message, body.xml);
        const same = after === current ? '' : ' (the stored definition differs from before: reload it)';
        throw new XmlEditRefusal(400, `libvirt refused the definition: ${err.message}${same}`, {
          // libvirt's own words stay as they are (a value); the sentence around them is translated.
          code: 'libvirt_invalid',
          params: { detail: `${err.message}${same}` },
          field: 'xml',
          ...where,
        });
      }

      const after = await readInactive(runner, t.uri, name);
      await t.refresh();
      // What changed as libvirt stored it: the true old → new (neither side carries secrets).
      const diff = unifiedDiff(current, after, { a: `${name}.xml (before)`, b: `${name}.xml (after)` });
      note({ command, diff, ...(body.expectedHash ? { expectedHash: body.expectedHash } : {}) });
      return {
        xml: after,
        hash: sha256(after),
        command,
        diff,
        changed: after !== current,
        restartNeeded: after !== current && t.vm.state !== 'shut off',
        warnings: problems.map((p) => `${p} (allowed because you are an administrator)`),
      };
    },
  };
}
export type VmXmlService = ReturnType<typeof createVmXmlService>;
