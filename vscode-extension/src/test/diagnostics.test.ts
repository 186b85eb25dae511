import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import {
  editedUris,
  isProblem,
  newDiagnostics,
  OnChange,
  settle,
  toProtocol,
} from '../common/diagnostics';
import type { EditorDiagnostic, ProposalParams } from '../common/protocol';

const at = (line: number, character = 0) => ({ start: { line, character }, end: { line, character: character + 3 } });
const diag = (message: string, line: number, severity = 1, uri = 'file:///w/main.ts'): EditorDiagnostic => ({
  uri,
  range: at(line),
  severity,
  message,
  source: 'ts',
});

test("a vscode diagnostic becomes the protocol's: LSP severity from 1, its source only when it has one", () => {
  const range = { start: { line: 2, character: 6 }, end: { line: 2, character: 7 } };
  assert.deepEqual(toProtocol('file:///w/a.ts', { range, severity: 0, message: 'bad', source: 'ts' }), {
    uri: 'file:///w/a.ts',
    range,
    severity: 1,
    message: 'bad',
    source: 'ts',
  });
  const hint = toProtocol('file:///w/a.ts', { range, severity: 3, message: 'unused' });
  assert.equal(hint.severity, 4);
  assert.equal('source' in hint, false);
  assert.equal(isProblem(diag('e', 0, 1)) && isProblem(diag('w', 0, 2)), true);
  assert.equal(isProblem(diag('i', 0, 3)) || isProblem(diag('h', 0, 4)), false);
  assert.equal(isProblem({ ...diag('loop guard: the same read again', 0, 2), source: 'autogpt' }), false);
});

test('new diagnostics: those the file did not have before, whatever line the old ones moved to', () => {
  const old = diag("Type 'string' is not assignable to type 'number'.", 1);
  const added = diag("Type 'number' is not assignable to type 'string'.", 5);
  // the edit put two lines above the old error: it moved from line 1 to 3, and is not new
  assert.deepEqual(newDiagnostics([old], [{ ...old, range: at(3) }, added]), [added]);
  // a second copy of an error already there is new; the same message in another file too
  const again = { ...old, range: at(8) };
  assert.deepEqual(newDiagnostics([old], [old, again]), [again]);
  const elsewhere = { ...old, uri: 'file:///w/other.ts' };
  assert.deepEqual(newDiagnostics([old], [elsewhere]), [elsewhere]);
  // a warning with an error's message is not that error; a fixed error is not new
  const warning = { ...old, severity: 2 };
  assert.deepEqual(newDiagnostics([old], [warning]), [warning]);
  assert.deepEqual(newDiagnostics([old, added], [added]), []);
});

test("an edit's files: every URI its WorkspaceEdit touches, once", () => {
  const proposal = {
    uri: 'file:///w/a.ts',
    workspaceEdit: {
      documentChanges: [
        { kind: 'create', uri: 'file:///w/new.ts' },
        { textDocument: { uri: 'file:///w/a.ts', version: null }, edits: [] },
        { textDocument: { uri: 'file:///w/new.ts', version: null }, edits: [] },
        { kind: 'rename', oldUri: 'file:///w/old.ts', newUri: 'file:///w/renamed.ts' },
        { kind: 'delete', uri: 'file:///w/gone.ts' },
      ],
    },
  } as unknown as ProposalParams;
  assert.deepEqual(editedUris(proposal), [
    'file:///w/new.ts',
    'file:///w/a.ts',
    'file:///w/old.ts',
    'file:///w/renamed.ts',
    'file:///w/gone.ts',
  ]);
  assert.deepEqual(editedUris({ uri: null, workspaceEdit: null } as unknown as ProposalParams), []);
});

/** Diagnostics changing as an editor's event would say, on real timers. */
function editor(): { onChange: OnChange; fire: (...uris: string[]) => void; listeners: () => number } {
  const events = new EventEmitter();
  const onChange: OnChange = (listener) => {
    events.on('change', listener);
    return { dispose: () => events.off('change', listener) };
  };
  return { onChange, fire: (...uris) => events.emit('change', uris), listeners: () => events.listenerCount('change') };
}

/** How `work` ended and how long it took, timed from before it starts. */
const elapsed = async (work: () => Promise<unknown>) => {
  const start = performance.now();
  const how = await work();
  return { how, ms: performance.now() - start };
};

test('settled: quiet after the last change to the files (longer when nothing differs), else the cap', async () => {
  const options = { quietMs: 60, slowQuietMs: 250, capMs: 2000 };
  const e = editor();
  let found = false;
  const quick = elapsed(() => settle(e.onChange, ['file:///w/a.ts'], { ...options, found: () => found }));
  setTimeout(() => e.fire('file:///w/a.ts'), 20); // a first pass that found nothing new: the slow quiet starts
  setTimeout(() => e.fire('file:///w/other.ts'), 40); // another file: ignored
  setTimeout(() => {
    found = true; // the slower pass found the error
    e.fire('file:///w/b.ts', 'file:///w/a.ts');
  }, 120);
  const { how, ms } = await quick;
  assert.equal(how, 'quiet');
  assert.ok(ms >= 170 && ms < 900, `settled after ${ms} ms`);
  assert.equal(e.listeners(), 0); // unsubscribed

  const unchanged = await elapsed(() => settle(e.onChange, ['file:///w/a.ts'], { ...options, found: () => false }));
  assert.equal(unchanged.how, 'cap');
  const still = elapsed(() => settle(e.onChange, ['file:///w/a.ts'], { ...options, found: () => false }));
  setTimeout(() => e.fire('file:///w/a.ts'), 10);
  const slow = await still;
  assert.equal(slow.how, 'quiet');
  assert.ok(slow.ms >= 245 && slow.ms < 1500, `settled after ${slow.ms} ms`);
  assert.ok(unchanged.ms >= 1990) // timers may fire a millisecond early by this clock;

  // new problems there already when asked: the short quiet, no event needed
  const ready = await elapsed(() => settle(e.onChange, ['file:///w/a.ts'], { ...options, found: () => true }));
  assert.equal(ready.how, 'quiet');
  assert.ok(ready.ms >= 55 && ready.ms < 600, `settled after ${ready.ms} ms`);

  // changes that never stop: the cap
  const busy = elapsed(() => settle(e.onChange, ['file:///w/a.ts'], { ...options, capMs: 300, found: () => true }));
  const timer = setInterval(() => e.fire('file:///w/a.ts'), 20);
  const capped = await busy;
  clearInterval(timer);
  assert.equal(capped.how, 'cap');
  assert.ok(capped.ms >= 295 && capped.ms < 1200, `capped after ${capped.ms} ms`);
});
