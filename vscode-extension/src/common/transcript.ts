// The task view's data (taskPanel.ts shows it in a webview): a task's summary, its steps, the proposals waiting
// for the user and the reply the LLM is streaming, turned into plain cards the webview's script only draws. No
// vscode import here, so the unit tests run it under plain node.

import { Answer, answersFor } from './answers';
import { proposedFiles, workspacePath } from './changeSet';
import { approvedBy, formatCost, formatTokens, stepDescription } from './messages';
import type { PlanItem, ProposalParams, Step, TaskSummary, ThinkingParams } from './protocol';

export interface Card {
  stepId: string;
  index: number;
  tool: string;
  arguments: string; // the tool call's arguments, as indented JSON
  command: string; // a proposed command's full text and where it runs ('' for other tools)
  thoughts: string;
  status: string;
  /** The user can decide it here, with `answers`: Approve / Reject / Feedback… (Answer… / Reject for a question;
   * Rethink / Feedback… / Run anyway / Stop for a step the loop guard holds, `guard` saying why). */
  pending: boolean;
  answers: Answer[];
  guard: string;
  decision: string;
  result: { ok: boolean; text: string } | null;
  output: string; // a running command's output so far ('' once its result is in)
  files: string[]; // the files the step changed, each a link to its diff against the checkpoint before it
  /** A pending edit's files (a staged command's change set has several): each a link to its proposed diff. */
  proposedFiles: { uri: string; path: string; change: string }[];
  diagnostics: string[];
  tokens: string;
  cost: string;
}

export interface TranscriptView {
  taskId: string;
  goal: string;
  status: string;
  reason: string;
  cost: string;
  tokens: string;
  steps: number;
  plan: PlanItem[];
  summaries: { label: string; text: string }[];
  cards: Card[];
  thinking: { index: number; text: string } | null; // the reply streaming in, before its proposal arrives
}

/** What the view knows beyond the stored task: the proposals on show, decisions sent, the streaming reply. */
export interface Live {
  proposal: (stepId: string) => ProposalParams | undefined;
  sent: ReadonlyMap<string, string>; // step id -> the decision sent from the view
  output: ReadonlyMap<string, string>; // step id -> its command's output so far (agent/commandOutput)
  thinking: { index: number; text: string } | undefined;
}

function card(step: Step, live: Live, workspace: string): Card {
  const call = step.proposal?.toolCall;
  const proposal = step.status === 'awaiting' ? live.proposal(step.id) : undefined;
  const sent = step.status === 'awaiting' ? (live.sent.get(step.id) ?? '') : '';
  const output = step.result ? '' : (live.output.get(step.id) ?? ''); // output: it was decided, it runs
  const decision = step.decision;
  const by = decision && decision.source !== 'human' ? ` (auto: ${approvedBy(decision)})` : '';
  const code = step.result?.exitCode === null || !step.result ? '' : ` (exit ${step.result.exitCode})`;
  const command = proposal?.command;
  return {
    stepId: step.id,
    index: step.index,
    tool: call?.name ?? '(no usable proposal)',
    arguments: call ? JSON.stringify(call.arguments, null, 2) : step.rawReply,
    command: command ? `${command.command}\n(${command.language}, ${command.where})` : '',
    thoughts: step.proposal?.thoughts ?? '',
    status: output ? 'running' : sent ? `${sent} sent` : stepDescription(step),
    pending: proposal !== undefined && !sent && !output,
    answers: proposal ? answersFor(proposal) : [],
    guard: proposal && !proposal.auto ? proposal.guard : '',
    decision: decision ? `${decision.kind}${by}${decision.text ? `: ${decision.text}` : ''}` : '',
    result: step.result ? { ok: step.result.ok, text: `${step.result.ok ? 'ok' : 'error'}${code}\n${step.result.output}` } : null,
    output,
    files: step.changes?.after ? step.changes.files : [],
    proposedFiles: (proposal ? proposedFiles(proposal) : []).map((f) => ({
      uri: f.uri,
      path: workspacePath(f.uri, workspace),
      change: f.binary ? `${f.change}, binary` : f.change,
    })),
    diagnostics: step.diagnostics.map((d) => `${d.path}:${d.line}:${d.column} ${d.severity}: ${d.message} (${d.source})`),
    tokens: formatTokens(step.usage),
    cost: formatCost(step.usage),
  };
}

/** The whole view of one task, its steps in order. */
export function transcript(summary: TaskSummary, steps: Step[], live: Live): TranscriptView {
  const ordered = [...steps].sort((a, b) => a.index - b.index);
  const proposed = new Set(ordered.map((s) => s.index)); // a reply with no usable proposal is a step too
  const thinking = live.thinking && !proposed.has(live.thinking.index) ? live.thinking : null;
  return {
    taskId: summary.taskId,
    goal: summary.goal,
    status: summary.status,
    reason: summary.reason,
    cost: formatCost(summary.usage),
    tokens: formatTokens(summary.usage),
    steps: summary.steps,
    plan: summary.plan,
    summaries: summary.summaries.map((s) => ({ label: `steps ${s.first + 1}–${s.end}`, text: s.text })),
    cards: ordered.map((s) => card(s, live, summary.workspace)),
    thinking: summary.status === 'running' ? thinking : null,
  };
}

/** The reply streaming in for each task (agent/thinking), as a whole text for the step it is for. */
export class StreamedReplies {
  private readonly replies = new Map<string, { index: number; text: string }>(); // by task id

  add({ taskId, index, delta }: ThinkingParams): void {
    const reply = this.replies.get(taskId);
    this.replies.set(taskId, { index, text: reply?.index === index ? reply.text + delta : delta });
  }

  get(taskId: string): { index: number; text: string } | undefined {
    return this.replies.get(taskId);
  }

  /** The task ended: nothing more streams for it. */
  clear(taskId: string): void {
    this.replies.delete(taskId);
  }
}

const OUTPUT_KEPT = 20_000; // characters of a running command's output the view keeps: its tail

/** A running command's output as it streams (agent/commandOutput), per step, its tail only. */
export function appendOutput(outputs: Map<string, string>, stepId: string, text: string): void {
  outputs.set(stepId, ((outputs.get(stepId) ?? '') + text).slice(-OUTPUT_KEPT));
}
