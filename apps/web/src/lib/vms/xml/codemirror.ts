/**
 * CodeMirror 6 for the XML tab, in one module that the page imports lazily (`await import(...)`),
 * so the editor's ~200 KB only load when someone opens the XML tab.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { xml } from '@codemirror/lang-xml';
import { bracketMatching, defaultHighlightStyle, foldGutter, syntaxHighlighting } from '@codemirror/language';
import { MergeView } from '@codemirror/merge';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, highlightActiveLine, keymap, lineNumbers, type DecorationSet } from '@codemirror/view';

const theme = EditorView.theme({
  '&': { fontSize: '12px', border: '1px solid var(--color-border, #d4d4d8)', borderRadius: '0.375rem' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
  '.cm-gutters': { backgroundColor: 'transparent' },
  '.cm-error-line': { backgroundColor: 'rgba(220, 38, 38, 0.15)' },
  '.cm-error-line-gutter': { color: '#dc2626', fontWeight: '700' },
});

/** Marks the line libvirt's refusal points at (null clears it). */
const setErrorLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let next = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      const n = e.value;
      if (n === null || n < 1 || n > tr.state.doc.lines) next = Decoration.none;
      else next = Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(tr.state.doc.line(n).from)]);
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function base(readOnly: boolean): Extension[] {
  return [
    lineNumbers(),
    foldGutter(),
    history(),
    bracketMatching(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    xml(),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    EditorView.lineWrapping,
    EditorState.readOnly.of(readOnly),
    EditorView.editable.of(!readOnly),
    theme,
  ];
}

export interface XmlEditor {
  text(): string;
  /** Highlights (and scrolls to) a 1-based line; null clears. */
  markLine(line: number | null): void;
  destroy(): void;
}

export function createXmlEditor(parent: HTMLElement, doc: string, opts: { label: string; onchange?: () => void }): XmlEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        ...base(false),
        errorLine,
        EditorView.contentAttributes.of({ 'aria-label': opts.label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onchange?.();
        }),
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    markLine(line) {
      const valid = line !== null && line >= 1 && line <= view.state.doc.lines;
      view.dispatch({
        effects: [
          setErrorLine.of(valid ? line : null),
          ...(valid ? [EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'center' })] : []),
        ],
        ...(valid ? { selection: { anchor: view.state.doc.line(line).from } } : {}),
      });
    },
    destroy: () => view.destroy(),
  };
}

/** Side-by-side diff: the current definition (left) against the edit (right), both read-only. */
export function createXmlDiff(parent: HTMLElement, before: string, after: string): { destroy(): void } {
  const merge = new MergeView({
    parent,
    a: { doc: before, extensions: base(true) },
    b: { doc: after, extensions: base(true) },
    collapseUnchanged: { margin: 3, minSize: 6 },
    gutter: true,
  });
  return { destroy: () => merge.destroy() };
}
