// The extension's commands (package.json's contributes.commands): each asks the user what it needs and sends one
// agent/* request. The server decides everything else; a failure is shown to the user, never thrown into VS Code.

import * as vscode from 'vscode';
import { RETHINK } from './common/answers';
import { log } from './common/log';
import { describeProposal } from './common/messages';
import { Requests, StepRef } from './common/protocol';
import type { DecisionResult, RequestMethod, RequestParams, RequestResult } from './common/protocol';
import { API_KEY_SECRET } from './common/server';
import { runParams, Settings } from './common/settings';
import { offerOf, pickContext } from './context';
import { DiagnosticsFeedback } from './diagnosticsFeedback';
import { Choice, Proposals } from './proposals';
import { TasksView } from './tasksView';

export type Request = <M extends RequestMethod>(method: M, params: RequestParams<M>) => Promise<RequestResult<M>>;

export interface Services {
  request: Request;
  settings: () => Settings;
  restart: () => Promise<void>;
  proposals: Proposals;
  tasks: TasksView;
  diagnostics: DiagnosticsFeedback;
  secrets: vscode.SecretStorage;
}

/** Run a command's work; a failure is shown to the user and logged (and the result is undefined). */
export function guarded<A extends unknown[], R>(work: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args) => {
    try {
      return await work(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(message);
      void vscode.window.showErrorMessage(`AutoGPT: ${message}`);
      return undefined;
    }
  };
}

const NOTHING_PENDING = 'AutoGPT: no step is waiting for a decision.';

export class Commands {
  constructor(private readonly s: Services) {}

  readonly approve = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    if (p.tool === 'ask_user') return this.answer(p);
    this.s.diagnostics.approving(p.stepId);
    return this.s.request(Requests.approveStep, { taskId: p.taskId, stepId: p.stepId });
  });

  readonly reject = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    const feedback = await vscode.window.showInputBox({
      title: `Reject ${describeProposal(p)}`,
      prompt: 'Tell the agent why, and it proposes again. Leave empty to stop the task (it can be resumed).',
      ignoreFocusOut: true,
    });
    if (feedback === undefined) return; // Escape: nothing decided
    return this.s.request(Requests.rejectStep, { taskId: p.taskId, stepId: p.stepId, ...(feedback && { feedback }) });
  });

  readonly feedback = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    if (p.tool === 'ask_user') return this.answer(p);
    const text = await vscode.window.showInputBox({
      title: `Feedback on ${describeProposal(p)}`,
      prompt: 'Nothing runs; the agent reads this and proposes again.',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Write something for the agent to read'),
    });
    return text ? this.s.request(Requests.feedback, { taskId: p.taskId, stepId: p.stepId, text }) : undefined;
  });

  /** The loop guard's rethink answer: feedback the server reads as "change your approach" (nothing runs). */
  readonly rethink = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    return this.s.request(Requests.feedback, { taskId: p.taskId, stepId: p.stepId, text: RETHINK });
  });

  /** The loop guard's Stop: a reject with no feedback, so the task stops (it can be resumed). */
  readonly stop = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    return this.s.request(Requests.rejectStep, { taskId: p.taskId, stepId: p.stepId });
  });

  /** Self-feedback: the agent critiques the pending proposal against the goal and proposes again (nothing runs). */
  readonly critique = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    if (p.tool === 'ask_user') {
      return void vscode.window.showInformationMessage('AutoGPT: a question has no proposal to critique.');
    }
    return this.s.request(Requests.selfFeedback, { taskId: p.taskId, stepId: p.stepId });
  });

  /** Undo every step from the one picked on (its file changes go back), in place of the pending proposal. */
  readonly undoStep = guarded(async (arg?: unknown) => {
    const row = arg as { kind?: string; taskId?: string; stepId?: string } | undefined;
    if (row?.kind === 'step' && row.taskId && row.stepId) {
      // a step's row in the tasks view: back to before that step
      return void (await this.s.request(Requests.rollback, { taskId: row.taskId, stepId: row.stepId }));
    }
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    const { stepList } = await this.s.request(Requests.getTask, { taskId: p.taskId });
    const undoable = stepList.filter((s) => s.status === 'done' && s.changes?.after).reverse();
    if (!undoable.length) return void vscode.window.showInformationMessage('AutoGPT: no step to undo.');
    const picked = await vscode.window.showQuickPick(
      undoable.map((s) => ({
        label: `Step ${s.index + 1}: ${s.proposal?.toolCall.name ?? '?'}`,
        description: s.changes?.files.join(', ') || 'no file changed',
        stepId: s.id,
      })),
      { title: 'AutoGPT: Undo back to before…', ignoreFocusOut: true },
    );
    if (picked) await this.s.request(Requests.rollback, { taskId: p.taskId, stepId: picked.stepId });
  });

  readonly redoStep = guarded(async (arg?: unknown) => {
    const p = await this.s.proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage(NOTHING_PENDING);
    await this.s.request(Requests.redo, { taskId: p.taskId });
  });

  /** The reply to an `ask_user` question (agent/question, or its proposal's buttons). */
  readonly ask = guarded((ref: StepRef & { question?: string }) => this.answer(ref));

  /** A button (status bar QuickPick, task view), routed by its id; what was sent, if anything. */
  decide(choice: Choice, ref: StepRef): Promise<DecisionResult | undefined> {
    const answers = {
      approve: this.approve,
      reject: this.reject,
      feedback: this.feedback,
      critique: this.critique,
      rethink: this.rethink,
      stop: this.stop,
    };
    return answers[choice](ref);
  }

  /** Ask in an InputBox that is withdrawn if the step is decided elsewhere meanwhile (questions.ts). */
  private async answer(ref: StepRef & { question?: string }): Promise<DecisionResult | undefined> {
    const question = ref.question ?? String(this.s.proposals.get(ref.stepId)?.arguments.question ?? '');
    const text = await this.s.proposals.questions.ask(ref.stepId, question);
    if (text === undefined) return; // closed, or decided elsewhere; if not, it still waits in the status bar
    return this.s.request(Requests.answer, { taskId: ref.taskId, stepId: ref.stepId, text });
  }

  private readonly runGoal = guarded(() =>
    this.run(
      'AutoGPT: Run Agent on Goal',
      'What should the agent do? It proposes one action at a time and waits for you.',
    ),
  );

  private readonly runOnSelection = guarded(async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      return void vscode.window.showInformationMessage('AutoGPT: select the code for the agent first.');
    }
    await this.run('AutoGPT: Run Agent on Selection', 'What should the agent do with the selected code?');
  });

  /** The goal, then the editor's context the user keeps (context.ts), sent as one agent/run. */
  private async run(title: string, prompt: string): Promise<void> {
    const offer = offerOf(vscode.window.activeTextEditor); // read before the input box takes the focus
    const goal = await vscode.window.showInputBox({
      title,
      prompt,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Enter a goal'),
    });
    if (!goal) return;
    const context = await pickContext(offer);
    if (context === null) return; // Escape: nothing runs
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.toString();
    const { taskId } = await this.s.request(Requests.run, runParams(goal, this.s.settings(), folder, context));
    log.info(`Task ${taskId} started: ${goal}`);
    await this.s.tasks.reload(taskId);
  }

  private readonly cancelTask = guarded(async (arg?: { taskId?: string }) => {
    const running = this.s.tasks.running();
    const taskId =
      arg?.taskId ??
      (running.length <= 1
        ? running[0]?.taskId
        : (await vscode.window.showQuickPick(running.map((t) => ({ label: t.goal, taskId: t.taskId }))))?.taskId);
    if (!taskId) return void vscode.window.showInformationMessage('AutoGPT: no task is running.');
    await this.s.request(Requests.cancel, { taskId });
  });

  private readonly setApiKey = guarded(async () => {
    const key = await vscode.window.showInputBox({ title: 'OpenAI API key', password: true, ignoreFocusOut: true });
    if (key === undefined) return;
    await (key ? this.s.secrets.store(API_KEY_SECRET, key) : this.s.secrets.delete(API_KEY_SECRET));
    void vscode.window.showInformationMessage("AutoGPT: key saved in VS Code's secret storage; restarting the server.");
    await vscode.commands.executeCommand('autogpt.restartServer');
  });

  register(): vscode.Disposable[] {
    const commands: Record<string, (...args: never[]) => unknown> = {
      'autogpt.runGoal': this.runGoal,
      'autogpt.runOnSelection': this.runOnSelection,
      'autogpt.approveStep': this.approve,
      'autogpt.rejectStep': this.reject,
      'autogpt.giveFeedback': this.feedback,
      'autogpt.critiqueStep': this.critique,
      'autogpt.rethinkStep': this.rethink,
      'autogpt.stopStep': this.stop,
      'autogpt.undoStep': this.undoStep,
      'autogpt.redoStep': this.redoStep,
      'autogpt.cancelTask': this.cancelTask,
      'autogpt.showTasks': () => vscode.commands.executeCommand('autogpt.tasks.focus'),
      'autogpt.refreshTasks': guarded(() => this.s.tasks.refresh()),
      'autogpt.restartServer': guarded(async () => {
        await this.s.restart();
        log.info('Server restarted');
      }),
      'autogpt.setApiKey': this.setApiKey,
    };
    return Object.entries(commands).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
  }
}
