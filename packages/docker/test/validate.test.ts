import { describe, expect, it } from 'vitest';
import {
  DockerValidationError,
  isBuiltinNetwork,
  shortId,
  validateCapability,
  validateContainerName,
  validateContainerPath,
  validateDevice,
  validateEnv,
  validateHostPath,
  validateHostname,
  validateLabels,
  validateNetworkName,
  validateSignal,
  validateUser,
  validateVolumeName,
} from '../src/index.js';
import { HOSTILE, validationError } from './helpers.js';

describe('DockerValidationError', () => {
  it('is a 400 naming its field, message starting with the field', () => {
    const err = new DockerValidationError('ports[1]', 'not a port');
    expect(err.statusCode).toBe(400);
    expect(err.field).toBe('ports[1]');
    expect(err.message).toBe('ports[1]: not a port');
    expect(new DockerValidationError('name', 'name: taken').message).toBe('name: taken');
  });
});

describe('names', () => {
  it.each(['web', 'a', 'W', 'web-1', 'db_2.prod', '9lives', 'x'.repeat(128)])('accepts %j', (n) => {
    expect(validateContainerName(n)).toBe(n);
    expect(validateVolumeName(n)).toBe(n);
    expect(validateNetworkName(n)).toBe(n);
  });
  it.each([...HOSTILE, '', '.hidden', '_x', '-x', 'x'.repeat(129), 'a/b', 'a:b', 'é'])('refuses %j', (n) => {
    const err = validationError(() => validateContainerName(n));
    expect(err.field).toBe('name');
    expect(err.message.startsWith('name: ')).toBe(true);
  });
  it('explains the problem with the field given', () => {
    expect(validationError(() => validateVolumeName('my data', 'mounts[0].source')).message).toBe(
      'mounts[0].source: Volume name "my data" contains a space; use only letters, digits, ".", "_" and "-".',
    );
    expect(validationError(() => validateContainerName('a\nb')).message).toContain('a line break');
  });
  it('knows builtin networks and short ids', () => {
    expect(['bridge', 'host', 'none'].every(isBuiltinNetwork)).toBe(true);
    expect(isBuiltinNetwork('lab')).toBe(false);
    expect(shortId('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortId('0123456789abcdef')).toBe('0123456789ab');
  });
});

describe('paths', () => {
  it.each([
    ['/srv/data', '/srv/data'],
    ['/srv//data/', '/srv/data'],
    ['/', '/'],
    ['//', '/'],
    ['/srv/./data', '/srv/data'],
    ['/srv/with space/x', '/srv/with space/x'],
  ])('normalizes %j to %j', (input, out) => {
    expect(validateHostPath(input)).toBe(out);
    expect(validateContainerPath(input)).toBe(out);
  });
  it.each(['', 'relative', '../etc', '/srv/../etc', '/srv/..', '/a\0b', '/a\nb', '/a\u007fb', '$(id)'])('refuses %j', (p) => {
    expect(validationError(() => validateHostPath(p, 'mounts[0].source')).field).toBe('mounts[0].source');
  });
  it('says why', () => {
    expect(validationError(() => validateHostPath('/srv/../etc', 'src')).message).toBe(
      'src: Host path "/srv/../etc" contains a ".." segment; write the path without "..".',
    );
    expect(validationError(() => validateContainerPath('data', 'workingDir')).message).toContain('is not absolute');
  });
});

describe('environment and labels', () => {
  it.each(['A=1', 'a_b=', 'PATH=/usr/bin:/bin', 'X.Y-Z=multi\nline', '_=x', 'K==='])('accepts %j', (e) => {
    expect(validateEnv(e)).toBe(e);
  });
  it.each(['NOVALUE', '=x', '1A=x', 'A B=x', '$(id)=x', 'A=x\0y', ';rm=x'])('refuses %j', (e) => {
    expect(validationError(() => validateEnv(e, 'env[2]')).message.startsWith('env[2]: ')).toBe(true);
  });
  it('checks label keys', () => {
    expect(validateLabels({ 'com.example.team': 'lab', x: '' })).toEqual({ 'com.example.team': 'lab', x: '' });
    expect(validationError(() => validateLabels({ '': 'x' })).field).toBe('labels');
    expect(validationError(() => validateLabels({ 'a=b': 'x' })).message).toContain('"="');
    expect(validationError(() => validateLabels({ 'a\nb': 'x' })).message).toContain('a line break');
  });
});

describe('capabilities and signals', () => {
  it('normalizes capabilities', () => {
    expect(validateCapability('net_admin')).toBe('NET_ADMIN');
    expect(validateCapability('CAP_SYS_ADMIN')).toBe('SYS_ADMIN');
    expect(validateCapability('all')).toBe('ALL');
    expect(validationError(() => validateCapability('NET_ADMINX', 'capAdd[0]')).message).toMatch(
      /^capAdd\[0\]: "NET_ADMINX" is not a Linux capability/,
    );
    expect(validationError(() => validateCapability('$(id)')).field).toBe('capAdd');
  });
  it('normalizes signals', () => {
    expect(validateSignal('term')).toBe('SIGTERM');
    expect(validateSignal('SIGHUP')).toBe('SIGHUP');
    expect(validateSignal('9')).toBe('9');
    expect(validateSignal('64')).toBe('64');
    expect(validateSignal('rtmin+3')).toBe('SIGRTMIN+3');
    for (const bad of ['0', '65', 'SIGFOO', 'TERM;', '']) expect(validationError(() => validateSignal(bad)).field).toBe('signal');
  });
});

describe('devices, users, host names', () => {
  it('parses device specs', () => {
    expect(validateDevice('/dev/fuse')).toEqual({ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' });
    expect(validateDevice('/dev/sdb:/dev/xvdb:r')).toEqual({ pathOnHost: '/dev/sdb', pathInContainer: '/dev/xvdb', permissions: 'r' });
    expect(validateDevice('/dev/snd:rw')).toEqual({ pathOnHost: '/dev/snd', pathInContainer: '/dev/snd', permissions: 'rw' });
    for (const bad of ['/dev/sdb:/dev/x:rx', '/dev/sdb:/dev/x:rr', 'dev/sdb', '/dev/../etc', '/dev/a:/dev/b:r:w', '/dev/a::r']) {
      expect(validationError(() => validateDevice(bad, 'devices[0]')).field).toBe('devices[0]');
    }
  });
  it.each(['root', '1000', '1000:1000', 'www-data:www-data', 'app:100'])('accepts user %j', (u) => expect(validateUser(u)).toBe(u));
  it.each(['', 'a:b:c', '$(id)', 'a b', ':1000', '99999999999'])('refuses user %j', (u) => {
    expect(validationError(() => validateUser(u)).field).toBe('user');
  });
  it.each(['web', 'web-1.lab.example', 'a'])('accepts host name %j', (h) => expect(validateHostname(h)).toBe(h));
  it.each(['-web', 'web-', 'a..b', 'a_b', 'x'.repeat(64), '$(id)', 'a b'])('refuses host name %j', (h) => {
    expect(validationError(() => validateHostname(h)).field).toBe('hostname');
  });
});
