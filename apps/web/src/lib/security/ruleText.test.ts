import { afterEach, describe, expect, test } from 'vitest';
import { i18n } from '$lib/i18n/index.svelte';
import { findingTitle, findingWhy, fixActionLabel } from './ruleText';

afterEach(() => i18n.set('en'));

describe('rule texts', () => {
  test('a known rule is translated by its id; an unknown one keeps the server’s English', () => {
    i18n.set('es');
    expect(findingTitle({ ruleId: 'docker.container.privileged', title: 'Container runs privileged', params: {} })).toBe(
      'El contenedor se ejecuta en modo privilegiado',
    );
    expect(findingTitle({ ruleId: 'docker.container.brand-new', title: 'Brand new rule', params: {} })).toBe('Brand new rule');
    expect(fixActionLabel({ kind: 'container.drop-privileged', label: 'Recreate', command: 'docker run' })).toBe(
      'Recrear sin modo privilegiado',
    );
    expect(fixActionLabel({ kind: 'other', label: 'Other fix', command: 'x' })).toBe('Other fix');
  });

  test('why: Spanish by rule id; English is the server’s own sentence', () => {
    const f = { ruleId: 'docker.container.privileged', why: 'OWASP Docker D3: the server says so.', params: {} };
    expect(findingWhy(f)).toBe('OWASP Docker D3: the server says so.');
    i18n.set('es');
    expect(findingWhy(f)).toMatch(/^OWASP Docker D3: un contenedor privilegiado/);
    expect(findingWhy({ ...f, ruleId: 'libvirt.qemu-root.unknown' })).toMatch(/^Consejo del tema/);
    expect(findingWhy({ ...f, ruleId: 'docker.brand-new' })).toBe('OWASP Docker D3: the server says so.');
  });

  test('“could not check” findings reuse the rule’s title', () => {
    i18n.set('es');
    expect(
      findingTitle({ ruleId: 'libvirt.qemu-root.unknown', title: 'Could not check: QEMU runs as root', params: { reason: 'x' } }),
    ).toBe('No se pudo comprobar: QEMU se ejecuta como root');
    expect(findingTitle({ ruleId: 'libvirt.svirt.unknown', title: 'x', params: {} })).toBe(
      'No se pudo comprobar: sVirt (SELinux/AppArmor) no confina a las máquinas virtuales',
    );
    expect(findingTitle({ ruleId: 'host.security-updates.unknown', title: 'x', params: {} })).toBe(
      'No se pudo comprobar: hay actualizaciones de seguridad pendientes en este anfitrión',
    );
  });
});
