// The editor context offered with a goal: what the active editor shows (the file, its selection, its errors and
// warnings) in a QuickPick whose items are all picked; the user unticks what the agent should not see before the
// goal is sent as agent/run's `context` (common/editorContext.ts shapes it).

import * as vscode from 'vscode';
import { toProtocol } from './common/diagnostics';
import { contextItems, contextParams, Offer, selectionOf } from './common/editorContext';
import type { EditorContextParams } from './common/protocol';

/** What the active editor has to offer; undefined when it is not a file's (none, a proposal, an output). */
export function offerOf(editor: vscode.TextEditor | undefined): Offer | undefined {
  if (!editor || editor.document.uri.scheme !== 'file') return undefined;
  const { document, selection } = editor;
  const uri = document.uri.toString();
  const { start, end } = selection;
  const range = {
    start: { line: start.line, character: start.character },
    end: { line: end.line, character: end.character },
  };
  return {
    uri,
    name: vscode.workspace.asRelativePath(document.uri),
    selection: selection.isEmpty ? undefined : selectionOf(uri, range, document.getText(selection)),
    diagnostics: vscode.languages.getDiagnostics(document.uri).map((d) => toProtocol(uri, d)),
  };
}

/** The context the user kept (undefined: none offered or all unticked); null when the pick was closed with
 * Escape, and then nothing runs. */
export async function pickContext(offer: Offer | undefined): Promise<EditorContextParams | undefined | null> {
  if (!offer) return undefined;
  const picked = await vscode.window.showQuickPick(contextItems(offer), {
    title: 'AutoGPT: what the agent sees with the goal',
    placeHolder: 'Sent with the goal: untick what the agent should not see, then Enter',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  return picked === undefined ? null : contextParams(offer, picked);
}
