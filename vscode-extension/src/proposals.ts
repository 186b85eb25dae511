// Proposals on show: a file change as a diff (current file ↔ proposed text from a read-only virtual document),
// a command as a read-only document with its full text and where it runs, anything else in the status bar
// (waiting.ts). Approve / Reject / Feedback are CodeLenses and editor-title buttons; nothing here takes the
// keyboard focus, and everything shown for a step is withdrawn once it is decided, wherever that was.

import * as path from 'path';
import * as vscode from 'vscode';
import { commandDocument, describeProposal, proposedText } from './common/messages';
import { ProposalParams, StepRef } from './common/protocol';
import { Questions } from './questions';
import { TASK_VIEW } from './common/taskPage';
import { Choice, Waiting } from './waiting';

export type { Choice } from './waiting';
export const SCHEME = 'autogpt-proposal';

export class Proposals implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly pending = new Map<string, ProposalParams>(); // by step id
  private readonly contents = new Map<string, string>(); // virtual document uri -> text
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly waiting = new Waiting();
  readonly questions = new Questions();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly registrations: vscode.Disposable[];

  constructor() {
    this.registrations = [
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, this),
      vscode.languages.registerCodeLensProvider({ scheme: SCHEME }, this),
    ];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const proposal = this.pending.get(stepOf(document.uri) ?? '');
    if (!proposal || isBeforeSide(document.uri)) return [];
    const ref: StepRef = { taskId: proposal.taskId, stepId: proposal.stepId };
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, { title: '$(check) Approve', command: 'autogpt.approveStep', arguments: [ref] }),
      new vscode.CodeLens(top, { title: '$(close) Reject', command: 'autogpt.rejectStep', arguments: [ref] }),
      new vscode.CodeLens(top, { title: '$(comment) Feedback…', command: 'autogpt.giveFeedback', arguments: [ref] }),
      new vscode.CodeLens(top, {
        title: '$(lightbulb) Ask the agent to critique this',
        command: 'autogpt.critiqueStep',
        arguments: [ref],
      }),
    ];
  }

  async show(proposal: ProposalParams, decide: (choice: Choice, ref: StepRef) => void): Promise<void> {
    this.pending.set(proposal.stepId, proposal);
    this.changed.fire();
    if (proposal.kind === 'file_change' && proposal.uri) await this.showDiff(proposal);
    else if (proposal.kind === 'command' && proposal.command) await this.showCommand(proposal);
    // other proposals need no document to judge them; a question is asked by agent/question, and waits in the
    // status bar too, to be answered later if its input box was closed
    else this.waiting.announce(proposal, decide, proposal.tool !== 'ask_user');
  }

  /** A pending edit's diff (or command document) again, e.g. after its tab was closed. */
  async reveal(stepId: string): Promise<void> {
    const proposal = this.pending.get(stepId);
    if (proposal?.kind === 'file_change' && proposal.uri) await this.showDiff(proposal);
    else if (proposal?.kind === 'command' && proposal.command) await this.showCommand(proposal);
  }

  private async showDiff(proposal: ProposalParams): Promise<void> {
    const file = vscode.Uri.parse(proposal.uri!);
    const current = await currentText(file);
    const after = this.virtual(proposal, file.path, proposedText(proposal, current));
    const before = current === undefined ? this.virtual(proposal, file.path, '', true) : file;
    const title = `AutoGPT: ${path.basename(file.path)} (proposed, step ${proposal.index + 1})`;
    await vscode.commands.executeCommand('vscode.diff', before, after, title, showOptions());
  }

  private async showCommand(proposal: ProposalParams): Promise<void> {
    const name = `/AutoGPT command, step ${proposal.index + 1}.${proposal.command!.language === 'python' ? 'py' : 'sh'}`;
    const uri = this.virtual(proposal, name, commandDocument(proposal));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), showOptions());
  }

  private virtual(proposal: ProposalParams, filePath: string, text: string, before = false): vscode.Uri {
    const query = new URLSearchParams({ step: proposal.stepId, ...(before && { side: 'before' }) }).toString();
    const uri = vscode.Uri.from({ scheme: SCHEME, path: filePath, query });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  /** The step was decided (here or elsewhere): its documents close, without moving the focus. */
  async settle(stepId: string): Promise<void> {
    this.waiting.settle(stepId);
    this.questions.settle(stepId);
    if (!this.pending.delete(stepId)) return;
    this.changed.fire();
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tabUris(tab).some((uri) => uri.scheme === SCHEME && stepOf(uri) === stepId));
    await vscode.window.tabGroups.close(tabs, true);
    for (const key of [...this.contents.keys()]) {
      if (stepOf(vscode.Uri.parse(key)) === stepId) this.contents.delete(key);
    }
  }

  /** Every pending step of the task (or of every task: the server stopped), withdrawn. */
  settleTask(taskId?: string): Promise<void[]> {
    const steps = [...this.pending.values()].filter((p) => taskId === undefined || p.taskId === taskId);
    return Promise.all(steps.map((p) => this.settle(p.stepId)));
  }

  get(stepId: string): ProposalParams | undefined {
    return this.pending.get(stepId);
  }

  /** Which step a command is about: its argument (CodeLens, tree row, editor title), the proposal in the
   * active editor, the only pending step, or the user's pick among several. */
  async target(arg: unknown): Promise<ProposalParams | undefined> {
    const fromArg =
      arg instanceof vscode.Uri ? stepOf(arg) : (arg as Partial<StepRef> | undefined)?.stepId;
    const active = vscode.window.activeTextEditor?.document.uri;
    const stepId = fromArg ?? (active?.scheme === SCHEME ? stepOf(active) : undefined);
    if (stepId) return this.pending.get(stepId);
    const all = [...this.pending.values()];
    if (all.length <= 1) return all[0];
    const picked = await vscode.window.showQuickPick(
      all.map((p) => ({ label: describeProposal(p), description: `step ${p.index + 1}`, proposal: p })),
      { placeHolder: 'Which proposal?' },
    );
    return picked?.proposal;
  }

  dispose(): void {
    this.registrations.forEach((r) => r.dispose());
    this.waiting.dispose();
    this.questions.dispose();
    this.changed.dispose();
  }
}

function stepOf(uri: vscode.Uri): string | undefined {
  return uri.scheme === SCHEME ? (new URLSearchParams(uri.query).get('step') ?? undefined) : undefined;
}

function isBeforeSide(uri: vscode.Uri): boolean {
  return new URLSearchParams(uri.query).get('side') === 'before';
}

function tabUris(tab: vscode.Tab): vscode.Uri[] {
  if (tab.input instanceof vscode.TabInputTextDiff) return [tab.input.original, tab.input.modified];
  if (tab.input instanceof vscode.TabInputText) return [tab.input.uri];
  return [];
}

/** The file's text now: its open buffer (unsaved changes included, as the server sees it), else the disk. An
 * earlier proposal's document for the same path is not the file (a revised proposal of a new file came after one). */
async function currentText(file: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === file.scheme && d.uri.fsPath === file.fsPath);
  if (open) return open.getText();
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  } catch {
    return undefined; // a new file
  }
}

/** Beside the editor the user is in (a file, or the task view they follow), never taking the focus from it. */
function showOptions(): vscode.TextDocumentShowOptions {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const taskView = tab instanceof vscode.TabInputWebview && tab.viewType.endsWith(TASK_VIEW);
  const beside = taskView || vscode.window.activeTextEditor?.document.uri.scheme === 'file';
  return {
    preserveFocus: true,
    preview: true,
    viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
  };
}
