/**
 * The part of noVNC's RFB client (`@novnc/novnc`, plain JavaScript without types) that the Screen tab
 * uses. See node_modules/@novnc/novnc/docs/API.md; keep this to what is called.
 */
declare module '@novnc/novnc' {
  /** What `RFB` accepts instead of a URL: a WebSocket or an object with the same members (see websock.js `attach`). */
  export interface RfbChannel {
    binaryType: string;
    readonly protocol: string;
    readonly readyState: number | string;
    send(data: ArrayBuffer | ArrayBufferView): void;
    close(): void;
    onopen: ((ev: Event) => void) | null;
    onmessage: ((ev: { data: ArrayBuffer }) => void) | null;
    onclose: ((ev: CloseEvent) => void) | null;
    onerror: ((ev: Event) => void) | null;
  }

  export interface RfbEvents {
    connect: CustomEvent<Record<string, never>>;
    disconnect: CustomEvent<{ clean: boolean }>;
    clipboard: CustomEvent<{ text: string }>;
    desktopname: CustomEvent<{ name: string }>;
    securityfailure: CustomEvent<{ status: number; reason?: string }>;
  }

  export default class RFB {
    constructor(target: HTMLElement, urlOrChannel: string | RfbChannel, options?: { shared?: boolean; wsProtocols?: string[] });
    viewOnly: boolean;
    scaleViewport: boolean;
    clipViewport: boolean;
    resizeSession: boolean;
    focusOnClick: boolean;
    background: string;
    disconnect(): void;
    sendCtrlAltDel(): void;
    /** Press and release `keysym` (or only press/release it with `down`); `code` picks a scancode if the server takes them. */
    sendKey(keysym: number, code: string | null, down?: boolean): void;
    clipboardPasteFrom(text: string): void;
    focus(options?: FocusOptions): void;
    addEventListener<K extends keyof RfbEvents>(type: K, listener: (ev: RfbEvents[K]) => void): void;
    removeEventListener<K extends keyof RfbEvents>(type: K, listener: (ev: RfbEvents[K]) => void): void;
  }
}
