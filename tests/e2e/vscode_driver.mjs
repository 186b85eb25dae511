// The everyday runs in code-server: approve a file edit from its diff, reject one with feedback, approve a shell
// command; each then read back from the AutoGPT tree view. Helpers and the JSON it prints: vscode_ui.mjs.
// Usage: node vscode_driver.mjs '<json: {url, shots, extensionDir, chromium, runs: {...}, workspace}>'
import { existsSync } from 'node:fs';
import path from 'node:path';
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  const { page } = ui;
  await ui.openFile(config.runs.approve.openFile);

  // Run 1: approve. The diff must not take the focus from the file the user is typing in.
  // notes.md is the active editor: each run first offers it as context, and it is sent
  seen.contextOffered = await ui.runGoal(config.runs.approve.goal, { context: true });
  const diff = await ui.waitForDiff(config.runs.approve.file, config.runs.approve.text);
  ui.stage = 'typing while the diff shows';
  await page.keyboard.type(config.runs.approve.typed);
  await page.locator('.editor-instance .view-lines', { hasText: config.runs.approve.typed }).first().waitFor();
  seen.typedInto = await page.locator('.tab.active', { hasText: config.runs.approve.openFile }).count();
  await ui.shot('01-proposal-diff');
  ui.stage = 'click Approve (CodeLens)';
  await diff.locator('.codelens-decoration a', { hasText: 'Approve' }).click();
  await ui.tab(`AutoGPT: ${config.runs.approve.file}`).waitFor({ state: 'detached' });
  await ui.approveWaiting('finish', 'AutoGPT proposes finish', '02-finish-waiting');
  seen.approveRows = await ui.taskRows(config.runs.approve.goal, 'finished', /write_file\s*approve/, 'Wrote');
  await ui.shot('03-tasks-view');

  // Run 2: reject with feedback, from the editor-title button; then approve `finish` from the palette.
  await ui.runGoal(config.runs.reject.goal, { context: true });
  const rejected = await ui.waitForDiff(config.runs.reject.file, config.runs.reject.text);
  ui.stage = 'click Reject Step (editor title)';
  // editor-title buttons show in the active group: focus the diff first, as a user clicking into it does
  await rejected.locator('.modified-in-monaco-diff-editor .view-line', { hasText: config.runs.reject.text }).first().click();
  await page.locator('.editor-actions .action-label[aria-label^="Reject Step"]').first().click();
  await ui.inputBox('Reject write_file', config.runs.reject.feedback, { screenshot: '04-reject-with-feedback' });
  await ui.tab(`AutoGPT: ${config.runs.reject.file}`).waitFor({ state: 'detached' });
  ui.stage = 'approve finish (palette)';
  const waiting = ui.toast('AutoGPT proposes finish');
  await waiting.waitFor();
  await ui.palette('AutoGPT: Approve Step');
  ui.stage = 'the waiting notification and status bar item withdrawn (decided from the palette)';
  await waiting.waitFor({ state: 'hidden' });
  await page.locator('.statusbar-item', { hasText: 'AutoGPT: finish waiting' }).waitFor({ state: 'hidden' });
  seen.rejectRows = await ui.taskRows(config.runs.reject.goal, 'finished', /write_file\s*feedback/, config.runs.reject.feedback);
  await ui.shot('05-tasks-view-after-feedback');

  // Run 3: a command shows as a document with its full text and where it runs; nothing runs until approved.
  const command = config.runs.command;
  await ui.runGoal(command.goal, { context: true });
  const { editor, approve } = await ui.commandProposal(command.text);
  seen.commandText = await editor.locator('.view-lines').innerText();
  seen.ranBeforeApproval = existsSync(path.join(config.workspace, command.file));
  await ui.shot('06-command-proposal');
  ui.stage = 'click Approve on the command (CodeLens)';
  await approve.click();
  await ui.tab('AutoGPT command, step 1').waitFor({ state: 'detached' });
  await ui.toast(command.reason).waitFor(); // `finish` waits: undo the command from its step's row instead
  ui.stage = "Undo Step on the command's row in the tasks view";
  await ui.taskRows(command.goal, 'running', /execute_shell\s*approve → done/, command.output);
  const stepRow = ui.tree().locator('.monaco-list-row[aria-level="2"]', { hasText: 'execute_shell' });
  await stepRow.hover();
  await stepRow.locator('.action-label[aria-label="Undo Step"]').click();
  await ui.tree().locator('.monaco-list-row[aria-level="2"]', { hasText: /execute_shell\s*approve → undone/ }).waitFor();
  seen.fileAfterUndo = existsSync(path.join(config.workspace, command.file));
  await ui.approveWaiting('finish', command.afterUndo);
  seen.commandRows = await ui.taskRows(command.goal, 'finished', /execute_shell\s*approve → undone/, command.output);
  await ui.shot('07-tasks-view-after-command');
  ui.stage = "the command's changed file, listed on its step, opens its diff against the checkpoint before it";
  const fileRow = ui.tree().locator('.monaco-list-row[aria-level="3"]', { hasText: 'diff with the checkpoint' })
    .filter({ hasText: command.file });
  await fileRow.click();
  const diffTab = ui.tab(`AutoGPT: ${command.file} (before step 1 ↔ after it)`); // undone: gone now
  await diffTab.waitFor();
  const fileDiff = page.locator('.monaco-diff-editor', {
    has: page.locator('.modified-in-monaco-diff-editor', { hasText: command.output }),
  });
  await fileDiff.waitFor();
  seen.commandDiff = {
    tabs: await diffTab.count(),
    before: await fileDiff.locator('.original-in-monaco-diff-editor .view-lines').innerText(),
    after: await fileDiff.locator('.modified-in-monaco-diff-editor .view-lines').innerText(),
  };
  await ui.shot('08-command-file-diff');
  seen.statusBar = await page.locator('.statusbar-item', { hasText: 'AutoGPT' }).first().innerText();
});
