// AutoGPT in VS Code: a thin client over `autogpt-ls lsp`. The server holds every bit of agent state; this
// extension starts it, shows its proposals and sends the user's decisions back (commands.ts).

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { log, logChannel } from './common/log';
import { statusText } from './common/messages';
import { NotificationMethod, NotificationParams, Notifications, Requests, Step } from './common/protocol';
import { createServer } from './common/server';
import { ignoredWorkspaceSettings, resolveSettings, Settings } from './common/settings';
import { ThinkingLines } from './common/thinking';
import { CheckpointDiffs, SHOW_STEP_DIFF } from './checkpointDiffs';
import type { StepFile } from './common/checkpoints';
import { Commands, guarded, Request } from './commands';
import { DiagnosticsFeedback } from './diagnosticsFeedback';
import { CommandOutputView } from './output';
import { Proposals } from './proposals';
import { TaskPanels } from './taskPanel';
import { TasksView } from './tasksView';

let client: LanguageClient | undefined;
// the settings that shape the server's process; the others are read on each agent/run
const SERVER_SETTINGS = ['serverCommand', 'interpreter', 'executor', 'openaiBaseUrl', 'envFile'];

function settings(): Settings {
  const config = vscode.workspace.getConfiguration('autogpt');
  const inspect = <T>(key: string) => config.inspect<T>(key);
  const ignored = ignoredWorkspaceSettings(inspect);
  if (ignored.length) log.warn(`Ignoring workspace values of ${ignored.map((k) => `autogpt.${k}`).join(', ')}`);
  return resolveSettings(inspect);
}

const request: Request = async (method, params) => {
  if (!client?.isRunning()) throw new Error('the AutoGPT server is not running (AutoGPT: Restart Server)');
  return client.sendRequest(method, params);
};

interface Views {
  proposals: Proposals;
  output: CommandOutputView;
  tasks: TasksView;
  commands: Commands;
  diagnostics: DiagnosticsFeedback;
  panels: TaskPanels;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const proposals = new Proposals();
  const output = new CommandOutputView();
  const tasks = new TasksView(() =>
    client?.isRunning()
      ? {
          listTasks: async () => (await request(Requests.listTasks, {})).tasks,
          getTask: (taskId) => request(Requests.getTask, { taskId }),
        }
      : undefined,
  );
  const treeView = vscode.window.createTreeView('autogpt.tasks', { treeDataProvider: tasks, showCollapseAll: true });
  const status = statusBar(tasks);
  const diffs = new CheckpointDiffs((params) => request(Requests.checkpointFile, params));
  const showDiff = vscode.commands.registerCommand(
    SHOW_STEP_DIFF,
    guarded((file: StepFile) => diffs.show(file)),
  );
  const diagnostics = new DiagnosticsFeedback((params) => request(Requests.diagnostics, params));
  context.subscriptions.push(logChannel(), proposals, output, status, treeView, diffs, showDiff, diagnostics);

  let wiring: vscode.Disposable[] = [];
  const start = async () => {
    client = await createServer(settings(), context);
    if (!client) return; // managedServer.ts told the user why
    wiring = listen(client, { proposals, output, tasks, commands, diagnostics, panels });
    await client.start();
    await tasks.refresh();
  };
  const stop = async () => {
    wiring.forEach((d) => d.dispose());
    await proposals.settleTask(); // the server that proposed them is going; a resumed task proposes again
    diagnostics.clear();
    await client?.stop();
    client = undefined;
  };
  // The tasks running in the old server (it pauses them when it stops) go on in the new one.
  const restart = async () => {
    const carried = tasks.running().map((t) => t.taskId);
    await stop();
    await start();
    for (const taskId of carried) await guarded(() => request(Requests.resume, { taskId }))();
    if (carried.length) log.info(`Resumed after the restart: ${carried.join(', ')}`);
    await guarded(() => tasks.refresh())();
  };
  const commands = new Commands({ request, settings, restart, proposals, tasks, diagnostics, secrets: context.secrets });
  const panels = new TaskPanels({
    extensionUri: context.extensionUri,
    tasks,
    proposals,
    decide: (choice, ref) => commands.decide(choice, ref),
    showDiff: (file) => diffs.show(file),
    speaking: () => settings().speak,
    speech: (ref) => request(Requests.speech, ref),
  });
  context.subscriptions.push({ dispose: () => void stop() }, ...commands.register(), panels);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (SERVER_SETTINGS.some((key) => e.affectsConfiguration(`autogpt.${key}`))) {
        void vscode.commands.executeCommand('autogpt.restartServer');
      }
    }),
  );
  await guarded(start)();
}

/** The status bar: the active task, kept up to date by the tasks view. */
function statusBar(tasks: TasksView): vscode.Disposable {
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'autogpt.showTasks';
  const show = () => {
    status.text = statusText(tasks.active());
    status.tooltip = tasks.active()?.goal ?? 'AutoGPT: no task running';
    status.show();
  };
  show();
  return vscode.Disposable.from(status, tasks.onDidChangeTreeData(show));
}

/** The server's agent/* notifications, each shown where it belongs. */
function listen(
  c: LanguageClient,
  { proposals, output, tasks, commands, diagnostics, panels }: Views,
): vscode.Disposable[] {
  const on = <M extends NotificationMethod>(method: M, handle: (params: NotificationParams<M>) => void) =>
    c.onNotification(method, handle);
  const thinking = new ThinkingLines();
  const logThinking = (taskId: string, line: string | undefined) =>
    line !== undefined && log.info(`[${taskId.slice(0, 8)}] ${line}`);
  return [
    on(Notifications.thinking, (t) => {
      thinking.add(t).forEach((line) => logThinking(t.taskId, line));
      panels.onThinking(t);
    }),
    on(Notifications.proposal, (p) => {
      logThinking(p.taskId, thinking.flush(p.taskId));
      void guarded(() => tasks.onProposal(p))();
      diagnostics.onProposal(p);
      panels.onProposal(p);
      if (p.guard) log.info(`[${p.taskId.slice(0, 8)}] loop guard: ${p.guard}${p.auto ? ' (not run; the agent is told)' : ''}`);
      // a held step's reason and answers: proposals.ts (its notification closes itself once the step is decided)
      if (!p.auto) void proposals.show(p, (choice, ref) => commands.decide(choice, ref));
      else if (p.command) output.write(p.stepId, `$ ${p.command.command}   (${p.command.where})`, '');
    }),
    on(Notifications.question, (q) => void commands.ask(q)),
    on(Notifications.commandOutput, (o) => {
      panels.onCommandOutput(o);
      const command = proposals.get(o.stepId)?.command;
      void output.write(o.stepId, command ? `$ ${command.command}   (${command.where})` : '$', o.text);
    }),
    on(Notifications.stepCompleted, ({ taskId, step }) => {
      logThinking(taskId, thinking.flush(taskId)); // an unusable reply has no proposal
      void proposals.settle(step.id);
      void diagnostics.onStepCompleted(step);
      logStep(step);
      void guarded(() => tasks.reload(taskId))();
    }),
    on(Notifications.plan, (p) => tasks.onPlan(p)),
    on(Notifications.compacted, (c) => {
      log.info(`[${c.taskId.slice(0, 8)}] context compacted: steps ${c.summary.first + 1}–${c.summary.end} summarised`);
      void guarded(() => tasks.reload(c.taskId))();
    }),
    on(Notifications.rewindRefused, (r) => void vscode.window.showWarningMessage(`AutoGPT: ${r.message}`)),
    on(Notifications.taskEnded, (e) => {
      logThinking(e.taskId, thinking.flush(e.taskId));
      void proposals.settleTask(e.taskId);
      log.info(`Task ${e.taskId} ${e.status}${e.reason ? `: ${e.reason}` : ''}`);
      void guarded(() => tasks.reload(e.taskId))();
    }),
  ];
}

function logStep(step: Step): void {
  const tool = step.proposal?.toolCall.name ?? '?';
  log.info(`Step ${step.index + 1} (${tool}) ${step.decision?.kind ?? ''} → ${step.status}`);
  if (step.changes?.files.length) log.info(`  files changed: ${step.changes.files.join(', ')}`);
  if (step.changes?.notCovered.length) log.info(`  not covered by undo: ${step.changes.notCovered.join(', ')}`);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
