import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answersFor, ANSWER_COMMANDS, CHOICES } from '../common/answers';
import { proposedFiles, workspacePath } from '../common/changeSet';
import { applyEdits } from '../common/messages';
import type { ProposalParams, TextEdit } from '../common/protocol';

const edit = (line: number, newText: string): TextEdit => ({
  range: { start: { line, character: 0 }, end: { line, character: 0 } },
  newText,
});

const fileChange = (workspaceEdit: ProposalParams['workspaceEdit'], uri = 'file:///ws/notes.txt') => ({
  kind: 'file_change' as const,
  uri,
  workspaceEdit,
});

test("each file's own edits make its proposed text; a new file's come after its CreateFile", () => {
  const files = proposedFiles(
    fileChange({
      documentChanges: [
        { kind: 'create', uri: 'file:///ws/notes.txt' },
        { textDocument: { uri: 'file:///ws/notes.txt', version: null }, edits: [edit(0, 'Washington\n')] },
        { textDocument: { uri: 'file:///ws/other.txt', version: 2 }, edits: [edit(1, 'second\n')] },
      ],
    }),
  );
  assert.deepEqual(files.map((f) => [f.uri, f.change, f.binary]), [
    ['file:///ws/notes.txt', 'created', false],
    ['file:///ws/other.txt', 'modified', false],
  ]);
  assert.equal(applyEdits('', files[0].edits), 'Washington\n');
  assert.equal(applyEdits('first\n', files[1].edits), 'first\nsecond\n');
});

test('a deleted file, a binary new file, the changes map form; nothing for a command', () => {
  const files = proposedFiles(
    fileChange({
      documentChanges: [
        { kind: 'delete', uri: 'file:///ws/gone.txt', options: { ignoreIfNotExists: true } },
        { kind: 'create', uri: 'file:///ws/logo.png' },
      ],
      changes: { 'file:///ws/map.txt': [edit(0, 'x')] },
    }),
  );
  assert.deepEqual(files.map((f) => [f.uri, f.change, f.binary, f.edits.length]), [
    ['file:///ws/gone.txt', 'deleted', false, 0],
    ['file:///ws/logo.png', 'created', true, 0],
    ['file:///ws/map.txt', 'modified', false, 1],
  ]);
  assert.deepEqual(proposedFiles({ kind: 'command', uri: null, workspaceEdit: null }), []);
  // an edit with no operations still names its file (a write that changes nothing)
  assert.deepEqual(proposedFiles(fileChange(null)).map((f) => f.uri), ['file:///ws/notes.txt']);
});

test('paths are shown below the workspace folder, decoded', () => {
  assert.equal(workspacePath('file:///ws/src/a%20b.ts', '/ws'), 'src/a b.ts');
  assert.equal(workspacePath('file:///ws/src/a.ts', '/ws/'), 'src/a.ts');
  assert.equal(workspacePath('file:///wsx/a.ts', '/ws'), '/wsx/a.ts'); // a sibling folder is not below it
});

test('every answer has its command, and only a held step that waits gets the guard answers', () => {
  assert.deepEqual(Object.keys(ANSWER_COMMANDS).sort(), [...CHOICES].sort());
  const held = { tool: 'read_file', guard: 'repeating read_file notes.txt', auto: false };
  assert.deepEqual(answersFor(held).map((a) => a.id), ['rethink', 'feedback', 'approve', 'stop']);
  assert.deepEqual(answersFor({ ...held, auto: true }).map((a) => a.id), ['approve', 'reject', 'feedback', 'critique']);
  assert.deepEqual(answersFor({ ...held, guard: '' }).map((a) => a.id), ['approve', 'reject', 'feedback', 'critique']);
});
