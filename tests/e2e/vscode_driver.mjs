// Drives code-server in headless Chromium like a user: the command palette, the diff, CodeLens, editor-title
// buttons, input boxes, notifications and the AutoGPT tree view. Every wait is on a condition, never a sleep.
// Usage: node vscode_driver.mjs '<json: {url, shots, extensionDir, chromium, runs: {...}}>'
// Prints one JSON line with what it saw; exits non-zero (after a "failure" screenshot) when a step fails.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const config = JSON.parse(process.argv[2]);
const { chromium } = createRequire(path.join(config.extensionDir, 'package.json'))('playwright-core');
const TIMEOUT = 45_000;
rmSync(config.shots, { recursive: true, force: true }); // only this run's screenshots
mkdirSync(config.shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
page.setDefaultTimeout(TIMEOUT);
const seen = {};
let stage = 'start';
const shot = (name) => page.screenshot({ path: path.join(config.shots, `${name}.png`) });

async function palette(command) {
  stage = `palette: ${command}`;
  const input = page.locator('.quick-input-widget input');
  // the shortcut needs the focus in the workbench; a notification's button may have kept it: F1 opens it too
  for (const key of ['Control+Shift+P', 'F1', 'F1']) {
    await page.keyboard.press(key);
    if (await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) break;
  }
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function inputBox(title, text, screenshot) {
  stage = `input box: ${title}`;
  const widget = page.locator('.quick-input-widget', { hasText: title });
  await widget.waitFor({ state: 'visible' });
  await widget.locator('input').fill(text);
  if (screenshot) await shot(screenshot);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

async function openFile(name) {
  stage = `open ${name}`;
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor();
}

/** The proposal's diff: its title, the proposed text on the right, and the CodeLens answers on top. */
async function waitForDiff(file, text) {
  stage = `diff of ${file}`;
  const diff = page.locator('.monaco-diff-editor', { has: page.locator('.modified-in-monaco-diff-editor', { hasText: text }) });
  await diff.waitFor();
  await page.locator('.tab', { hasText: `AutoGPT: ${file}` }).waitFor();
  await diff.locator('.codelens-decoration a', { hasText: 'Approve' }).waitFor();
  return diff;
}

/** Approve a waiting proposal (not a file edit nor a command) from its status bar item and QuickPick; its
 * notification says only that it waits, and is gone once decided. */
async function approveWaiting(tool, toastText, screenshot) {
  stage = `approve ${tool} (status bar)`;
  const toast = page.locator('.notification-toast', { hasText: toastText });
  await toast.waitFor();
  await page.locator('.statusbar-item', { hasText: `AutoGPT: ${tool} waiting` }).click();
  const pick = page.locator('.quick-input-widget', { hasText: `AutoGPT proposes ${tool}` });
  await pick.waitFor({ state: 'visible' });
  if (screenshot) await shot(screenshot);
  await pick.locator('.quick-input-list .monaco-list-row', { hasText: 'Approve' }).first().click();
  await toast.waitFor({ state: 'hidden' });
}

/** Wait until `cond` holds, doing `act` first each time: a tree may re-render under a click while it refreshes. */
async function until(cond, act, what) {
  for (let attempt = 0; attempt < 6; attempt++) {
    await act();
    if (await cond.waitFor({ timeout: 5000 }).then(() => true, () => false)) return;
  }
  throw new Error(`never saw ${what}`);
}

/** Expand the task's row and its `step` row in the AutoGPT view; wait for `detail` among the step's rows. */
async function taskRows(goal, status, step, detail) {
  await palette('AutoGPT: Show Tasks');
  stage = `tree: ${goal} ${status}`;
  const tree = page.locator('.pane', { hasText: 'Tasks' }).locator('.monaco-list');
  const expand = (row) => async () => {
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  };
  const task = tree.locator('.monaco-list-row', { hasText: goal });
  await task.locator('.label-description', { hasText: status }).waitFor();
  const stepRow = tree.locator('.monaco-list-row[aria-level="2"]', { hasText: step });
  await until(stepRow, expand(task), `${step} in the tree`);
  const row = tree.locator('.monaco-list-row[aria-level="3"]', { hasText: detail }).first();
  await until(row, expand(stepRow), `"${detail}" in the tree`);
  return tree.locator('.monaco-list-row').allInnerTexts();
}

try {
  stage = 'workbench';
  await page.goto(config.url);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.part.editor').click(); // the palette shortcut needs focus in the workbench
  await openFile(config.runs.approve.openFile);

  // Run 1: approve. The diff must not take the focus from the file the user is typing in.
  await palette('AutoGPT: Run Agent on Goal');
  await inputBox('AutoGPT: Run Agent on Goal', config.runs.approve.goal);
  const diff = await waitForDiff(config.runs.approve.file, config.runs.approve.text);
  stage = 'typing while the diff shows';
  await page.keyboard.type(config.runs.approve.typed);
  await page.locator('.editor-instance .view-lines', { hasText: config.runs.approve.typed }).first().waitFor();
  seen.typedInto = await page.locator('.tab.active', { hasText: config.runs.approve.openFile }).count();
  await shot('01-proposal-diff');
  stage = 'click Approve (CodeLens)';
  await diff.locator('.codelens-decoration a', { hasText: 'Approve' }).click();
  await page.locator('.tab', { hasText: `AutoGPT: ${config.runs.approve.file}` }).waitFor({ state: 'detached' });
  await approveWaiting('finish', 'AutoGPT proposes finish', '02-finish-waiting');
  seen.approveRows = await taskRows(config.runs.approve.goal, 'finished', /write_file\s*approve/, 'Wrote');
  await shot('03-tasks-view');

  // Run 2: reject with feedback, from the editor-title button; then approve `finish` from the palette.
  await palette('AutoGPT: Run Agent on Goal');
  await inputBox('AutoGPT: Run Agent on Goal', config.runs.reject.goal);
  const rejected = await waitForDiff(config.runs.reject.file, config.runs.reject.text);
  stage = 'click Reject Step (editor title)';
  // editor-title buttons show in the active group: focus the diff first, as a user clicking into it does
  await rejected.locator('.modified-in-monaco-diff-editor .view-line', { hasText: config.runs.reject.text }).first().click();
  await page.locator('.editor-actions .action-label[aria-label^="Reject Step"]').first().click();
  await inputBox('Reject write_file', config.runs.reject.feedback, '04-reject-with-feedback');
  await page.locator('.tab', { hasText: `AutoGPT: ${config.runs.reject.file}` }).waitFor({ state: 'detached' });
  stage = 'approve finish (palette)';
  const waiting = page.locator('.notification-toast', { hasText: 'AutoGPT proposes finish' });
  await waiting.waitFor();
  await palette('AutoGPT: Approve Step');
  stage = 'the waiting notification and status bar item withdrawn (decided from the palette)';
  await waiting.waitFor({ state: 'hidden' });
  await page.locator('.statusbar-item', { hasText: 'AutoGPT: finish waiting' }).waitFor({ state: 'hidden' });
  seen.rejectRows = await taskRows(config.runs.reject.goal, 'finished', /write_file\s*feedback/, config.runs.reject.feedback);
  await shot('05-tasks-view-after-feedback');

  // Run 3: a command shows as a document with its full text and where it runs; nothing runs until approved.
  const command = config.runs.command;
  await palette('AutoGPT: Run Agent on Goal');
  await inputBox('AutoGPT: Run Agent on Goal', command.goal);
  stage = 'command proposal';
  await page.locator('.tab', { hasText: 'AutoGPT command, step 1' }).waitFor();
  const editor = page.locator('.editor-instance', { has: page.locator('.view-line', { hasText: command.text }) });
  const approve = editor.locator('.codelens-decoration a', { hasText: 'Approve' });
  await approve.waitFor();
  seen.commandText = await editor.locator('.view-lines').innerText();
  seen.ranBeforeApproval = existsSync(path.join(config.workspace, command.file));
  await shot('06-command-proposal');
  stage = 'click Approve on the command (CodeLens)';
  await approve.click();
  await page.locator('.tab', { hasText: 'AutoGPT command, step 1' }).waitFor({ state: 'detached' });
  await approveWaiting('finish', command.reason);
  seen.commandRows = await taskRows(command.goal, 'finished', /execute_shell\s*approve/, command.output);
  await shot('07-tasks-view-after-command');
  seen.statusBar = await page.locator('.statusbar-item', { hasText: 'AutoGPT' }).first().innerText();
  console.log(JSON.stringify(seen));
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`failed at "${stage}": ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
