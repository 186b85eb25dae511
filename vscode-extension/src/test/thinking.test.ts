import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThinkingLines } from '../common/thinking';

const piece = (taskId: string, delta: string) => ({ taskId, index: 0, delta });

test('streamed pieces become whole lines, per task, the rest once the reply is complete', () => {
  const lines = new ThinkingLines();
  assert.deepEqual(lines.add(piece('a', 'Read')), []);
  assert.deepEqual(lines.add(piece('b', 'other\n')), ['other']);
  assert.deepEqual(lines.add(piece('a', 'ing the')), []);
  assert.deepEqual(lines.add(piece('a', ' notes.\n\nThen wr')), ['Reading the notes.', '']);
  assert.deepEqual(lines.add(piece('a', 'ite.')), []);
  assert.equal(lines.flush('a'), 'Then write.');
  assert.equal(lines.flush('a'), undefined);
  assert.equal(lines.flush('b'), undefined); // nothing after its last newline
});
