// ask_user's question in an InputBox that goes away when its step is decided elsewhere (another window, a stock
// client's autogpt.server.answer, the task cancelled): showInputBox cannot be closed from code, createInputBox can.

import * as vscode from 'vscode';

interface Open {
  box: vscode.InputBox;
  reply: Promise<string | undefined>;
}

export class Questions implements vscode.Disposable {
  private readonly open = new Map<string, Open>(); // by step id

  /** The user's answer to the step's question; undefined if the box was closed (Escape) or withdrawn. Asking
   * again while its box is open shows that box, never a second one. */
  ask(stepId: string, question: string): Promise<string | undefined> {
    const known = this.open.get(stepId);
    if (known) {
      known.box.show();
      return known.reply;
    }
    const box = vscode.window.createInputBox();
    box.title = 'AutoGPT asks';
    box.prompt = question;
    box.placeholder = 'Your answer (Escape: answer later from the status bar)';
    box.ignoreFocusOut = true;
    const reply = new Promise<string | undefined>((resolve) => {
      let text: string | undefined;
      box.onDidAccept(() => {
        text = box.value;
        box.hide();
      });
      box.onDidHide(() => {
        this.open.delete(stepId);
        box.dispose();
        resolve(text);
      });
    });
    this.open.set(stepId, { box, reply });
    box.show();
    return reply;
  }

  /** The step was decided: its box, if open, is hidden. */
  settle(stepId: string): void {
    this.open.get(stepId)?.box.hide();
  }

  dispose(): void {
    [...this.open.keys()].forEach((stepId) => this.settle(stepId));
  }
}
