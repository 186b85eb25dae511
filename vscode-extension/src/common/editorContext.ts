// The editor context offered with a goal (agent/run's `context`): the active file, its selection and its errors and
// warnings, each an item the user sees pre-picked and can untick before the goal is sent. No vscode import, so it
// is unit tested; context.ts reads the editor and shows the QuickPick.

import { isProblem } from './diagnostics';
import type { EditorContextParams, EditorDiagnostic, EditorSelection } from './protocol';

export const MAX_SELECTION_CHARS = 1_000_000; // the server refuses a longer selection
const MAX_OFFERED_DIAGNOSTICS = 100;

/** What the editor has to offer: the active file's URI and the name to show it by. */
export interface Offer {
  uri: string;
  name: string; // relative to the workspace
  selection?: EditorSelection; // a non-empty one
  diagnostics: EditorDiagnostic[];
}

type Part = { kind: 'activeFile' } | { kind: 'selection' } | { kind: 'diagnostic'; diagnostic: EditorDiagnostic };

/** A QuickPick item (label, description, detail, picked), with the part of the context it stands for. */
export interface ContextItem {
  label: string;
  description?: string;
  detail?: string;
  picked: boolean;
  part: Part;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** 1-based and inclusive, as the user reads them: a selection that ends at a line's start ends on the line before. */
export function selectedLines(selection: EditorSelection): [number, number] {
  const { start, end } = selection.range;
  const last = end.character > 0 || end.line === start.line ? end.line : end.line - 1;
  return [start.line + 1, last + 1];
}

/** The selection, cut to what the server takes. */
export function selectionOf(uri: string, range: EditorSelection['range'], text: string): EditorSelection | undefined {
  return text.trim() ? { uri, range, text: text.slice(0, MAX_SELECTION_CHARS) } : undefined;
}

/** The items, every one picked: the active file, the selection, then each error and warning (errors first). */
export function contextItems(offer: Offer): ContextItem[] {
  const items: ContextItem[] = [
    { label: `$(file) Active file: ${offer.name}`, picked: true, part: { kind: 'activeFile' } },
  ];
  if (offer.selection) {
    const [first, last] = selectedLines(offer.selection);
    const lines = first === last ? `line ${first}` : `lines ${first}-${last}`;
    const firstLine = offer.selection.text.trim().split('\n')[0];
    items.push({
      label: `$(selection) Selection: ${lines} of ${offer.name}`,
      detail: shorten(firstLine, 100),
      picked: true,
      part: { kind: 'selection' },
    });
  }
  const problems = offer.diagnostics.filter(isProblem).sort((a, b) => (a.severity ?? 1) - (b.severity ?? 1));
  for (const d of problems.slice(0, MAX_OFFERED_DIAGNOSTICS)) {
    const error = (d.severity ?? 1) === 1;
    const where = `${offer.name}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
    items.push({
      label: `$(${error ? 'error' : 'warning'}) ${shorten(d.message.replace(/\s+/g, ' '), 120)}`,
      description: d.source ? `${where} (${d.source})` : where,
      picked: true,
      part: { kind: 'diagnostic', diagnostic: d },
    });
  }
  return items;
}

/** agent/run's `context` from the items the user kept; undefined when none. */
export function contextParams(offer: Offer, kept: readonly ContextItem[]): EditorContextParams | undefined {
  const parts = kept.map((item) => item.part);
  const diagnostics = parts.flatMap((p) => (p.kind === 'diagnostic' ? [p.diagnostic] : []));
  const context: EditorContextParams = {
    ...(parts.some((p) => p.kind === 'activeFile') && { activeFile: offer.uri }),
    ...(offer.selection && parts.some((p) => p.kind === 'selection') && { selection: offer.selection }),
    ...(diagnostics.length && { diagnostics }),
  };
  return Object.keys(context).length ? context : undefined;
}
