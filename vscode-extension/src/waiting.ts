// A proposal that is neither a file edit nor a command (finish, ...) waits where it can be withdrawn once its step
// is decided anywhere: a status bar item that opens a QuickPick (Approve / Reject / Feedback… / critique; for a
// step the loop guard holds, its reason and Rethink / Feedback… / Run anyway / Stop), both hidden when the step
// settles. The one notification only says that a proposal waits, and it is a progress notification, which closes
// itself when the step settles: VS Code cannot take back an information message and its buttons.

import * as vscode from 'vscode';
import { answersFor, Choice, guardLine } from './common/answers';
import { describeProposal } from './common/messages';
import { ProposalParams, StepRef } from './common/protocol';

export type { Choice } from './common/answers';
type Decide = (choice: Choice, ref: StepRef) => void;
type Answer = vscode.QuickPickItem & { id: Choice };
export const REVIEW_COMMAND = 'autogpt.reviewProposal';

interface Entry {
  proposal: ProposalParams;
  decide: Decide;
  settled: () => void; // closes the notification
  pick?: vscode.QuickPick<Answer>;
}

export class Waiting implements vscode.Disposable {
  private readonly open = new Map<string, Entry>(); // by step id, in the order they came
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 9);
  private readonly command = vscode.commands.registerCommand(REVIEW_COMMAND, (ref?: StepRef) => this.review(ref));

  /** `notify`: also the notification that says it waits (not for a question: its input box is on show). */
  announce(proposal: ProposalParams, decide: Decide, notify = true): void {
    let settled = () => {};
    const done = new Promise<void>((resolve) => (settled = resolve));
    this.open.set(proposal.stepId, { proposal, decide, settled });
    this.refresh();
    const held = proposal.guard ? ` held by the loop guard (${proposal.guard})` : '';
    const title = `AutoGPT proposes ${describeProposal(proposal)}${held}: waiting for you (status bar)`;
    if (notify) void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => done);
  }

  /** The QuickPick for one waiting step (the given one, else the oldest); hidden if the step settles meanwhile. */
  review(ref?: StepRef): void {
    const entry = this.open.get(ref?.stepId ?? '') ?? [...this.open.values()][0];
    if (!entry) return void vscode.window.showInformationMessage('AutoGPT: no proposal is waiting.');
    if (entry.pick) return entry.pick.show();
    const { proposal } = entry;
    if (proposal.tool === 'ask_user') return entry.decide('approve', proposal); // approving a question answers it
    const pick = (entry.pick = vscode.window.createQuickPick<Answer>());
    pick.title = `AutoGPT proposes ${describeProposal(proposal)} (step ${proposal.index + 1})`;
    pick.placeholder = guardLine(proposal) || proposal.thoughts || 'Approve, reject or give feedback';
    pick.items = answersFor(proposal).map((a) => ({ label: `$(${a.icon}) ${a.label}`, id: a.id }));
    pick.ignoreFocusOut = true;
    pick.onDidAccept(() => {
      const choice = pick.selectedItems[0];
      pick.hide();
      if (choice && this.open.has(proposal.stepId)) entry.decide(choice.id, proposal);
    });
    pick.onDidHide(() => {
      pick.dispose();
      entry.pick = undefined;
    });
    pick.show();
  }

  /** The step was decided (here or elsewhere): its notification, QuickPick and status bar entry go. */
  settle(stepId: string): void {
    const entry = this.open.get(stepId);
    if (!entry) return;
    this.open.delete(stepId);
    entry.settled();
    entry.pick?.hide();
    this.refresh();
  }

  private refresh(): void {
    const first = [...this.open.values()][0]?.proposal;
    if (!first) return void this.item.hide();
    const more = this.open.size > 1 ? ` (+${this.open.size - 1})` : '';
    const held = guardLine(first);
    this.item.text = `$(${held ? 'warning' : 'bell'}) AutoGPT: ${first.tool} ${held ? 'held by the loop guard' : 'waiting'}${more}`;
    this.item.tooltip = held
      ? `AutoGPT proposes ${describeProposal(first)}. ${held} Click to rethink, give feedback, run it anyway or stop.`
      : `AutoGPT proposes ${describeProposal(first)}. Click to approve, reject or give feedback.`;
    const ref: StepRef = { taskId: first.taskId, stepId: first.stepId };
    this.item.command = { title: 'Review', command: REVIEW_COMMAND, arguments: [ref] };
    this.item.show();
  }

  dispose(): void {
    [...this.open.keys()].forEach((stepId) => this.settle(stepId));
    this.item.dispose();
    this.command.dispose();
  }
}
