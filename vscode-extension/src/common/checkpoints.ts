// A file a step changed, at the checkpoint before (or after) that step: how its read-only virtual document is
// named (the autogpt-checkpoint: scheme, the step and file in the query) and what it shows. No vscode import here,
// so the unit tests run it under plain node.

import type { CheckpointFile, CheckpointFileParams } from './protocol';

export const CHECKPOINT_SCHEME = 'autogpt-checkpoint';

export type Side = 'before' | 'after';
export interface StepFile {
  taskId: string;
  stepId: string;
  path: string; // relative to the task's workspace, as the step's changes.files lists it
  index: number; // the step's index (shown as "Step index+1")
  workspace: string; // the task's workspace folder, absolute
}

/** The query of a checkpoint document's URI: everything agent/checkpointFile needs. */
export function checkpointQuery(file: StepFile, side: Side): string {
  return new URLSearchParams({ task: file.taskId, step: file.stepId, path: file.path, side }).toString();
}

/** agent/checkpointFile's params for a checkpoint document, or undefined for a URI that is not one of ours. */
export function checkpointParams(query: string): CheckpointFileParams | undefined {
  const q = new URLSearchParams(query);
  const [taskId, stepId, path, side] = ['task', 'step', 'path', 'side'].map((k) => q.get(k));
  if (!taskId || !stepId || !path || (side !== 'before' && side !== 'after')) return undefined;
  return { taskId, stepId, path, side };
}

/** What the document shows: the text, or why there is none. */
export function checkpointText(file: CheckpointFile): string {
  if (file.binary) return `(${file.path} is a binary file: not shown)\n`;
  return file.exists ? file.text : '';
}

/** The diff editor's title: the file, and which step's change it shows. */
export function diffTitle(file: StepFile, existsNow: boolean): string {
  const name = file.path.split('/').pop() ?? file.path;
  return `AutoGPT: ${name} (before step ${file.index + 1} ↔ ${existsNow ? 'now' : 'after it'})`;
}
