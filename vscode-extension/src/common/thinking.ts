// The LLM's reply as it streams in (agent/thinking: one piece at a time), cut into whole lines for the log. Each
// piece is looked at once, so a long reply costs its length, not its length squared.

import type { ThinkingParams } from './protocol';

export class ThinkingLines {
  private readonly partial = new Map<string, string>(); // task id -> its current line so far

  /** The lines this piece completes. */
  add({ taskId, delta }: ThinkingParams): string[] {
    const pieces = delta.split('\n');
    const head = (this.partial.get(taskId) ?? '') + pieces[0];
    if (pieces.length === 1) {
      this.partial.set(taskId, head);
      return [];
    }
    this.partial.set(taskId, pieces.pop()!);
    return [head, ...pieces.slice(1)];
  }

  /** The reply's last line, once the reply is complete (its proposal, its step or the task's end arrived). */
  flush(taskId: string): string | undefined {
    const rest = this.partial.get(taskId);
    this.partial.delete(taskId);
    return rest || undefined;
  }
}
