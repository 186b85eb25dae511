import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepFromProposal } from '../common/messages';
import type { ProposalParams, Step, TaskSummary } from '../common/protocol';
import { pageHtml, parseViewMessage } from '../common/taskPage';
import { appendOutput, StreamedReplies, transcript } from '../common/transcript';

const usage = (costUsd: number | null, promptTokens = 0) => ({
  promptTokens,
  completionTokens: 7,
  costUsd,
  cachedTokens: 0,
  cacheWriteTokens: 0,
});

const summary = (over: Partial<TaskSummary> = {}): TaskSummary => ({
  taskId: 't1',
  goal: 'Write hello.txt',
  status: 'running',
  reason: '',
  workspace: '/ws',
  steps: 2,
  usage: usage(0.0123, 300),
  createdAt: '2026-12-01T00:00:00Z',
  plan: [
    { text: 'write the file', done: true },
    { text: 'finish', done: false },
  ],
  summaries: [],
  ...over,
});

const proposal = (over: Partial<ProposalParams> = {}): ProposalParams => ({
  taskId: 't1',
  stepId: 's2',
  index: 1,
  thoughts: 'Run the tests.',
  tool: 'execute_shell',
  arguments: { command_line: 'pytest -q' },
  auto: false,
  approvedBy: '',
  kind: 'command',
  uri: null,
  workspaceEdit: null,
  command: { kind: 'command', language: 'shell', command: 'pytest -q', where: 'in the sandbox' },
  guard: '',
  ...over,
});

const done: Step = {
  ...stepFromProposal(proposal({ stepId: 's1', index: 0, tool: 'write_file', arguments: { filename: 'hello.txt' } })),
  status: 'done',
  decision: { kind: 'approve', times: 1, text: '', source: 'rule', rule: 'write_file', stepId: 's1', stepIndex: 0, force: false },
  result: { ok: true, output: 'Wrote hello.txt', exitCode: null, files: ['hello.txt'], undoNote: '' },
  changes: { before: 'c0', after: 'c1', files: ['hello.txt'], notCovered: [], error: '', commit: '' },
  usage: usage(0.0042, 120),
  diagnostics: [{ path: 'hello.txt', line: 1, column: 2, severity: 'error', message: 'bad', source: 'ts' }],
};

const noLive = { proposal: () => undefined, sent: new Map<string, string>(), output: new Map<string, string>(), thinking: undefined };

test('a done step is a card with its tool, arguments, decision, result, diff links, tokens and cost', () => {
  const view = transcript(summary(), [done], noLive);
  assert.equal(view.cost, '$0.0123');
  assert.equal(view.plan.length, 2);
  const [card] = view.cards;
  assert.equal(card.tool, 'write_file');
  assert.equal(card.arguments, JSON.stringify({ filename: 'hello.txt' }, null, 2));
  assert.equal(card.decision, 'approve (auto: rule write_file)');
  assert.deepEqual(card.result, { ok: true, text: 'ok\nWrote hello.txt' });
  assert.deepEqual(card.files, ['hello.txt']);
  assert.equal(card.cost, '$0.0042');
  assert.equal(card.tokens, '120 in + 7 out tokens');
  assert.deepEqual(card.diagnostics, ['hello.txt:1:2 error: bad (ts)']);
  assert.equal(card.pending, false);
});

test('an awaiting step has buttons only while its proposal is on show and no decision was sent from the view', () => {
  const awaiting = stepFromProposal(proposal());
  const shown = { ...noLive, proposal: (id: string) => (id === 's2' ? proposal() : undefined) };
  const [, card] = transcript(summary(), [awaiting, done], shown).cards; // sorted by index
  assert.equal(card.pending, true);
  assert.equal(card.command, 'pytest -q\n(shell, in the sandbox)');
  const sent = transcript(summary(), [awaiting], { ...shown, sent: new Map([['s2', 'approve']]) }).cards[0];
  assert.equal(sent.pending, false);
  assert.equal(sent.status, 'approve sent');
  // decided elsewhere: the proposal is withdrawn, so are the buttons
  assert.equal(transcript(summary(), [awaiting], noLive).cards[0].pending, false);
  // its command's output streams in: it was decided (wherever), it runs, no buttons; gone once the result is in
  const output = new Map<string, string>();
  appendOutput(output, 's2', '3 passed');
  appendOutput(output, 's2', ' in 0.1s\n');
  const running = transcript(summary(), [awaiting], { ...shown, output }).cards[0];
  assert.deepEqual([running.pending, running.status, running.output], [false, 'running', '3 passed in 0.1s\n']);
  const finished = { ...awaiting, status: 'done' as const, result: done.result };
  assert.equal(transcript(summary(), [finished], { ...shown, output }).cards[0].output, '');
  appendOutput(output, 's2', 'x'.repeat(30_000));
  assert.equal(output.get('s2')!.length, 20_000); // the tail only
  // completed: no buttons even if a stale proposal were still known
  assert.equal(transcript(summary(), [{ ...awaiting, status: 'done' }], shown).cards[0].pending, false);
});

test('a pending edit links to its proposed diff; a question is answered, not approved', () => {
  const edit = proposal({ kind: 'file_change', uri: 'file:///ws/src/app.ts', command: null, tool: 'write_file' });
  const live = { ...noLive, proposal: () => edit };
  const [shown] = transcript(summary(), [stepFromProposal(edit)], live).cards;
  assert.deepEqual(shown.proposedFiles, [{ uri: 'file:///ws/src/app.ts', path: 'src/app.ts', change: 'modified' }]);
  assert.deepEqual(shown.answers.map((a) => a.label), ['Approve', 'Reject', 'Feedback…', 'Ask the agent to critique this']);
  assert.equal(shown.guard, '');
  const ask = proposal({ tool: 'ask_user', kind: 'other', command: null, arguments: { question: 'Which?' } });
  const asked = transcript(summary(), [stepFromProposal(ask)], { ...noLive, proposal: () => ask }).cards[0];
  assert.deepEqual(asked.answers.map((a) => [a.id, a.label]), [['approve', 'Answer…'], ['reject', 'Reject']]);
});

test("a step the loop guard holds offers the guard's answers and says why", () => {
  const held = proposal({ tool: 'read_file', kind: 'other', command: null, guard: 'repeating read_file notes.txt' });
  const [c] = transcript(summary(), [stepFromProposal(held)], { ...noLive, proposal: () => held }).cards;
  assert.equal(c.pending, true);
  assert.equal(c.guard, 'repeating read_file notes.txt');
  assert.deepEqual(
    c.answers.map((a) => [a.id, a.label, a.primary]),
    [['rethink', 'Rethink', true], ['feedback', 'Feedback…', false], ['approve', 'Run anyway', false], ['stop', 'Stop', false]],
  );
  // a guard note on a step already auto-handled (the first catch: the LLM is told) holds nothing
  const told = { ...held, auto: true };
  const [t] = transcript(summary(), [stepFromProposal(told)], { ...noLive, proposal: () => told }).cards;
  assert.equal(t.guard, '');
  assert.deepEqual(t.answers.map((a) => a.id), ['approve', 'reject', 'feedback', 'critique']);
  // the page may post the guard's answers, and nothing else
  assert.deepEqual(parseViewMessage({ type: 'decide', choice: 'rethink', stepId: 's2' }), { type: 'decide', choice: 'rethink', stepId: 's2' });
  assert.deepEqual(parseViewMessage({ type: 'decide', choice: 'stop', stepId: 's2' }), { type: 'decide', choice: 'stop', stepId: 's2' });
  assert.equal(parseViewMessage({ type: 'decide', choice: 'run', stepId: 's2' }), undefined);
});

test("a staged command's change set lists every file, each with its own diff link", () => {
  const uris = ['file:///ws/new%20file.txt', 'file:///ws/src/app.py', 'file:///ws/old.log', 'file:///ws/logo.png'];
  const set = proposal({
    kind: 'file_change',
    uri: uris[0],
    command: null,
    tool: 'execute_shell',
    workspaceEdit: {
      documentChanges: [
        { kind: 'create', uri: uris[0] },
        { textDocument: { uri: uris[0], version: null }, edits: [] },
        { textDocument: { uri: uris[1], version: 3 }, edits: [] },
        { kind: 'delete', uri: uris[2] },
        { kind: 'create', uri: uris[3] },
      ],
    },
  });
  const [c] = transcript(summary(), [stepFromProposal(set)], { ...noLive, proposal: () => set }).cards;
  assert.deepEqual(
    c.proposedFiles.map((f) => [f.path, f.change]),
    [['new file.txt', 'created'], ['src/app.py', 'modified'], ['old.log', 'deleted'], ['logo.png', 'created, binary']],
  );
  assert.deepEqual(c.proposedFiles.map((f) => f.uri), uris);
  assert.deepEqual(parseViewMessage({ type: 'proposed', stepId: 's2', uri: uris[1] }), { type: 'proposed', stepId: 's2', uri: uris[1] });
  assert.deepEqual(parseViewMessage({ type: 'proposed', stepId: 's2' }), { type: 'proposed', stepId: 's2' });
});

test('the streamed reply shows until its step arrives, and not once the task ended', () => {
  const replies = new StreamedReplies();
  replies.add({ taskId: 't1', index: 1, delta: 'Reading ' });
  replies.add({ taskId: 't1', index: 1, delta: 'the notes.' });
  replies.add({ taskId: 't2', index: 0, delta: 'other task' });
  const live = { ...noLive, thinking: replies.get('t1') };
  assert.deepEqual(transcript(summary(), [done], live).thinking, { index: 1, text: 'Reading the notes.' });
  assert.equal(transcript(summary(), [done, stepFromProposal(proposal())], live).thinking, null);
  assert.equal(transcript(summary({ status: 'finished' }), [done], live).thinking, null);
  replies.add({ taskId: 't1', index: 2, delta: 'Next' }); // the next step's reply starts afresh
  assert.deepEqual(replies.get('t1'), { index: 2, text: 'Next' });
  replies.clear('t1');
  assert.equal(replies.get('t1'), undefined);
});

test('the page allows only its own stylesheet, the script with its nonce and data: audio (speak mode)', () => {
  const html = pageHtml({ cspSource: 'https://webview', script: 'https://webview/s.js', style: 'https://webview/s.css', nonce: 'N0nce' });
  const csp = /content="([^"]+)"/.exec(html)![1];
  assert.equal(csp, "default-src 'none'; style-src https://webview; script-src 'nonce-N0nce'; media-src data:");
  assert.equal(html.match(/<script/g)!.length, 1);
  assert.match(html, /<script nonce="N0nce" src="https:\/\/webview\/s.js"><\/script>/);
  assert.doesNotMatch(html, /http:|cdn|fonts\./i);
});

test('only well-formed messages from the page are acted on', () => {
  assert.deepEqual(parseViewMessage({ type: 'decide', choice: 'approve', stepId: 's1' }), {
    type: 'decide',
    choice: 'approve',
    stepId: 's1',
  });
  assert.deepEqual(parseViewMessage({ type: 'diff', stepId: 's1', path: 'a.txt' }), { type: 'diff', stepId: 's1', path: 'a.txt' });
  assert.deepEqual(parseViewMessage({ type: 'ready' }), { type: 'ready' });
  for (const bad of [null, 'approve', { type: 'decide', choice: 'rm -rf', stepId: 's1' }, { type: 'decide', choice: 'approve' },
    { type: 'diff', stepId: 's1' }, { type: 'decide', choice: 'approve', stepId: 3 }, { type: 'eval', stepId: 's1' }]) {
    assert.equal(parseViewMessage(bad), undefined, JSON.stringify(bad));
  }
});
