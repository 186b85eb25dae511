// A file_change proposal's WorkspaceEdit (one file edit, or a staged command's whole change set) as the files it
// touches: each one created, modified or deleted, with its text edits, in the edit's order. The editor shows them
// as one multi-file diff and the task view lists them. No vscode import: unit-tested under node.

import type { ProposalParams, TextEdit } from './protocol';

export type FileChangeKind = 'created' | 'modified' | 'deleted';

export interface ProposedFile {
  uri: string;
  change: FileChangeKind;
  /** Created with no text: the server sends no text edit for a binary file (it is named, not diffed). */
  binary: boolean;
  edits: TextEdit[];
}

type DocumentChange = NonNullable<NonNullable<ProposalParams['workspaceEdit']>['documentChanges']>[number];

/** Every file of the proposal, once each, in the order the edit names them. */
export function proposedFiles(p: Pick<ProposalParams, 'kind' | 'uri' | 'workspaceEdit'>): ProposedFile[] {
  if (p.kind !== 'file_change') return [];
  const files = new Map<string, ProposedFile>();
  const file = (uri: string, change: FileChangeKind = 'modified') => {
    const known = files.get(uri) ?? { uri, change, binary: false, edits: [] };
    files.set(uri, known);
    return known;
  };
  const created = new Set<string>();
  const texts = new Set<string>(); // the files a text edit names (even an empty one: a new empty file)
  const text = (uri: string, edits: TextEdit[]) => {
    texts.add(uri);
    file(uri).edits.push(...edits);
  };
  for (const op of (p.workspaceEdit?.documentChanges ?? []) as DocumentChange[]) {
    if ('textDocument' in op) text(op.textDocument.uri, op.edits);
    else if (op.kind === 'create') created.add(file(op.uri, 'created').uri);
    else if (op.kind === 'delete') file(op.uri).change = 'deleted';
  }
  for (const [uri, edits] of Object.entries(p.workspaceEdit?.changes ?? {})) text(uri, edits);
  for (const f of files.values()) f.binary = created.has(f.uri) && !texts.has(f.uri);
  if (!files.size && p.uri) file(p.uri); // an edit that changes nothing still names its file
  return [...files.values()];
}

/** The file's path below the workspace folder, for a label ('src/app.ts'); its full path if outside. */
export function workspacePath(uri: string, workspace: string): string {
  const path = decodeURIComponent(new URL(uri).pathname);
  const root = workspace.replace(/\/+$/, '');
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}
