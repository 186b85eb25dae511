// The answers a waiting step offers, in one place for every surface that asks (the task view's card, the status
// bar's QuickPick, the CodeLenses): Approve / Reject / Feedback… / critique; a question is answered; a step the loop guard
// holds (ProposalParams.guard) offers the guard's own answers, as the server's diagnostic and stock client do.
// No vscode import: unit-tested under node.

import type { ProposalParams } from './protocol';

/** A decision the user can take, told apart by this id, not by its label. `rethink` is feedback with the text
 * "rethink" (the agent changes its approach); `stop` is a reject without feedback (the task stops, resumable). */
export type Choice = 'approve' | 'reject' | 'feedback' | 'critique' | 'rethink' | 'stop';
export const CHOICES: readonly Choice[] = ['approve', 'reject', 'feedback', 'critique', 'rethink', 'stop'];
export const RETHINK = 'rethink'; // the feedback text the server's loop guard reads as its rethink answer

export interface Answer {
  id: Choice;
  label: string;
  icon: string; // a codicon name
  primary: boolean;
}

const answer = (id: Choice, label: string, icon: string, primary = false): Answer => ({ id, label, icon, primary });

/** What this step's buttons are, in order; only a step that waits for the human (not `auto`) is held. */
export function answersFor(p: Pick<ProposalParams, 'tool' | 'guard' | 'auto'>): Answer[] {
  if (p.tool === 'ask_user') return [answer('approve', 'Answer…', 'reply', true), answer('reject', 'Reject', 'close')];
  if (p.guard && !p.auto) {
    return [
      answer('rethink', 'Rethink', 'sync', true),
      answer('feedback', 'Feedback…', 'comment'),
      answer('approve', 'Run anyway', 'play'),
      answer('stop', 'Stop', 'debug-stop'),
    ];
  }
  return [
    answer('approve', 'Approve', 'check', true),
    answer('reject', 'Reject', 'close'),
    answer('feedback', 'Feedback…', 'comment'),
    answer('critique', 'Ask the agent to critique this', 'lightbulb'), // self-feedback: nothing runs
  ];
}

/** The command each answer runs from a CodeLens (package.json's contributes.commands). */
export const ANSWER_COMMANDS: Record<Choice, string> = {
  approve: 'autogpt.approveStep',
  reject: 'autogpt.rejectStep',
  feedback: 'autogpt.giveFeedback',
  critique: 'autogpt.critiqueStep',
  rethink: 'autogpt.rethinkStep',
  stop: 'autogpt.stopStep',
};

/** The reason a held step waits, as a line for a title or a notification ('' when it is not held). */
export function guardLine(p: Pick<ProposalParams, 'guard' | 'auto'>): string {
  return p.guard && !p.auto ? `Loop guard: ${p.guard}. It waits for you even in continuous mode.` : '';
}
