// Diagnostics fed back (initializationOptions.diagnosticsFeedback): after an approved edit ran, the errors and
// warnings the user's other language servers report that the edited files did not have before it go to the server
// as agent/diagnostics, once they have settled (a quiet period after the last change, capped); the server waits for
// them (DIAGNOSTICS_WAIT_MS) before the next LLM call. "Before" is the files' diagnostics while the proposal waits
// (its files are opened so the language servers check them), up to the approval or its text changing. The pure parts:
// common/diagnostics.ts.

import * as vscode from 'vscode';
import { editedUris, isProblem, MAX_REPORTED, newDiagnostics, settle } from './common/diagnostics';
import { toProtocol } from './common/diagnostics';
import { log } from './common/log';
import type { DiagnosticsAck, DiagnosticsParams, EditorDiagnostic, ProposalParams, Step } from './common/protocol';

const QUIET_MS = 400;
const SLOW_QUIET_MS = 1500;
const CAP_MS = 5000;

interface Before {
  uris: string[];
  diagnostics: EditorDiagnostic[];
  frozen: boolean; // approved: what its files report from now on may be the edit's doing
}

export class DiagnosticsFeedback implements vscode.Disposable {
  private readonly before = new Map<string, Before>(); // by step id: a proposed edit's files before it
  private readonly watch = [
    vscode.languages.onDidChangeDiagnostics((e) => {
      const changed = new Set(e.uris.map((u) => u.toString()));
      for (const b of this.before.values()) {
        if (!b.frozen && b.uris.some((uri) => changed.has(uri))) b.diagnostics = current(b.uris);
      }
    }),
    // a file's text changing while its edit waits: the edit may be running (approved through the server's own
    // code action, say), so what is reported from now on is no longer "before"
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!e.contentChanges.length) return; // only its dirty state changed
      const uri = e.document.uri.toString();
      for (const b of this.before.values()) if (b.uris.includes(uri)) b.frozen = true;
    }),
  ];

  constructor(private readonly send: (params: DiagnosticsParams) => Promise<DiagnosticsAck>) {}

  /** A proposed file edit: its files' diagnostics now, kept up to date until it is approved (at once when it was
   * approved without asking). */
  onProposal(p: ProposalParams): void {
    if (p.kind !== 'file_change') return;
    const uris = editedUris(p).map((uri) => vscode.Uri.parse(uri).toString()); // as the editor spells them
    this.before.set(p.stepId, { uris, diagnostics: current(uris), frozen: p.auto });
    if (!p.auto) void openAll(uris);
  }

  /** The user approved the step: the edit may now run. */
  approving(stepId: string): void {
    const b = this.before.get(stepId);
    if (b) b.frozen = true;
  }

  /** The step ended: an edit that ran gets its report (an empty one when it introduced nothing). Never throws. */
  async onStepCompleted(step: Step): Promise<void> {
    const before = this.before.get(step.id);
    this.before.delete(step.id);
    if (!before || step.status !== 'done' || !step.result?.ok) return;
    const onChange = (listener: (uris: readonly string[]) => void) =>
      vscode.languages.onDidChangeDiagnostics((e) => listener(e.uris.map((u) => u.toString())));
    const introduced = () => newDiagnostics(before.diagnostics, current(before.uris)).filter(isProblem);
    const found = () => introduced().length > 0;
    const start = Date.now();
    const options = { quietMs: QUIET_MS, slowQuietMs: SLOW_QUIET_MS, capMs: CAP_MS, found };
    const settled = settle(onChange, before.uris, options);
    await openAll(before.uris); // as they are on disk now
    const how = await settled;
    const diagnostics = introduced();
    const report = { taskId: step.taskId, stepId: step.id, diagnostics: diagnostics.slice(0, MAX_REPORTED) };
    const what = `[${step.taskId.slice(0, 8)}] step ${step.index + 1}: ${diagnostics.length} new errors or warnings`;
    try {
      const { waited } = await this.send(report);
      const late = waited ? '' : ', after the server stopped waiting for it (DIAGNOSTICS_WAIT_MS)';
      log.info(`${what}, settled (${how}) in ${Date.now() - start} ms${late}`);
    } catch (e) {
      // the server went away meanwhile (a restart): the resumed task goes on without them, as after a timeout
      log.warn(`${what}, not sent: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The server went away: its steps will not complete here. */
  clear(): void {
    this.before.clear();
  }

  dispose(): void {
    this.watch.forEach((d) => d.dispose());
  }
}

/** Opened, not shown: language servers check the documents the editor has open (a file not there is skipped). */
async function openAll(uris: readonly string[]): Promise<void> {
  const open = (uri: string) => vscode.workspace.openTextDocument(vscode.Uri.parse(uri)).then(undefined, () => undefined);
  await Promise.all(uris.map(open));
}

function current(uris: readonly string[]): EditorDiagnostic[] {
  return uris.flatMap((uri) => vscode.languages.getDiagnostics(vscode.Uri.parse(uri)).map((d) => toProtocol(uri, d)));
}
