// The change a step made to each file it changed, as a diff against the checkpoint before the step: a read-only
// provider of autogpt-checkpoint: documents (their text comes from the server's agent/checkpointFile) and the
// command that the tasks view's file rows run.

import * as path from 'path';
import * as vscode from 'vscode';
import {
  CHECKPOINT_SCHEME,
  checkpointParams,
  checkpointQuery,
  checkpointText,
  diffTitle,
  Side,
  StepFile,
} from './common/checkpoints';
import type { CheckpointFile, CheckpointFileParams } from './common/protocol';

export const SHOW_STEP_DIFF = 'autogpt.showStepDiff';

export class CheckpointDiffs implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly registration: vscode.Disposable;

  constructor(private readonly fetch: (params: CheckpointFileParams) => Promise<CheckpointFile>) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(CHECKPOINT_SCHEME, this);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const params = checkpointParams(uri.query);
    return params ? checkpointText(await this.fetch(params)) : '';
  }

  /** The file before the step ↔ the file now (or as the step left it, when it is gone now). */
  async show(file: StepFile): Promise<void> {
    const now = vscode.Uri.file(path.join(file.workspace, file.path));
    const existsNow = await exists(now);
    const right = existsNow ? now : this.uri(file, 'after');
    await vscode.commands.executeCommand('vscode.diff', this.uri(file, 'before'), right, diffTitle(file, existsNow), {
      preview: true,
    });
  }

  private uri(file: StepFile, side: Side): vscode.Uri {
    return vscode.Uri.from({ scheme: CHECKPOINT_SCHEME, path: `/${file.path}`, query: checkpointQuery(file, side) });
  }

  dispose(): void {
    this.registration.dispose();
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
