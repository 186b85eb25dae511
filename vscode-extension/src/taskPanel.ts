// "AutoGPT: Show Task": a webview panel per task with its transcript (common/transcript.ts shapes it, the page's
// script media/taskView.js draws it): the reply streaming in, a card per step, the plan and the running cost, with
// Approve / Reject / Feedback on the pending step. A decision goes through the same commands as the CodeLens and
// the status bar; the panel redraws whenever the tasks view learns something, so a step decided elsewhere loses
// its buttons. In speak mode (autogpt.speak) each new proposal's thoughts, said by the server (agent/speech),
// play in its task's open view.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import type { StepFile } from './common/checkpoints';
import { log } from './common/log';
import type { CommandOutputParams, ProposalParams, Speech, StepRef, ThinkingParams } from './common/protocol';
import { pageHtml, parseViewMessage, TASK_VIEW } from './common/taskPage';
import { appendOutput, StreamedReplies, transcript } from './common/transcript';
import { guarded } from './commands';
import type { Choice, Proposals } from './proposals';
import type { TasksView } from './tasksView';

export const SHOW_TASK = 'autogpt.showTask';
const REDRAW_MS = 80; // streamed pieces arrive a word at a time: the page is drawn at most this often

export interface PanelServices {
  extensionUri: vscode.Uri;
  tasks: TasksView;
  proposals: Proposals;
  /** Decide as the commands do; what was sent, or undefined when nothing was (the user closed an input box). */
  decide: (choice: Choice, ref: StepRef) => Promise<{ decision: string | null } | undefined>;
  showDiff: (file: StepFile) => Promise<void>;
  /** Whether speak mode is on (read at each proposal: the setting applies at once). */
  speaking: () => boolean;
  speech: (ref: StepRef) => Promise<Speech>;
}

export class TaskPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>(); // by task id
  private readonly replies = new StreamedReplies();
  private readonly sent = new Map<string, string>(); // step id -> the decision sent from a panel
  private readonly output = new Map<string, string>(); // step id -> its running command's output so far
  private readonly due = new Set<string>(); // task ids to redraw
  private readonly spoken = new Set<string>(); // step ids whose thoughts were asked for
  private readonly speechErrors = new Set<string>(); // each shown once; the log has them all
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly s: PanelServices) {
    this.subscriptions = [
      vscode.commands.registerCommand(
        SHOW_TASK,
        guarded((arg?: { taskId?: string }) => this.show(arg?.taskId)),
      ),
      // a redraw waits for the next tick: a proposal reaches the tree a moment before it is on show
      s.tasks.onDidChangeTreeData(() => this.redraw()),
      s.proposals.onDidChangeCodeLenses(() => this.redraw()),
    ];
  }

  onThinking(t: ThinkingParams): void {
    this.replies.add(t);
    if (this.panels.has(t.taskId)) this.redraw(t.taskId);
  }

  onCommandOutput(o: CommandOutputParams): void {
    if (!this.panels.has(o.taskId)) return;
    appendOutput(this.output, o.stepId, o.text);
    this.redraw(o.taskId);
  }

  /** Speak mode: a new proposal's thoughts, said in its task's view if that is open. */
  onProposal(p: ProposalParams): void {
    if (!p.thoughts || !this.panels.has(p.taskId) || this.spoken.has(p.stepId) || !this.s.speaking()) return;
    this.spoken.add(p.stepId);
    void this.speak({ taskId: p.taskId, stepId: p.stepId }, p.index);
  }

  private async speak(ref: StepRef, index: number): Promise<void> {
    try {
      const { mimeType, data } = await this.s.speech(ref);
      const src = `data:${mimeType};base64,${data}`;
      await this.panels.get(ref.taskId)?.webview.postMessage({ type: 'speak', stepId: ref.stepId, index, src });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn(`Speak mode: ${message}`);
      if (this.speechErrors.has(message)) return;
      this.speechErrors.add(message);
      void vscode.window.showWarningMessage(`AutoGPT speak mode: ${message}`);
    }
  }

  /** The task's panel (opened, or brought to the front); without a task id, the user picks one. */
  async show(taskId?: string): Promise<void> {
    const id = taskId ?? (await this.pick());
    if (!id) return;
    const open = this.panels.get(id);
    if (open) return open.reveal();
    const task = await this.s.tasks.load(id);
    if (!task) throw new Error(`no task ${id} (is the server running?)`);
    const media = vscode.Uri.joinPath(this.s.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      TASK_VIEW,
      title(task.summary.goal),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [media], enableFindWidget: true },
    );
    const { webview } = panel;
    panel.iconPath = vscode.Uri.joinPath(media, 'autogpt.svg');
    webview.html = pageHtml({
      cspSource: webview.cspSource,
      script: webview.asWebviewUri(vscode.Uri.joinPath(media, 'taskView.js')).toString(),
      style: webview.asWebviewUri(vscode.Uri.joinPath(media, 'taskView.css')).toString(),
      nonce: randomBytes(18).toString('base64url'),
    });
    const received = webview.onDidReceiveMessage((raw) => void guarded(() => this.receive(id, raw))());
    panel.onDidDispose(() => {
      received.dispose();
      this.panels.delete(id);
    });
    this.panels.set(id, panel);
  }

  private async pick(): Promise<string | undefined> {
    if (!this.s.tasks.all().length) await this.s.tasks.refresh(); // e.g. a task started from another client
    const tasks = this.s.tasks.all();
    if (tasks.length <= 1) {
      if (!tasks.length) void vscode.window.showInformationMessage('AutoGPT: no task yet (AutoGPT: Run Agent on Goal).');
      return tasks[0]?.taskId;
    }
    const items = tasks.map((t) => ({ label: t.goal, description: t.status, taskId: t.taskId }));
    return (await vscode.window.showQuickPick(items, { placeHolder: 'Which task?' }))?.taskId;
  }

  /** What the page posted: only about a step of its own task, and only what that step offers. */
  private async receive(taskId: string, raw: unknown): Promise<void> {
    const message = parseViewMessage(raw);
    if (!message) return log.warn(`Task view: ignored a message that is not one of its own: ${JSON.stringify(raw)}`);
    if (message.type === 'ready') return this.draw(taskId); // the page (re)loaded: it needs the whole view
    const task = this.s.tasks.snapshot(taskId);
    const step = task?.steps.find((s) => s.id === message.stepId);
    if (!task || !step) return;
    if (message.type === 'decide') {
      const result = await this.s.decide(message.choice, { taskId, stepId: step.id });
      if (result) this.sent.set(step.id, result.decision ?? message.choice);
      return this.draw(taskId); // nothing sent: its buttons come back
    }
    if (message.type === 'proposed') return void (await this.s.proposals.reveal(step.id, message.uri));
    if (step.changes?.after && step.changes.files.includes(message.path)) {
      const { workspace } = task.summary;
      await this.s.showDiff({ taskId, stepId: step.id, path: message.path, index: step.index, workspace });
    }
  }

  private redraw(taskId?: string): void {
    for (const id of taskId ? [taskId] : this.panels.keys()) this.due.add(id);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const due = [...this.due];
      this.due.clear();
      due.forEach((id) => this.draw(id));
    }, REDRAW_MS);
  }

  private draw(taskId: string): void {
    const panel = this.panels.get(taskId);
    const task = this.s.tasks.snapshot(taskId);
    if (!panel) return;
    // the tasks view let go of its steps (the server restarted): fetched again, then drawn by its change event
    if (!task) return void guarded(() => this.s.tasks.load(taskId))();
    for (const step of task.steps) if (step.status !== 'awaiting') this.sent.delete(step.id);
    for (const step of task.steps) if (step.result) this.output.delete(step.id);
    if (task.summary.status !== 'running') this.replies.clear(taskId);
    panel.title = title(task.summary.goal);
    const view = transcript(task.summary, task.steps, {
      proposal: (stepId) => this.s.proposals.get(stepId),
      sent: this.sent,
      output: this.output,
      thinking: this.replies.get(taskId),
    });
    void panel.webview.postMessage({ type: 'render', view });
  }

  dispose(): void {
    clearTimeout(this.timer);
    [...this.panels.values()].forEach((p) => p.dispose());
    this.subscriptions.forEach((d) => d.dispose());
  }
}

function title(goal: string): string {
  return `AutoGPT: ${goal.length > 40 ? `${goal.slice(0, 39).trimEnd()}…` : goal}`;
}
