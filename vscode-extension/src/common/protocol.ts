// The language server's agent/* protocol (docs/protocol.md): its method names, typed by the payload types that
// protocol.generated.ts holds (generated from the server's models: `npm run gen:protocol`).

import type { AgentProtocol, StepParams } from './protocol.generated';

export type * from './protocol.generated';
export type { Position, TextEdit } from 'vscode-languageclient/node';

type Methods = AgentProtocol['requests'];
type Notices = AgentProtocol['notifications'];
export type RequestMethod = keyof Methods;
export type RequestParams<M extends RequestMethod> = Methods[M]['params'];
export type RequestResult<M extends RequestMethod> = Methods[M]['result'];
export type NotificationMethod = keyof Notices;
export type NotificationParams<M extends NotificationMethod> = Notices[M];

export const Requests = {
  run: 'agent/run',
  approveStep: 'agent/approveStep',
  rejectStep: 'agent/rejectStep',
  feedback: 'agent/feedback',
  selfFeedback: 'agent/selfFeedback',
  answer: 'agent/answer',
  rollback: 'agent/rollback',
  redo: 'agent/redo',
  cancel: 'agent/cancel',
  resume: 'agent/resume',
  listTasks: 'agent/listTasks',
  getTask: 'agent/getTask',
  checkpointFile: 'agent/checkpointFile',
  diagnostics: 'agent/diagnostics',
  speech: 'agent/speech',
} as const satisfies Record<string, RequestMethod>;

export const Notifications = {
  proposal: 'agent/proposal',
  question: 'agent/question',
  commandOutput: 'agent/commandOutput',
  stepCompleted: 'agent/stepCompleted',
  plan: 'agent/plan', // the agent changed its plan (todo): the whole list as it is now
  compacted: 'agent/compacted', // the oldest steps were summarised to keep the prompt within the context budget
  rewindRefused: 'agent/rewindRefused', // an undo or redo refused: nothing changed, the proposal still waits
  taskEnded: 'agent/taskEnded',
  thinking: 'agent/thinking', // the LLM's reply as it streams, a piece at a time
} as const satisfies Record<string, NotificationMethod>;

/** Which step a decision is about. */
export type StepRef = Pick<StepParams, 'taskId' | 'stepId'>;
