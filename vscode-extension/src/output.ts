// A terminal-like view of the commands the agent runs: each command's full text, then its output as it streams.

import * as vscode from 'vscode';
import { terminalText } from './common/messages';

export class CommandOutputView implements vscode.Disposable {
  private readonly writes = new vscode.EventEmitter<string>();
  private terminal: vscode.Terminal | undefined;
  private opened: Promise<void> | undefined;
  private readonly headed = new Set<string>();

  /** Output of step `stepId`; the first chunk is preceded by the command line and where it runs. */
  async write(stepId: string, header: string, text: string): Promise<void> {
    await this.open();
    if (!this.headed.has(stepId)) {
      this.headed.add(stepId);
      this.writes.fire(terminalText(`\x1b[1m${header}\x1b[0m\n`));
    }
    this.writes.fire(terminalText(text));
  }

  private open(): Promise<void> {
    if (!this.terminal || this.terminal.exitStatus) {
      this.opened = new Promise((resolve) => {
        this.terminal = vscode.window.createTerminal({
          name: 'AutoGPT commands',
          pty: { onDidWrite: this.writes.event, open: () => resolve(), close: () => (this.terminal = undefined) },
        });
      });
      this.terminal?.show(true); // preserveFocus: the user keeps typing where they were
    }
    return this.opened!;
  }

  dispose(): void {
    this.terminal?.dispose();
    this.writes.dispose();
  }
}
