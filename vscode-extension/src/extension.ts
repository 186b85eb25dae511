// AutoGPT in VS Code: a thin client over `autogpt-ls lsp`. The server holds every bit of agent state; this
// extension starts it, shows its proposals and sends the user's decisions back.

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { log, logChannel } from './common/log';
import { describeProposal, statusText } from './common/messages';
import {
  CommandOutput,
  Notifications,
  Proposal,
  Question,
  Requests,
  Step,
  StepCompleted,
  StepRef,
  TaskEnded,
  TaskSummary,
  Thinking,
} from './common/protocol';
import { API_KEY_SECRET, createServer } from './common/server';
import { ignoredWorkspaceSettings, resolveSettings, runParams, Settings } from './common/settings';
import { CommandOutputView } from './output';
import { Proposals } from './proposals';
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

async function request<T>(method: string, params: unknown): Promise<T> {
  if (!client?.isRunning()) throw new Error('the AutoGPT server is not running (AutoGPT: Restart Server)');
  return client.sendRequest<T>(method, params);
}

/** Run a command's work; a failure is shown to the user and logged, never thrown into VS Code. */
function guarded<A extends unknown[]>(work: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await work(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(message);
      void vscode.window.showErrorMessage(`AutoGPT: ${message}`);
    }
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const proposals = new Proposals();
  const output = new CommandOutputView();
  const tasks = new TasksView(() =>
    client?.isRunning()
      ? {
          listTasks: async () => (await request<{ tasks: TaskSummary[] }>(Requests.listTasks, {})).tasks,
          getTask: (taskId) => request(Requests.getTask, { taskId }),
        }
      : undefined,
  );
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'autogpt.showTasks';
  const showStatus = () => {
    status.text = statusText(tasks.active());
    status.tooltip = tasks.active()?.goal ?? 'AutoGPT: no task running';
    status.show();
  };
  showStatus();
  const treeView = vscode.window.createTreeView('autogpt.tasks', { treeDataProvider: tasks, showCollapseAll: true });
  context.subscriptions.push(logChannel(), proposals, output, status, treeView, tasks.onDidChangeTreeData(showStatus));

  const approve = guarded(async (arg?: unknown) => {
    const p = await proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage('AutoGPT: no step is waiting for a decision.');
    if (p.tool === 'ask_user') return answer(p);
    await request(Requests.approveStep, { taskId: p.taskId, stepId: p.stepId });
  });
  const reject = guarded(async (arg?: unknown) => {
    const p = await proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage('AutoGPT: no step is waiting for a decision.');
    const feedback = await vscode.window.showInputBox({
      title: `Reject ${describeProposal(p)}`,
      prompt: 'Tell the agent why, and it proposes again. Leave empty to stop the task (it can be resumed).',
      ignoreFocusOut: true,
    });
    if (feedback === undefined) return; // Escape: nothing decided
    await request(Requests.rejectStep, { taskId: p.taskId, stepId: p.stepId, ...(feedback && { feedback }) });
  });
  const feedback = guarded(async (arg?: unknown) => {
    const p = await proposals.target(arg);
    if (!p) return void vscode.window.showInformationMessage('AutoGPT: no step is waiting for a decision.');
    if (p.tool === 'ask_user') return answer(p);
    const text = await vscode.window.showInputBox({
      title: `Feedback on ${describeProposal(p)}`,
      prompt: 'Nothing runs; the agent reads this and proposes again.',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Write something for the agent to read'),
    });
    if (text) await request(Requests.feedback, { taskId: p.taskId, stepId: p.stepId, text });
  });
  const answer = async (ref: StepRef & { question?: string }) => {
    const question = ref.question ?? String(proposals.get(ref.stepId)?.arguments.question ?? '');
    const text = await vscode.window.showInputBox({ title: 'AutoGPT asks', prompt: question, ignoreFocusOut: true });
    if (text === undefined) {
      void vscode.window.showInformationMessage('AutoGPT is still waiting: answer with "AutoGPT: Give Feedback".');
      return;
    }
    await request(Requests.answer, { taskId: ref.taskId, stepId: ref.stepId, text });
  };
  const choices: Record<string, (ref: StepRef) => Promise<void>> = {
    Approve: approve,
    Reject: reject,
    'Feedback…': feedback,
  };
  const decide = (choice: string, ref: StepRef) => void choices[choice]?.(ref);

  const wire = (c: LanguageClient) => [
    c.onNotification(Notifications.proposal, (p: Proposal) => {
      tasks.onProposal(p);
      if (!p.auto) void proposals.show(p, decide);
      else if (p.command) output.write(p.stepId, `$ ${p.command.command}   (${p.command.where})`, '');
    }),
    c.onNotification(Notifications.question, (q: Question) => guarded(answer)(q)),
    c.onNotification(Notifications.commandOutput, (o: CommandOutput) => {
      const command = proposals.get(o.stepId)?.command;
      void output.write(o.stepId, command ? `$ ${command.command}   (${command.where})` : '$', o.text);
    }),
    c.onNotification(Notifications.stepCompleted, ({ taskId, step }: StepCompleted) => {
      void proposals.settle(step.id);
      logStep(step);
      void guarded(() => tasks.reload(taskId))();
    }),
    c.onNotification(Notifications.taskEnded, (e: TaskEnded) => {
      void proposals.settleTask(e.taskId);
      log.info(`Task ${e.taskId} ${e.status}${e.reason ? `: ${e.reason}` : ''}`);
      void guarded(() => tasks.reload(e.taskId))();
    }),
    c.onNotification(Notifications.thinking, (t: Thinking) => log.info(`[${t.taskId.slice(0, 8)}] ${t.text}`)),
  ];

  let wiring: vscode.Disposable[] = [];
  const start = async () => {
    client = await createServer(settings(), context.secrets);
    wiring = wire(client);
    await client.start();
    await tasks.refresh();
  };
  const stop = async () => {
    wiring.forEach((d) => d.dispose());
    await client?.stop();
    client = undefined;
  };
  context.subscriptions.push({ dispose: () => void stop() });

  const commands: Record<string, (...args: never[]) => unknown> = {
    'autogpt.runGoal': guarded(async () => {
      const goal = await vscode.window.showInputBox({
        title: 'AutoGPT: Run Agent on Goal',
        prompt: 'What should the agent do? It proposes one action at a time and waits for you.',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Enter a goal'),
      });
      if (!goal) return;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.toString();
      const { taskId } = await request<{ taskId: string }>(Requests.run, runParams(goal, settings(), folder));
      log.info(`Task ${taskId} started: ${goal}`);
      await tasks.reload(taskId);
    }),
    'autogpt.approveStep': approve,
    'autogpt.rejectStep': reject,
    'autogpt.giveFeedback': feedback,
    'autogpt.cancelTask': guarded(async (arg?: { taskId?: string }) => {
      const running = tasks.running();
      const taskId =
        arg?.taskId ??
        (running.length <= 1
          ? running[0]?.taskId
          : (await vscode.window.showQuickPick(running.map((t) => ({ label: t.goal, taskId: t.taskId }))))?.taskId);
      if (!taskId) return void vscode.window.showInformationMessage('AutoGPT: no task is running.');
      await request(Requests.cancel, { taskId });
    }),
    'autogpt.showTasks': () => vscode.commands.executeCommand('autogpt.tasks.focus'),
    'autogpt.refreshTasks': guarded(() => tasks.refresh()),
    'autogpt.restartServer': guarded(async () => {
      await stop();
      await start();
      log.info('Server restarted');
    }),
    'autogpt.setApiKey': guarded(async () => {
      const key = await vscode.window.showInputBox({ title: 'OpenAI API key', password: true, ignoreFocusOut: true });
      if (key === undefined) return;
      await (key ? context.secrets.store(API_KEY_SECRET, key) : context.secrets.delete(API_KEY_SECRET));
      void vscode.window.showInformationMessage('AutoGPT: key saved in VS Code\'s secret storage; restarting the server.');
      await vscode.commands.executeCommand('autogpt.restartServer');
    }),
  };
  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  }
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (SERVER_SETTINGS.some((key) => e.affectsConfiguration(`autogpt.${key}`))) {
        void vscode.commands.executeCommand('autogpt.restartServer');
      }
    }),
  );
  await guarded(start)();
}

function logStep(step: Step): void {
  const tool = step.proposal?.tool_call.name ?? '?';
  log.info(`Step ${step.index + 1} (${tool}) ${step.decision?.kind ?? ''} → ${step.status}`);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
