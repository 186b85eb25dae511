import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextItems, contextParams, MAX_SELECTION_CHARS, Offer } from '../common/editorContext';
import { selectedLines, selectionOf } from '../common/editorContext';
import type { EditorDiagnostic } from '../common/protocol';

const uri = 'file:///w/src/main.ts';
const range = (a: number, b: number, c: number, d: number) => ({
  start: { line: a, character: b },
  end: { line: c, character: d },
});
const problem = (message: string, severity: number, line = 0): EditorDiagnostic => ({
  uri,
  range: range(line, 4, line, 9),
  severity,
  message,
  source: 'ts',
});

const offer: Offer = {
  uri,
  name: 'src/main.ts',
  selection: selectionOf(uri, range(2, 0, 5, 0), 'function add(a, b) {\n  return a - b;\n}\n'),
  diagnostics: [problem('unused variable', 2, 7), problem('hint only', 4), problem("Cannot find name 'x'.", 1, 3)],
};

test('selected lines as the user reads them: a selection ending at a line start ends on the line before', () => {
  assert.deepEqual(selectedLines(offer.selection!), [3, 5]);
  assert.deepEqual(selectedLines({ uri, text: 'x', range: range(4, 2, 4, 2) }), [5, 5]);
  assert.deepEqual(selectedLines({ uri, text: 'x', range: range(4, 2, 6, 1) }), [5, 7]);
  assert.equal(selectionOf(uri, range(0, 0, 1, 0), '  \n'), undefined); // blank: nothing to offer
  const long = selectionOf(uri, range(0, 0, 1, 0), 'y'.repeat(MAX_SELECTION_CHARS + 5));
  assert.equal(long!.text.length, MAX_SELECTION_CHARS);
});

test('every part is offered picked: the file, the selection, then errors before warnings, no hints', () => {
  const items = contextItems(offer);
  assert.deepEqual(
    items.map((i) => [i.label, i.description, i.picked]),
    [
      ['$(file) Active file: src/main.ts', undefined, true],
      ['$(selection) Selection: lines 3-5 of src/main.ts', undefined, true],
      ["$(error) Cannot find name 'x'.", 'src/main.ts:4:5 (ts)', true],
      ['$(warning) unused variable', 'src/main.ts:8:5 (ts)', true],
    ],
  );
  assert.equal(items[1].detail, 'function add(a, b) {');
  const bare = contextItems({ uri, name: 'a.ts', diagnostics: [] });
  assert.deepEqual(bare.map((i) => i.label), ['$(file) Active file: a.ts']);
});

test('the context sent is what the user kept, nothing when all was unticked', () => {
  const items = contextItems(offer);
  assert.deepEqual(contextParams(offer, items), {
    activeFile: uri,
    selection: offer.selection,
    diagnostics: [problem("Cannot find name 'x'.", 1, 3), problem('unused variable', 2, 7)],
  });
  assert.deepEqual(contextParams(offer, [items[0], items[3]]), {
    activeFile: uri,
    diagnostics: [problem('unused variable', 2, 7)],
  });
  assert.deepEqual(contextParams(offer, [items[1]]), { selection: offer.selection });
  assert.equal(contextParams(offer, []), undefined);
});
