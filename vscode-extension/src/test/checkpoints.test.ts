import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointParams, checkpointQuery, checkpointText, diffTitle, StepFile } from '../common/checkpoints';

const file: StepFile = { taskId: 't1', stepId: 's1', path: 'src/a b&c.txt', index: 2, workspace: '/ws' };

test('a checkpoint URI query carries the step and file, odd characters included, and parses back', () => {
  const query = checkpointQuery(file, 'before');
  assert.deepEqual(checkpointParams(query), { taskId: 't1', stepId: 's1', path: 'src/a b&c.txt', side: 'before' });
  assert.equal(checkpointParams(checkpointQuery(file, 'after'))?.side, 'after');
});

test('a query that is not a whole checkpoint reference is refused', () => {
  assert.equal(checkpointParams('task=t1&step=s1&side=before'), undefined);
  assert.equal(checkpointParams('task=t1&step=s1&path=a&side=sideways'), undefined);
  assert.equal(checkpointParams(''), undefined);
});

test('the document shows the text, nothing for a file that did not exist, a note for a binary one', () => {
  const base = { taskId: 't1', stepId: 's1', path: 'a.txt', side: 'before' as const };
  assert.equal(checkpointText({ ...base, exists: true, binary: false, text: 'old\n' }), 'old\n');
  assert.equal(checkpointText({ ...base, exists: false, binary: false, text: '' }), '');
  assert.match(checkpointText({ ...base, exists: true, binary: true, text: '' }), /binary file: not shown/);
});

test("the diff's title names the file and the step", () => {
  assert.equal(diffTitle(file, true), 'AutoGPT: a b&c.txt (before step 3 ↔ now)');
  assert.equal(diffTitle(file, false), 'AutoGPT: a b&c.txt (before step 3 ↔ after it)');
});
