// The task view's page and its contract with the extension: the HTML shell (a strict Content-Security-Policy:
// nothing but the extension's own stylesheet, the one script that carries this page's nonce, and the spoken
// thoughts the extension posts as data: URIs) and the messages
// its script may post, checked before anything is done with them. No vscode import: unit-tested under node.

import { Choice, CHOICES } from './answers';

export const TASK_VIEW = 'autogpt.task'; // the panels' view type

export interface PageParts {
  cspSource: string; // the webview's own origin for local resources (webview.cspSource)
  script: string; // media/taskView.js as a webview URI
  style: string; // media/taskView.css as a webview URI
  nonce: string;
}

export function pageHtml({ cspSource, script, style, nonce }: PageParts): string {
  const csp = [`default-src 'none'`, `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`, `media-src data:`]; // nothing else loads
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.join('; ')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>AutoGPT task</title>
</head>
<body>
<div id="speech" class="speech" hidden><span class="label"></span><audio controls preload="auto"></audio></div>
<main id="task" aria-live="polite"><p class="muted">Loading the task…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/** A message the page's script posts. */
export type ViewMessage =
  | { type: 'ready' }
  | { type: 'decide'; choice: Choice; stepId: string }
  | { type: 'diff'; stepId: string; path: string }
  | { type: 'proposed'; stepId: string; uri?: string }; // one file of the proposal, or all of it

/** The message, or undefined for anything that is not one of ours (the page is untrusted input). */
export function parseViewMessage(raw: unknown): ViewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
  if (m.type === 'ready') return { type: 'ready' };
  if (!text(m.stepId)) return undefined;
  const stepId = m.stepId;
  if (m.type === 'decide' && CHOICES.includes(m.choice as Choice)) {
    return { type: 'decide', choice: m.choice as Choice, stepId };
  }
  if (m.type === 'diff' && text(m.path)) return { type: 'diff', stepId, path: m.path };
  if (m.type === 'proposed') return { type: 'proposed', stepId, ...(text(m.uri) && { uri: m.uri }) };
  return undefined;
}
