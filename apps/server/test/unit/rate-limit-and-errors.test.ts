import { describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import { CreateHostBody, ClientMessage } from '@mirador/contract';
import { createFailureLimiter } from '../../src/auth/rate-limit.js';
import { describeValidation } from '../../src/plugins/errors.js';
import { parseOsRelease, parseVirshVersion } from '../../src/hosts/host-probe.js';

describe('failure limiter', () => {
  it('blocks after max failures inside the window and frees up after it', () => {
    const l = createFailureLimiter({ max: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) l.fail('u', 0);
    expect(l.retryAfter('u', 10)).toBe(1);
    expect(l.retryAfter('other', 10)).toBe(0);
    expect(l.retryAfter('u', 1001)).toBe(0);
    l.fail('u', 2000);
    l.reset('u');
    expect(l.retryAfter('u', 2001)).toBe(0);
  });
});

describe('validation messages', () => {
  it('name the field and say what is wrong', () => {
    expect(describeValidation({ instancePath: '', keyword: 'required', params: { missingProperty: 'address' } }, 'body')).toEqual({
      field: 'address',
      message: 'address is required',
      code: 'validation.required',
      params: { field: 'address' },
    });
    expect(describeValidation({ instancePath: '/port', keyword: 'maximum', params: { limit: 65535 } }, 'body').message).toBe(
      'port must be at most 65535',
    );
  });

  it('carry a stable code and the values its translation needs', () => {
    expect(describeValidation({ instancePath: '/name', keyword: 'maxLength', params: { limit: 64 } }, 'body')).toMatchObject({
      code: 'validation.maxLength',
      params: { field: 'name', limit: 64 },
    });
    expect(describeValidation({ instancePath: '/name', keyword: 'minLength', params: { limit: 1 } }, 'body').code).toBe('validation.empty');
    expect(describeValidation({ instancePath: '/name', keyword: 'pattern', params: { pattern: '^x$' } }, 'body').code).toBe(
      'validation.pattern',
    );
    expect(describeValidation({ instancePath: '/x', keyword: 'somethingNew', params: {} }, 'body').code).toBe('validation.invalid');
  });
});

describe('contract schemas', () => {
  const host = Compile(CreateHostBody);
  it.each(['x; rm -rf /', '$(reboot)', '../x', '<x>', 'a b', '-rf', ''])('refuse host name %j', (name) => {
    expect(host.Check({ name, address: '10.0.0.1', authMethod: 'generate' })).toBe(false);
  });
  it.each(['lab-1', 'node07.rack2', 'A_b'])('accept host name %j', (name) => {
    expect(host.Check({ name, address: '10.0.0.1', authMethod: 'generate' })).toBe(true);
  });
  it.each(['10.0.0.1', 'kvm.example.org', '::1', 'fe80::1'])('accept address %j', (address) => {
    expect(host.Check({ name: 'h', address, authMethod: 'generate' })).toBe(true);
  });
  it.each(['-oProxyCommand=x', 'a b', 'host;id', 'x`id`'])('refuse address %j', (address) => {
    expect(host.Check({ name: 'h', address, authMethod: 'generate' })).toBe(false);
  });
  it('types websocket messages', () => {
    const msg = Compile(ClientMessage);
    expect(msg.Check({ type: 'subscribe', topic: 'task:abc-123' })).toBe(true);
    expect(msg.Check({ type: 'subscribe', topic: 'task:../../x' })).toBe(false);
    expect(msg.Check({ type: 'explode' })).toBe(false);
  });
});

describe('host probe parsing', () => {
  it('reads os-release and virsh version', () => {
    expect(parseOsRelease('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(
      parseVirshVersion(
        'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\nRunning against daemon: 9.0.0\n',
      ),
    ).toBe('9.0.0 (QEMU 7.2.0)');
  });
});
