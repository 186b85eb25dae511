import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyEdits,
  commandDocument,
  describeProposal,
  statusText,
  stepDescription,
  stepDetails,
  terminalText,
} from '../common/messages';
import { ProposalParams, Step, TextEdit } from '../common/protocol';

const edit = (sl: number, sc: number, el: number, ec: number, newText: string): TextEdit => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  newText,
});

function proposal(over: Partial<ProposalParams> = {}): ProposalParams {
  return {
    taskId: 't1',
    stepId: 's1',
    index: 0,
    thoughts: 'Fix the capital.',
    tool: 'replace_in_file',
    arguments: { filename: 'notes.txt' },
    auto: false,
    approvedBy: '',
    kind: 'file_change',
    uri: 'file:///ws/notes.txt',
    workspaceEdit: null,
    command: null,
    guard: '',
    ...over,
  };
}

test('edits apply as the server computed them: whole lines, several at once, past the end', () => {
  assert.equal(applyEdits('title\ncity: Boston\n', [edit(1, 0, 2, 0, 'city: Washington\n')]), 'title\ncity: Washington\n');
  assert.equal(applyEdits('a\nb\nc', [edit(0, 0, 1, 0, 'A\n'), edit(2, 0, 2, 1, 'C')]), 'A\nb\nC');
  assert.equal(applyEdits('no newline', [edit(0, 3, 0, 10, 'end')]), 'no end');
  assert.equal(applyEdits('x\n', [edit(5, 0, 5, 0, 'y\n')]), 'x\ny\n');
  assert.equal(applyEdits('é😀b\n', [edit(0, 3, 0, 4, 'B')]), 'é😀B\n'); // UTF-16 units, as LSP counts
});

test('a command is shown in full with where it runs', () => {
  const p = proposal({
    kind: 'command',
    tool: 'execute_shell',
    thoughts: 'Run the tests.\nThen read them.',
    command: { kind: 'command', language: 'shell', command: 'pytest -q && echo ok', where: 'in the sandbox container' },
  });
  assert.equal(
    commandDocument(p),
    '# AutoGPT proposes to run this shell in the sandbox container:\n# Run the tests.\n# Then read them.\n\npytest -q && echo ok\n',
  );
  assert.equal(describeProposal(p), 'execute_shell: pytest -q && echo ok');
  const held = commandDocument({ ...p, guard: 'repeating execute_shell pytest -q && echo ok' });
  assert.equal(
    held.split('\n')[1],
    '# Loop guard: repeating execute_shell pytest -q && echo ok. It waits for you even in continuous mode. Rethink, Feedback…, Run anyway or Stop.',
  );
  assert.equal(commandDocument({ ...p, guard: 'repeating execute_shell', auto: true }), commandDocument(p)); // not held
  assert.equal(describeProposal(proposal()), 'replace_in_file(filename="notes.txt")');
});

test('status bar: the active task, its steps and cost; unknown cost is said so', () => {
  const task = {
    taskId: 't', goal: 'Write the word Washington to a file please', status: 'running' as const, reason: '',
    workspace: '/ws', steps: 3, createdAt: '2026-01-01T00:00:00', usage: { promptTokens: 300, completionTokens: 60, costUsd: 0.00012, cachedTokens: 0, cacheWriteTokens: 0 }, plan: [], summaries: [],
  };
  assert.equal(statusText(task), '$(hubot) Write the word Washington to… · 3 steps · $0.0001');
  assert.equal(statusText({ ...task, steps: 1, usage: { ...task.usage, costUsd: null } }), '$(hubot) Write the word Washington to… · 1 step · cost unknown');
  assert.equal(statusText(undefined), '$(hubot) AutoGPT');
});

test("a step's rows: proposal, decision with its text, result, tokens, cost", () => {
  const step: Step = {
    id: 's', taskId: 't', index: 1, status: 'feedback', rawReply: '', llmSeconds: 0.5, createdAt: '2026-01-01T00:00:00',
    diagnostics: [],
    proposal: { thoughts: 'Write it.', toolCall: { id: 'c', name: 'write_file', arguments: { filename: 'a.txt' } }, ignoredCalls: [] },
    decision: { kind: 'feedback', times: 1, text: 'use b.txt', source: 'human', rule: '', stepId: '', stepIndex: null, force: false },
    result: { ok: true, output: 'line1\nline2', exitCode: 0, files: [], undoNote: '' },
    changes: { before: 'a', after: 'b', files: ['a.txt', 'b.txt'], notCovered: [], error: '', commit: '' },
    usage: { promptTokens: 100, completionTokens: 20, costUsd: 0.00003, cachedTokens: 64, cacheWriteTokens: 0 },
  };
  assert.deepEqual(stepDetails(step), [
    { label: 'proposal', value: 'write_file {"filename":"a.txt"}' },
    { label: 'thoughts', value: 'Write it.' },
    { label: 'decision', value: 'feedback: use b.txt' },
    { label: 'result', value: 'ok (exit 0): line1 line2' },
    { label: 'files changed', value: 'a.txt, b.txt' },
    { label: 'tokens', value: '100 in (64 cached) + 20 out tokens' },
    { label: 'cost', value: '$0.0000' },
  ]);
  assert.equal(stepDescription(step), 'feedback');
  assert.equal(stepDescription({ ...step, status: 'rejected', decision: { ...step.decision!, kind: 'reject' } }), 'reject → rejected');
  assert.equal(stepDescription({ ...step, status: 'awaiting', decision: null }), 'waiting for you');
  assert.equal(stepDescription({ ...step, status: 'done', decision: { ...step.decision!, kind: 'approve', source: 'continuous' } }), 'auto-approve → done');
  const ruled: Step = { ...step, status: 'done', decision: { ...step.decision!, kind: 'approve', text: '', source: 'rule', rule: 'AUTO_APPROVE_COMMANDS pytest' } };
  assert.equal(stepDetails(ruled)[2].value, 'approve (auto: rule AUTO_APPROVE_COMMANDS pytest)');
});

test('command output gets CRLF for the terminal view', () => {
  assert.equal(terminalText('a\nb\r\nc'), 'a\r\nb\r\nc');
});
