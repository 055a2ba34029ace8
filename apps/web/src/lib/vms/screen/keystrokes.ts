/**
 * "Paste" on the Screen tab types text into the guest key by key: installers and consoles have no
 * clipboard agent, so key presses are what reaches them. X11 keysyms: a Latin-1 character's keysym is
 * its code point; any other Unicode character is 0x01000000 + its code point (servers without a
 * mapping for it drop it). VNC sends keysyms, not characters, and QEMU turns them into scancodes of a
 * US layout, so characters typed with Shift there get an explicit Shift press around them.
 */

export interface Keystroke {
  keysym: number;
  /** Hold Shift while pressing it (upper-case letters and the shifted symbols of a US keyboard). */
  shift: boolean;
}

export const XK_SHIFT_L = 0xffe1;
const XK_RETURN = 0xff0d;
const XK_TAB = 0xff09;
const US_SHIFTED = '~!@#$%^&*()_+{}|:"<>?';

/** The most a single paste types (a long paste by accident would keep the guest busy for minutes). */
export const MAX_TYPED_CHARS = 10_000;

export function textToKeystrokes(text: string): Keystroke[] {
  const strokes: Keystroke[] = [];
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\n') strokes.push({ keysym: XK_RETURN, shift: false });
    else if (ch === '\t') strokes.push({ keysym: XK_TAB, shift: false });
    else if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) {
      strokes.push({ keysym: cp, shift: (ch >= 'A' && ch <= 'Z') || US_SHIFTED.includes(ch) });
    } else if (cp > 0xff) strokes.push({ keysym: 0x01000000 + cp, shift: false });
    // Other control characters have nothing to type.
  }
  return strokes;
}
