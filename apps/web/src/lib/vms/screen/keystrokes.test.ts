import { describe, expect, test } from 'vitest';
import { textToKeystrokes } from './keystrokes';

const key = (keysym: number, shift = false) => ({ keysym, shift });

describe('textToKeystrokes', () => {
  test('Latin-1 characters are their own keysyms; US-shifted ones hold Shift', () => {
    expect(textToKeystrokes('aZ 9!é')).toEqual([key(0x61), key(0x5a, true), key(0x20), key(0x39), key(0x21, true), key(0xe9)]);
  });

  test('line ends (any style) press Return once; Tab presses Tab', () => {
    expect(textToKeystrokes('a\nb\r\nc\rd\te')).toEqual([
      key(0x61),
      key(0xff0d),
      key(0x62),
      key(0xff0d),
      key(0x63),
      key(0xff0d),
      key(0x64),
      key(0xff09),
      key(0x65),
    ]);
  });

  test('other Unicode uses X11 Unicode keysyms; other control characters type nothing', () => {
    expect(textToKeystrokes('€😀\x07\x1b')).toEqual([key(0x010020ac), key(0x0101f600)]);
  });

  test('every shifted symbol of a US keyboard', () => {
    expect(textToKeystrokes('~!@#$%^&*()_+{}|:"<>?').every((k) => k.shift)).toBe(true);
    expect(textToKeystrokes("`1234567890-=[]\\;',./").some((k) => k.shift)).toBe(false);
  });
});
