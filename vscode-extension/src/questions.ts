// ask_user's question in an InputBox that goes away when its step is decided elsewhere (another window, a stock
// client's autogpt.server.answer, the task ending): showInputBox cannot be closed from code, createInputBox can.

import * as vscode from 'vscode';

/** The user's reply; `withdrawn` when the step was decided elsewhere while the box was open. */
export interface Reply {
  text?: string; // undefined: Escape, or withdrawn
  withdrawn: boolean;
}

interface Open {
  box: vscode.InputBox;
  reply: Promise<Reply>;
  withdraw: () => void;
}

export class Questions implements vscode.Disposable {
  private readonly open = new Map<string, Open>(); // by step id

  /** Ask the step's question; asking again while its box is open shows that box, never a second one. */
  ask(stepId: string, question: string): Promise<Reply> {
    const known = this.open.get(stepId);
    if (known) {
      known.box.show();
      return known.reply;
    }
    const box = vscode.window.createInputBox();
    box.title = 'AutoGPT asks';
    box.prompt = question;
    box.placeholder = 'Your answer (Escape: answer later with "AutoGPT: Give Feedback")';
    box.ignoreFocusOut = true;
    let withdrawn = false;
    const reply = new Promise<Reply>((resolve) => {
      let text: string | undefined;
      box.onDidAccept(() => {
        text = box.value;
        box.hide();
      });
      box.onDidHide(() => {
        this.open.delete(stepId);
        box.dispose();
        resolve({ text: withdrawn ? undefined : text, withdrawn });
      });
    });
    this.open.set(stepId, { box, reply, withdraw: () => ((withdrawn = true), box.hide()) });
    box.show();
    return reply;
  }

  /** The step was decided: its box, if open, is hidden and its reply says withdrawn. */
  settle(stepId: string): void {
    this.open.get(stepId)?.withdraw();
  }

  dispose(): void {
    [...this.open.keys()].forEach((stepId) => this.settle(stepId));
  }
}
