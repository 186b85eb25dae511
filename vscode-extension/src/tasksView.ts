// The activity-bar view: tasks, each with the agent's plan (its todo list), the summaries of its compacted steps
// and its steps, and each step's proposal, decision, result, tokens and cost. Live: notifications update it; a task's stored steps are fetched when it is
// first expanded.

import * as vscode from 'vscode';
import { SHOW_STEP_DIFF } from './checkpointDiffs';
import type { StepFile } from './common/checkpoints';
import { stepDescription, stepDetails, stepFromProposal, stepLabel, taskDescription } from './common/messages';
import type { PlanParams, ProposalParams, Step, TaskDetail, TaskSummary } from './common/protocol';

type Node =
  | { kind: 'task'; taskId: string }
  | { kind: 'plan'; taskId: string }
  | { kind: 'summaries'; taskId: string }
  | { kind: 'step'; taskId: string; stepId: string }
  | { kind: 'detail'; label: string; value: string; icon?: string }
  | { kind: 'file'; file: StepFile };

interface TaskState {
  summary: TaskSummary;
  steps: Map<string, Step> | undefined; // undefined until loaded
}

export interface TaskSource {
  listTasks(): Promise<TaskSummary[]>;
  getTask(taskId: string): Promise<TaskDetail>;
}

const ICONS: Record<string, string> = { running: 'sync~spin', finished: 'pass', stopped: 'debug-pause', failed: 'error' };

export class TasksView implements vscode.TreeDataProvider<Node> {
  private readonly tasks = new Map<string, TaskState>();
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly source: () => TaskSource | undefined) {}

  async refresh(): Promise<void> {
    const source = this.source();
    if (!source) return;
    const tasks = await source.listTasks();
    this.tasks.clear();
    for (const summary of tasks) this.tasks.set(summary.taskId, { summary, steps: undefined });
    this.changed.fire(undefined);
  }

  /** The most recent running task, for the status bar. */
  active(): TaskSummary | undefined {
    return [...this.tasks.values()]
      .map((t) => t.summary)
      .filter((t) => t.status === 'running')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  }

  /** Every task, the newest first. */
  all(): TaskSummary[] {
    return [...this.tasks.values()].map((t) => t.summary).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** A task's summary and steps as this view holds them (undefined until its steps are loaded). */
  snapshot(taskId: string): { summary: TaskSummary; steps: Step[] } | undefined {
    const task = this.tasks.get(taskId);
    return task?.steps ? { summary: task.summary, steps: [...task.steps.values()] } : undefined;
  }

  /** The snapshot, fetching the task's stored steps first when they are not loaded yet. */
  async load(taskId: string): Promise<{ summary: TaskSummary; steps: Step[] } | undefined> {
    if (!this.snapshot(taskId)) await this.reload(taskId);
    return this.snapshot(taskId);
  }

  running(): TaskSummary[] {
    return [...this.tasks.values()].map((t) => t.summary).filter((t) => t.status === 'running');
  }

  /** Fetch a task's summary and stored steps again (it started, or one of its steps completed). */
  async reload(taskId: string): Promise<void> {
    const source = this.source();
    if (!source) return;
    const { stepList, ...summary } = await source.getTask(taskId);
    this.tasks.set(taskId, { summary, steps: new Map(stepList.map((s) => [s.id, s])) });
    this.changed.fire(undefined);
  }

  /** A proposal shows at once as a step waiting for the user; the stored step (with its tokens and cost, which
   * the proposal does not carry) replaces it once fetched. */
  onProposal(p: ProposalParams): Promise<void> {
    const task = this.tasks.get(p.taskId);
    if (!task?.steps) return Promise.resolve();
    task.steps.set(p.stepId, stepFromProposal(p));
    this.changed.fire(undefined);
    return this.reload(p.taskId);
  }

  /** The agent changed its plan: the task's summary holds the whole new one. */
  onPlan(p: PlanParams): void {
    const task = this.tasks.get(p.taskId);
    if (!task) return;
    task.summary = { ...task.summary, plan: p.plan };
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'file') {
      const item = new vscode.TreeItem(node.file.path);
      item.description = 'diff with the checkpoint before this step';
      item.iconPath = new vscode.ThemeIcon('diff');
      item.command = { command: SHOW_STEP_DIFF, title: 'Show the change', arguments: [node.file] };
      return item;
    }
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.value;
      item.tooltip = node.value;
      if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
      return item;
    }
    if (node.kind === 'summaries') {
      const { summaries } = this.tasks.get(node.taskId)!.summary;
      const item = new vscode.TreeItem('Summaries', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.taskId}-summaries`;
      item.description = `steps 1–${summaries[summaries.length - 1].end} compacted`;
      item.iconPath = new vscode.ThemeIcon('fold');
      return item;
    }
    if (node.kind === 'plan') {
      const { plan } = this.tasks.get(node.taskId)!.summary;
      const item = new vscode.TreeItem('Plan', vscode.TreeItemCollapsibleState.Expanded);
      item.id = `${node.taskId}-plan`;
      item.description = `${plan.filter((i) => i.done).length} of ${plan.length} done`;
      item.iconPath = new vscode.ThemeIcon('checklist');
      return item;
    }
    if (node.kind === 'task') {
      const { summary } = this.tasks.get(node.taskId)!;
      const item = new vscode.TreeItem(summary.goal, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = summary.taskId;
      item.description = taskDescription(summary);
      item.tooltip = `${summary.goal}\n${summary.status}${summary.reason ? `: ${summary.reason}` : ''}\n${summary.workspace}`;
      item.iconPath = new vscode.ThemeIcon(ICONS[summary.status] ?? 'circle-outline');
      item.contextValue = summary.status === 'running' ? 'runningTask' : 'task';
      return item;
    }
    const step = this.tasks.get(node.taskId)!.steps!.get(node.stepId)!;
    const item = new vscode.TreeItem(stepLabel(step), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = step.id;
    item.description = stepDescription(step);
    item.tooltip = step.proposal?.thoughts || undefined;
    const undoable = this.undoable(node.taskId, step);
    item.contextValue = step.status === 'awaiting' ? 'pendingStep' : undoable ? 'undoableStep' : 'step';
    return item;
  }

  /** A step that changed files can be undone (back to before it) while its task waits on a proposal. */
  private undoable(taskId: string, step: Step): boolean {
    const steps = [...(this.tasks.get(taskId)?.steps?.values() ?? [])];
    return step.status === 'done' && !!step.changes?.after && steps.some((s) => s.status === 'awaiting');
  }

  /** A row per file the step changed, each opening its diff against the checkpoint before the step. */
  private files(summary: TaskSummary, step: Step): Node[] {
    if (!step.changes?.after) return [];
    const { taskId, workspace } = summary;
    return step.changes.files.map((path) => ({
      kind: 'file',
      file: { taskId, stepId: step.id, path, index: step.index, workspace },
    }));
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      return [...this.tasks.values()]
        .sort((a, b) => b.summary.createdAt.localeCompare(a.summary.createdAt))
        .map((t) => ({ kind: 'task', taskId: t.summary.taskId }));
    }
    if (node.kind === 'task') {
      const task = this.tasks.get(node.taskId)!;
      if (!task.steps) {
        const loaded = await this.source()?.getTask(node.taskId);
        task.steps = new Map((loaded?.stepList ?? []).map((s) => [s.id, s]));
      }
      const plan: Node[] = task.summary.plan.length ? [{ kind: 'plan', taskId: node.taskId }] : [];
      if (task.summary.summaries.length) plan.push({ kind: 'summaries', taskId: node.taskId });
      return plan.concat(
        [...task.steps.values()]
          .sort((a, b) => a.index - b.index)
          .map((s) => ({ kind: 'step', taskId: node.taskId, stepId: s.id })),
      );
    }
    if (node.kind === 'summaries') {
      return this.tasks.get(node.taskId)!.summary.summaries.map((s) => ({
        kind: 'detail',
        label: `steps ${s.first + 1}–${s.end}`,
        value: s.text,
        icon: 'note',
      }));
    }
    if (node.kind === 'plan') {
      return this.tasks.get(node.taskId)!.summary.plan.map((item, i) => ({
        kind: 'detail',
        label: `${i + 1}.`,
        value: item.text,
        icon: item.done ? 'pass-filled' : 'circle-large-outline',
      }));
    }
    if (node.kind === 'step') {
      const task = this.tasks.get(node.taskId)!;
      const step = task.steps!.get(node.stepId)!;
      const details: Node[] = stepDetails(step).map((d) => ({ kind: 'detail', ...d }));
      return details.concat(this.files(task.summary, step));
    }
    return [];
  }
}
