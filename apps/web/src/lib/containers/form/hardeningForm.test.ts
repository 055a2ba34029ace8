import type { CreateContainerBody } from '@mirador/contract';
import { dockerRunCommand } from '@mirador/docker';
import { describe, expect, it } from 'vitest';
import { buildBody, emptyForm, errorSlot, formFromSettings, suggestedTmpfsRow, type RunForm } from './runForm';

function form(edit: (f: RunForm) => void): RunForm {
  const f = emptyForm('h1');
  f.image = 'labbox';
  edit(f);
  return f;
}

describe('the run form: Security & limits', () => {
  it('sends nothing while everything is at the defaults', () => {
    expect(buildBody(form(() => {})).body).toEqual({ image: 'labbox' });
  });

  it('turns every option into the body, and the body into the docker run line', () => {
    const f = form((f) => {
      f.readOnlyRootfs = true;
      f.mounts.push(suggestedTmpfsRow('/tmp'));
      Object.assign(f.hardening, {
        seccomp: 'unconfined',
        apparmor: 'profile',
        apparmorProfile: 'lab-web',
        selinux: 'label',
        selinuxType: 'svirt_apache_t',
        userns: 'host',
        pidsLimit: '128',
        ulimits: 'nofile=1024:2048, nproc=64',
        cpusetCpus: '0',
        blkioWeight: '500',
        health: 'custom',
        healthCmd: 'test -e /tmp',
        healthInterval: '5s',
        healthRetries: '2',
      });
    });
    const { body, errors } = buildBody(f);
    expect(errors).toEqual({});
    expect(body).toMatchObject({
      mounts: [{ type: 'tmpfs', target: '/tmp', options: ['noexec', 'nosuid'] }],
      seccomp: 'unconfined',
      apparmor: 'lab-web',
      selinux: { type: 'svirt_apache_t' },
      userns: 'host',
      pidsLimit: 128,
      ulimits: ['nofile=1024:2048', 'nproc=64'],
      cpusetCpus: '0',
      blkioWeight: 500,
      healthcheck: { cmd: 'test -e /tmp', interval: '5s', retries: 2 },
    });
    expect(dockerRunCommand(body)).toBe(
      "docker run -d --tmpfs /tmp:noexec,nosuid --read-only --security-opt seccomp=unconfined --security-opt apparmor=lab-web --security-opt label=type:svirt_apache_t --userns host --pids-limit 128 --ulimit nofile=1024:2048 --ulimit nproc=64 --cpuset-cpus 0 --blkio-weight 500 --health-cmd 'test -e /tmp' --health-interval 5s --health-retries 2 labbox",
    );
  });

  it('reads a container back into the same form (recreate keeps the options)', () => {
    const settings: CreateContainerBody = {
      image: 'labbox',
      seccomp: 'custom',
      seccompProfile: '{"defaultAction":"SCMP_ACT_ERRNO"}',
      selinux: { disable: true },
      pidsLimit: 10,
      ulimits: ['nofile=10'],
      noHealthcheck: true,
      mounts: [{ type: 'tmpfs', target: '/run', mode: '755', options: ['nodev'] }],
    };
    const back = buildBody(formFromSettings('h1', settings)).body;
    expect({ ...back, seccompProfile: JSON.stringify(JSON.parse(back.seccompProfile!)) }).toEqual(settings);
  });

  it('explains mistakes in the slot of the field', () => {
    const { errors } = buildBody(
      form((f) => {
        f.name = 'my web';
        f.mounts.push({ ...suggestedTmpfsRow('/tmp'), flags: 'noexec, uid=0' });
        Object.assign(f.hardening, {
          seccomp: 'custom',
          seccompProfile: '{not json',
          apparmor: 'profile',
          apparmorProfile: 'unconfined',
          pidsLimit: '0',
          blkioWeight: '5',
          health: 'custom',
          healthRetries: 'x',
        });
      }),
    );
    expect(Object.keys(errors).sort()).toEqual(
      ['apparmor', 'blkioWeight', 'healthcheck.cmd', 'healthcheck.retries', 'mounts.0', 'name', 'pidsLimit', 'seccompProfile'].sort(),
    );
  });

  it("puts the server's field on the right input", () => {
    const index = { env: [], ports: [], mounts: [] };
    expect(errorSlot('ulimits[1]', index)).toBe('ulimits');
    expect(errorSlot('selinux.type', index)).toBe('selinux');
    expect(errorSlot('healthcheck.interval', index)).toBe('healthcheck.interval');
    expect(errorSlot('noHealthcheck', index)).toBe('healthcheck.cmd');
    expect(errorSlot('cpusetCpus', index)).toBe('cpusetCpus');
    expect(errorSlot('seccompProfile', index)).toBe('seccompProfile');
  });
});
