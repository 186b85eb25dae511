// Works code-server in headless Chromium like a user: the command palette, the diff, CodeLens, editor-title
// buttons, input boxes, notifications and the AutoGPT tree view. Every wait is on a condition, never a sleep.
// The drivers (vscode_driver.mjs, vscode_install.mjs) call `drive(steps)`, which prints one JSON line with what
// they saw, or exits non-zero (after a "failure" screenshot) naming the stage that failed.
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const config = JSON.parse(process.argv[2]);
const { chromium } = createRequire(path.join(config.extensionDir, 'package.json'))('playwright-core');
const TIMEOUT = 45_000;

export class Workbench {
  stage = 'start';

  constructor(page) {
    this.page = page;
  }

  shot(name) {
    return this.page.screenshot({ path: path.join(config.shots, `${name}.png`) });
  }

  /** Run a command from the palette. Its list is made when it opens: a command that registered later (the
   * extension host still starting) shows after the palette is opened again. `exact`: the row whose label is
   * the command and nothing more is clicked (a longer title starting the same may be listed first). */
  /** Run `command` from the palette. `opens`: the title of the input box it opens at once; when that box does not
   * come, the Enter was lost (a view took the focus and closed the palette, so nothing ran): the palette again. */
  async palette(command, { exact = false, opens } = {}) {
    this.stage = `palette: ${command}`;
    const input = this.page.locator('.quick-input-widget input');
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const label = new RegExp(`^${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = exact
      ? rows.filter({ has: this.page.locator('.label-name', { hasText: label }) }).first()
      : rows.filter({ hasText: command }).first();
    for (let attempt = 0; attempt < 6; attempt++) {
      await this.openPalette(input);
      // a view taking the focus just after it opened (a tree refreshing) closes it: then it is opened again
      if (!(await input.fill(`>${command}`, { timeout: 5000 }).then(() => true, () => false))) continue;
      if (await row.waitFor({ timeout: 8000 }).then(() => true, () => false)) {
        await (exact ? row.click() : this.page.keyboard.press('Enter'));
        if (!opens || (await this.quickInput(opens).waitFor({ timeout: 15000 }).then(() => true, () => false))) return;
        console.error(`${command}: no "${opens}" box came; the palette again (screenshot palette-retry-${attempt})`);
        await this.shot(`palette-retry-${attempt}`);
        continue;
      }
      await this.page.keyboard.press('Escape');
    }
    throw new Error(`the palette never listed ${command}`);
  }

  /** The shortcut needs the focus in the workbench; a notification's button or a closed input box may have
   * taken it away: F1 opens the palette too, and a click into the editor area brings the focus back. */
  async openPalette(input) {
    for (const key of ['Control+Shift+P', 'F1', 'click', 'Control+Shift+P', 'F1']) {
      if (key === 'click') {
        await this.page.locator('.part.editor').click();
        continue;
      }
      await this.page.keyboard.press(key);
      if (await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) return;
    }
  }

  /** The open quick input titled `title` (an InputBox or QuickPick). */
  quickInput(title) {
    // By its title: the palette's own list may hold the same words (the command that opens it).
    const titled = this.page.locator('.quick-input-title', { hasText: title });
    return this.page.locator('.quick-input-widget', { has: titled });
  }

  async inputBox(title, text, { screenshot, timeout } = {}) {
    this.stage = `input box: ${title}`;
    const widget = this.quickInput(title);
    await widget.waitFor({ state: 'visible', timeout });
    await widget.locator('input').fill(text);
    if (screenshot) await this.shot(screenshot);
    await this.page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden' });
  }

  /** Run `command` (Run Agent on Goal, or on Selection) with `goal`. With `context` (a file's editor is active),
   * the context pick that follows is read, the rows holding any of `untick` unticked, and accepted; its rows are
   * returned as they were offered. */
  async runGoal(goal, { command = 'AutoGPT: Run Agent on Goal', context = false, untick = [], screenshot } = {}) {
    await this.palette(command, { opens: command });
    await this.inputBox(command, goal);
    return context ? this.acceptContext(untick, screenshot) : undefined;
  }

  async acceptContext(untick = [], screenshot) {
    this.stage = 'the context pick';
    const pick = this.quickInput('AutoGPT: what the agent sees with the goal');
    await pick.waitFor({ state: 'visible' });
    const rows = pick.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor();
    const offered = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    for (const [i, text] of untick.entries()) {
      this.stage = `the context pick: untick ${text}`;
      await rows.filter({ hasText: text }).first().locator('.quick-input-list-label').click(); // toggles its box
      await pick.getByText(`${offered.length - i - 1} Selected`).waitFor();
    }
    if (screenshot) await this.shot(screenshot);
    this.stage = 'the context pick: OK';
    await pick.locator('.monaco-button', { hasText: 'OK' }).click();
    await pick.waitFor({ state: 'hidden' });
    return offered;
  }

  async openFile(name) {
    this.stage = `open ${name}`;
    await this.page.keyboard.press('Control+P');
    await this.page.locator('.quick-input-widget input').fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tab.active', { hasText: name }).waitFor();
  }

  tab(text) {
    return this.page.locator('.tab', { hasText: text });
  }

  /** The page of the webview panel on show: a webview is an iframe that holds the page's own iframe. */
  webview() {
    return this.page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
  }

  toast(text) {
    return this.page.locator('.notification-toast', { hasText: text });
  }

  /** The proposal's diff: its title, the proposed text on the right, and the CodeLens answers on top. */
  async waitForDiff(file, text) {
    this.stage = `diff of ${file}`;
    const modified = this.page.locator('.modified-in-monaco-diff-editor', { hasText: text });
    const diff = this.page.locator('.monaco-diff-editor', { has: modified });
    await diff.waitFor();
    await this.tab(`AutoGPT: ${file}`).waitFor();
    await diff.locator('.codelens-decoration a', { hasText: 'Approve' }).waitFor();
    return diff;
  }

  /** Approve the diff of `file` from its CodeLens; its tab closes once the step is decided. */
  async approveDiff(file, text) {
    const diff = await this.waitForDiff(file, text);
    this.stage = `click Approve on ${file} (CodeLens)`;
    await diff.locator('.codelens-decoration a', { hasText: 'Approve' }).click();
    await this.tab(`AutoGPT: ${file}`).waitFor({ state: 'detached' });
  }

  /** A command proposal's read-only document (step `index`, 1-based) holding `text`, and its Approve CodeLens. */
  async commandProposal(text, index = 1) {
    this.stage = `command proposal, step ${index}`;
    await this.tab(`AutoGPT command, step ${index}`).waitFor();
    const editor = this.page.locator('.editor-instance', { has: this.page.locator('.view-line', { hasText: text }) });
    const approve = editor.locator('.codelens-decoration a', { hasText: 'Approve' });
    await approve.waitFor();
    return { editor, approve };
  }

  /** A change set's multi-file diff editor, once its tab (`title`) shows and its CodeLens answers are on top. */
  async waitForMultiDiff(title) {
    this.stage = `multi-file diff: ${title}`;
    await this.tab(title).waitFor();
    const editor = this.page.locator('.multiDiffEditor');
    await editor.locator('.codelens-decoration a', { hasText: 'Approve' }).first().waitFor();
    return editor;
  }

  /** Approve a waiting proposal (not a file edit nor a command) from its status bar item and QuickPick; its
   * notification says only that it waits, and is gone once decided. */
  async approveWaiting(tool, toastText, screenshot) {
    this.stage = `approve ${tool} (status bar)`;
    const toast = this.toast(toastText);
    await toast.waitFor();
    await this.page.locator('.statusbar-item', { hasText: `AutoGPT: ${tool} waiting` }).click();
    const pick = this.quickInput(`AutoGPT proposes ${tool}`);
    await pick.waitFor({ state: 'visible' });
    if (screenshot) await this.shot(screenshot);
    await pick.locator('.quick-input-list .monaco-list-row', { hasText: 'Approve' }).first().click();
    await toast.waitFor({ state: 'hidden' });
  }

  /** Wait until `cond` holds, doing `act` first each time: a tree may re-render under a click while it refreshes. */
  async until(cond, act, what) {
    for (let attempt = 0; attempt < 6; attempt++) {
      await act();
      if (await cond.waitFor({ timeout: 5000 }).then(() => true, () => false)) return;
    }
    throw new Error(`never saw ${what}`);
  }

  /** The task's row in the AutoGPT view once its status reads `status`. */
  async taskRow(goal, status) {
    await this.palette('AutoGPT: Show Tasks');
    this.stage = `tree: ${goal} ${status}`;
    const task = this.tree().locator('.monaco-list-row', { hasText: goal });
    await task.locator('.label-description', { hasText: status }).waitFor();
    return task;
  }

  tree() {
    return this.page.locator('.pane', { hasText: 'Tasks' }).locator('.monaco-list');
  }

  /** Expand the task's row and its `step` row in the AutoGPT view; wait for `detail` among the step's rows. */
  async taskRows(goal, status, step, detail) {
    const task = await this.taskRow(goal, status);
    const expand = (row) => async () => {
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    };
    const stepRow = this.tree().locator('.monaco-list-row[aria-level="2"]', { hasText: step });
    await this.until(stepRow, expand(task), `${step} in the tree`);
    const row = this.tree().locator('.monaco-list-row[aria-level="3"]', { hasText: detail }).first();
    await this.until(row, expand(stepRow), `"${detail}" in the tree`);
    return this.tree().locator('.monaco-list-row').allInnerTexts();
  }
}

/** Open the workbench, run `steps(workbench, seen)`, print what was seen. */
export async function drive(steps) {
  rmSync(config.shots, { recursive: true, force: true }); // only this run's screenshots
  mkdirSync(config.shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  const ui = new Workbench(page);
  const seen = {};
  try {
    ui.stage = 'workbench';
    await page.goto(config.url);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.part.editor').click(); // the palette shortcut needs focus in the workbench
    await steps(ui, seen);
    console.log(JSON.stringify(seen));
  } catch (e) {
    await ui.shot('failure').catch(() => {});
    console.error(`failed at "${ui.stage}": ${e.message}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
