// The language server's agent/* protocol (docs/protocol.md), as the extension sees it.

export const Requests = {
  run: 'agent/run',
  approveStep: 'agent/approveStep',
  rejectStep: 'agent/rejectStep',
  feedback: 'agent/feedback',
  answer: 'agent/answer',
  cancel: 'agent/cancel',
  resume: 'agent/resume',
  listTasks: 'agent/listTasks',
  getTask: 'agent/getTask',
} as const;

export const Notifications = {
  proposal: 'agent/proposal',
  question: 'agent/question',
  commandOutput: 'agent/commandOutput',
  stepCompleted: 'agent/stepCompleted',
  taskEnded: 'agent/taskEnded',
  thinking: 'agent/thinking', // optional: streamed partial thoughts, from servers that stream
} as const;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number | null;
}

export type TaskStatus = 'running' | 'finished' | 'stopped' | 'failed';

export interface TaskSummary {
  taskId: string;
  goal: string;
  status: TaskStatus;
  reason: string | null;
  workspace: string;
  steps: number;
  usage: Usage;
  createdAt: string;
}

export interface Step {
  id: string;
  task_id: string;
  index: number;
  status: 'awaiting' | 'executing' | 'done' | 'feedback' | 'rejected' | 'invalid' | 'interrupted';
  proposal?: { thoughts: string; tool_call: { id: string; name: string; arguments: Record<string, unknown> } } | null;
  decision?: { kind: 'approve' | 'reject' | 'feedback' | 'answer'; times: number; text: string; auto: boolean } | null;
  result?: { ok: boolean; output: string; exit_code: number | null } | null;
  usage: Usage;
}

export interface Position {
  line: number;
  character: number;
}

export interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}

export type DocumentChange =
  | { kind: 'create'; uri: string }
  | { textDocument: { uri: string; version: number | null }; edits: TextEdit[] };

export interface Proposal {
  taskId: string;
  stepId: string;
  index: number;
  thoughts: string;
  tool: string;
  arguments: Record<string, unknown>;
  auto: boolean;
  kind: 'file_change' | 'command' | 'other';
  uri?: string;
  workspaceEdit?: { documentChanges: DocumentChange[] };
  command?: { kind: string; language: string; command: string; where: string };
}

export interface StepRef {
  taskId: string;
  stepId: string;
}

export interface Question extends StepRef {
  question: string;
}

export interface CommandOutput extends StepRef {
  text: string;
}

export interface StepCompleted {
  taskId: string;
  step: Step;
}

export interface TaskEnded {
  taskId: string;
  status: TaskStatus;
  reason: string | null;
  usage: Usage;
}

export interface Thinking {
  taskId: string;
  text: string;
}
