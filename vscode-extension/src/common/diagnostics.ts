// Diagnostics fed back after an approved edit (docs/protocol.md, "Diagnostics fed back"): the editor's diagnostics
// as agent/diagnostics carries them, which of them an edit introduced, and when they have settled. No vscode
// import, so it is unit tested; diagnosticsFeedback.ts reads the editor and sends.

import type { EditorDiagnostic, ProposalParams } from './protocol';

/** The parts of a vscode.Diagnostic read here (its severity counts from 0: error, warning, information, hint). */
export interface DiagnosticLike {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  message: string;
  source?: string;
}

export const MAX_REPORTED = 500; // the server refuses more in one report

/** The protocol's form (LSP's severity, from 1), for the file `uri`. */
export function toProtocol(uri: string, d: DiagnosticLike): EditorDiagnostic {
  const { start, end } = d.range;
  return {
    uri,
    range: {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    },
    severity: d.severity + 1,
    message: d.message,
    ...(d.source && { source: d.source }),
  };
}

const OWN_SOURCE = 'autogpt'; // the server's own: a pending edit's hint, the loop guard's warning

/** An error or warning from the user's other tools: what is worth the agent's attention (information, hints and
 * the AutoGPT server's own marks are not). */
export function isProblem(d: EditorDiagnostic): boolean {
  return (d.severity ?? 1) <= 2 && d.source !== OWN_SOURCE;
}

const identity = (d: EditorDiagnostic) => JSON.stringify([d.uri, d.severity ?? 1, d.source ?? '', d.message]);

/** The diagnostics of `after` that `before` did not have. Told apart by file, severity, source and message, not by
 * position (an edit above it moves the rest of a file), each earlier one matching at most one later one (so a
 * second copy of an error already there is new). */
export function newDiagnostics(
  before: readonly EditorDiagnostic[],
  after: readonly EditorDiagnostic[],
): EditorDiagnostic[] {
  const left = new Map<string, number>();
  for (const d of before) left.set(identity(d), (left.get(identity(d)) ?? 0) + 1);
  return after.filter((d) => {
    const count = left.get(identity(d)) ?? 0;
    left.set(identity(d), count - 1);
    return count <= 0;
  });
}

/** The files a proposed edit writes, creates, renames or deletes (its WorkspaceEdit's URIs). */
export function editedUris(proposal: ProposalParams): string[] {
  const edit = proposal.workspaceEdit;
  const uris = (edit?.documentChanges ?? []).flatMap((change) => {
    if ('textDocument' in change) return [change.textDocument.uri];
    if (change.kind === 'rename') return [change.oldUri, change.newUri];
    return [change.uri];
  });
  uris.push(...Object.keys(edit?.changes ?? {}));
  if (proposal.uri) uris.push(proposal.uri);
  return [...new Set(uris)];
}

/** A subscription to the editor's diagnostics changing (vscode.languages.onDidChangeDiagnostics, as URI strings). */
export type OnChange = (listener: (uris: readonly string[]) => void) => { dispose(): void };

export interface SettleOptions {
  quietMs: number; // after a change that brought new problems
  slowQuietMs: number; // after any other: a language server may clear a file's list, or make a quick pass, first
  capMs: number; // the longest wait in all
  found: () => boolean; // whether the files now have problems they did not have before the edit
}

/** Resolves once the diagnostics of `uris` have settled: no change to them for a quiet period after the last
 * one (or after the start, when new problems are there already), or `capMs` after the start, whichever is first
 * (with no change at all, the cap). */
export function settle(onChange: OnChange, uris: readonly string[], o: SettleOptions): Promise<'quiet' | 'cap'> {
  const watched = new Set(uris);
  return new Promise((resolve) => {
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const done = (how: 'quiet' | 'cap') => {
      clearTimeout(quiet);
      clearTimeout(cap);
      subscription.dispose();
      resolve(how);
    };
    const cap = setTimeout(() => done('cap'), o.capMs);
    const subscription = onChange((changed) => {
      if (!changed.some((uri) => watched.has(uri))) return;
      clearTimeout(quiet);
      quiet = setTimeout(() => done('quiet'), o.found() ? o.quietMs : o.slowQuietMs);
    });
    if (o.found()) quiet = setTimeout(() => done('quiet'), o.quietMs); // reported before this was asked
  });
}
