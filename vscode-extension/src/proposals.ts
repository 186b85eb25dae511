// Proposals on show: a file change as a diff (current file ↔ proposed text from a read-only virtual document),
// a command as a read-only document with its full text and where it runs, anything else in the status bar
// (waiting.ts). Approve / Reject / Feedback are CodeLenses and editor-title buttons; nothing here takes the
// keyboard focus, and everything shown for a step is withdrawn once it is decided, wherever that was.

import * as path from 'path';
import * as vscode from 'vscode';
import { ANSWER_COMMANDS, answersFor } from './common/answers';
import { proposedFiles, ProposedFile } from './common/changeSet';
import { applyEdits, commandDocument, describeProposal } from './common/messages';
import { ProposalParams, StepRef } from './common/protocol';
import { Questions } from './questions';
import { TASK_VIEW } from './common/taskPage';
import { Choice, Waiting } from './waiting';

export type { Choice } from './waiting';
export const SCHEME = 'autogpt-proposal';
const BINARY_NOTE = '(a binary file: named, not diffed)';

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
    return answersFor(proposal).map(
      (a) => new vscode.CodeLens(top, { title: `$(${a.icon}) ${a.label}`, command: ANSWER_COMMANDS[a.id], arguments: [ref] }),
    );
  }

  async show(proposal: ProposalParams, decide: (choice: Choice, ref: StepRef) => void): Promise<void> {
    this.pending.set(proposal.stepId, proposal);
    this.changed.fire();
    const shown = await this.reveal(proposal.stepId);
    // other proposals need no document to judge them; a question is asked by agent/question, and waits in the
    // status bar too, to be answered later if its input box was closed. A step the loop guard holds waits there
    // too, whatever it is: its notification (closed when it settles) and QuickPick say why and offer its answers.
    if (!shown || (proposal.guard && !proposal.auto)) this.waiting.announce(proposal, decide, proposal.tool !== 'ask_user');
  }

  /** A pending edit's diff (all its files, or the one named) or command document, e.g. after its tab was closed;
   * false when the step has no document to show. */
  async reveal(stepId: string, uri?: string): Promise<boolean> {
    const proposal = this.pending.get(stepId);
    const files = proposal ? proposedFiles(proposal).filter((f) => uri === undefined || f.uri === uri) : [];
    if (proposal && files.length) await this.showDiff(proposal, files);
    else if (proposal?.kind === 'command' && proposal.command) await this.showCommand(proposal);
    else return false;
    return true;
  }

  /** One file as a diff; a change set of several (a staged command's) as one multi-file diff editor. */
  private async showDiff(proposal: ProposalParams, files: ProposedFile[]): Promise<void> {
    const sides = await Promise.all(files.map((f) => this.sides(proposal, f)));
    const step = `step ${proposal.index + 1}`;
    if (sides.length === 1) {
      const [{ before, after, file }] = sides;
      const title = `AutoGPT: ${path.basename(file.path)} (proposed, ${step})`;
      return void (await vscode.commands.executeCommand('vscode.diff', before, after, title, showOptions()));
    }
    const title = `AutoGPT: ${sides.length} files (proposed, ${step})`;
    const resources = sides.map((s) => [s.file, s.before, s.after]);
    await vscode.commands.executeCommand('vscode.changes', title, resources);
  }

  /** A file's two sides: the file now (an empty document if it is new) and what the proposal makes of it. */
  private async sides(proposal: ProposalParams, f: ProposedFile) {
    const file = vscode.Uri.parse(f.uri);
    const current = await currentText(file);
    const text = f.change === 'deleted' ? '' : f.binary ? BINARY_NOTE : applyEdits(current ?? '', f.edits);
    const after = this.virtual(proposal, file.path, text);
    const before = current === undefined ? this.virtual(proposal, file.path, '', true) : file;
    return { file, before, after };
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
  // a multi-file diff (TabInputTextMultiDiff, newer than the API version this extension is built against)
  const multi = (tab.input as { textDiffs?: { original: vscode.Uri; modified: vscode.Uri }[] } | undefined)?.textDiffs;
  if (multi) return multi.flatMap((d) => [d.original, d.modified]);
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
