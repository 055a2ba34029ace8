import { describe, expect, it } from 'vitest';
import { consoleCode } from '../../src/vms/console-broker.js';

/** The console's status and error sentences travel with a code the UI translates. */
describe('console message codes', () => {
  it('gives each fixed sentence its code', () => {
    expect(consoleCode('Connected to the serial console')).toEqual({ code: 'console.attached' });
    expect(consoleCode('Read-only: your role may watch this console but not type')).toEqual({ code: 'console.readOnly' });
    expect(consoleCode('The VM is not running; the console attaches when it starts')).toEqual({ code: 'console.notRunning' });
  });

  it('carries the variable part as a parameter', () => {
    expect(consoleCode('Console detached: Disconnected from qemu:///system due to end of file')).toEqual({
      code: 'console.detached',
      params: { detail: 'Disconnected from qemu:///system due to end of file' },
    });
    expect(consoleCode('Could not open the console: ssh: connect refused')).toEqual({
      code: 'console.openFailed',
      params: { detail: 'ssh: connect refused' },
    });
  });

  it('leaves a sentence it does not know without a code (the UI shows it as it is)', () => {
    expect(consoleCode('virsh said something new')).toEqual({});
  });
});
