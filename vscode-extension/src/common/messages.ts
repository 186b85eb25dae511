// Pure shaping of the server's messages into what the user sees: proposed text, titles, tree rows, status.

import { guardLine } from './answers';
import type { Decision, Position, ProposalParams, Step, TaskSummary, TextEdit, Usage } from './protocol';

function offsetOf(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length; // past the end: LSP clamps to the end of the document
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  return Math.min(offset + position.character, lineEnd < 0 ? text.length : lineEnd);
}

/** `text` with LSP TextEdits applied (positions in UTF-16 code units, like JS strings). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const spans = edits
    .map((e) => ({ start: offsetOf(text, e.range.start), end: offsetOf(text, e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start);
  return spans.reduce((result, s) => result.slice(0, s.start) + s.text + result.slice(s.end), text);
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** One line: what the agent wants to do. */
export function describeProposal(p: ProposalParams): string {
  if (p.kind === 'command' && p.command) return `${p.tool}: ${shorten(p.command.command.split('\n')[0], 80)}`;
  const args = Object.entries(p.arguments).map(([k, v]) => `${k}=${shorten(JSON.stringify(v), 40)}`);
  return `${p.tool}(${args.join(', ')})`;
}

/** The read-only document shown for a proposed command: its full text and where it would run. */
export function commandDocument(p: ProposalParams): string {
  const c = p.command;
  if (!c) return '';
  const thoughts = p.thoughts ? p.thoughts.split('\n').map((l) => `# ${l}`) : [];
  const held = guardLine(p) ? [`# ${guardLine(p)} Rethink, Feedback…, Run anyway or Stop.`] : [];
  return [`# AutoGPT proposes to run this ${c.language} ${c.where}:`, ...held, ...thoughts, '', c.command, ''].join('\n');
}

export function formatCost(usage: Usage): string {
  return usage.costUsd === null ? 'cost unknown' : `$${usage.costUsd.toFixed(4)}`;
}

export function formatTokens(usage: Usage): string {
  const cached = usage.cachedTokens ? ` (${usage.cachedTokens} cached)` : '';
  return `${usage.promptTokens} in${cached} + ${usage.completionTokens} out tokens`;
}

/** The status bar: the active task, its step count and cost. */
export function statusText(task: TaskSummary | undefined): string {
  if (!task) return '$(hubot) AutoGPT';
  const steps = `${task.steps} step${task.steps === 1 ? '' : 's'}`;
  return `$(hubot) ${shorten(task.goal, 30)} · ${steps} · ${formatCost(task.usage)}`;
}

export function taskDescription(task: TaskSummary): string {
  return `${task.status} · ${task.steps} step${task.steps === 1 ? '' : 's'} · ${formatCost(task.usage)}`;
}

export function stepLabel(step: Step): string {
  const call = step.proposal?.toolCall;
  return `#${step.index + 1} ${call ? call.name : '(no proposal)'}`;
}

/** Approved without asking: continuous mode, `y -N` credit or a rule. */
const automatic = (decision: Decision) => decision.source !== 'human';

/** Who approved without asking, as every front end names it: the rule itself, `y -N` credit, continuous mode. */
export function approvedBy(decision: Decision): string {
  if (decision.source === 'rule') return decision.rule ? `rule ${decision.rule}` : 'rule';
  return decision.source === 'credit' ? 'y -N credit' : 'continuous mode';
}

export function stepDescription(step: Step): string {
  if (step.status === 'awaiting') return 'waiting for you';
  const decision = step.decision ? `${automatic(step.decision) ? 'auto-' : ''}${step.decision.kind}` : '';
  return decision === step.status ? decision : [decision, step.status].filter(Boolean).join(' → ');
}

/** The rows under a step in the tasks view: proposal, decision, result, files changed, tokens, cost. */
export function stepDetails(step: Step): { label: string; value: string }[] {
  const rows: { label: string; value: string }[] = [];
  const call = step.proposal?.toolCall;
  if (call) rows.push({ label: 'proposal', value: `${call.name} ${JSON.stringify(call.arguments)}` });
  if (step.proposal?.thoughts) rows.push({ label: 'thoughts', value: step.proposal.thoughts });
  if (step.decision) {
    const text = step.decision.text ? `: ${step.decision.text}` : '';
    const by = automatic(step.decision) ? ` (auto: ${approvedBy(step.decision)})` : '';
    rows.push({ label: 'decision', value: `${step.decision.kind}${by}${text}` });
  }
  if (step.result) {
    const code = step.result.exitCode === null ? '' : ` (exit ${step.result.exitCode})`;
    rows.push({ label: 'result', value: `${step.result.ok ? 'ok' : 'error'}${code}: ${step.result.output}` });
  }
  if (step.changes?.files.length) rows.push({ label: 'files changed', value: step.changes.files.join(', ') });
  if (step.changes?.notCovered.length) rows.push({ label: 'not undoable', value: step.changes.notCovered.join(', ') });
  rows.push({ label: 'tokens', value: formatTokens(step.usage) }, { label: 'cost', value: formatCost(step.usage) });
  return rows.map((r) => ({ label: r.label, value: shorten(r.value.replace(/\s+/g, ' '), 200) }));
}

/** A terminal wants CRLF; command output arrives with bare LFs. */
export function terminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The tree's row for a step that is still waiting for a decision (the server sends the full step later). */
export function stepFromProposal(p: ProposalParams): Step {
  return {
    id: p.stepId,
    taskId: p.taskId,
    index: p.index,
    status: 'awaiting',
    proposal: { thoughts: p.thoughts, toolCall: { id: '', name: p.tool, arguments: p.arguments }, ignoredCalls: [] },
    rawReply: '',
    decision: null,
    result: null,
    changes: null,
    usage: { promptTokens: 0, completionTokens: 0, costUsd: 0, cachedTokens: 0, cacheWriteTokens: 0 },
    llmSeconds: 0,
    createdAt: new Date().toISOString(),
    diagnostics: [],
  };
}
