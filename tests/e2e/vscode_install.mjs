// A clean profile with nothing set: "Run Agent on Goal" installs the extension's own server (its progress
// notification), then runs a task whose ask_user is closed with Escape and answered from the status bar; an ask_user box that goes away when
// its task is cancelled from the tree; the "AutoGPT is thinking" progress's Cancel button; and "AutoGPT: Restart
// Server" while a diff waits, after which the task goes on and shows its proposal again.
// Usage: node vscode_install.mjs '<json: {url, shots, extensionDir, chromium, runs: {...}, installTimeout}>'
import { config, drive } from './vscode_ui.mjs';

const GOAL_BOX = 'AutoGPT: Run Agent on Goal';

await drive(async (ui, seen) => {
  const { page } = ui;
  const { ask, withdraw, cancel, restart } = config.runs;

  // The first command activates the extension, which installs its server (nothing else was done).
  await ui.palette(GOAL_BOX);
  ui.stage = 'the install progress notification';
  const installing = ui.toast('AutoGPT: installing its server');
  await installing.waitFor();
  await ui.shot('10-installing-server');
  seen.installToast = await installing.innerText();
  await ui.inputBox(GOAL_BOX, ask.goal, { timeout: config.installTimeout });
  await installing.waitFor({ state: 'hidden' });

  // ask_user: its InputBox closed with Escape, the question still waits in the status bar, answered from there.
  ui.stage = 'ask_user: Escape';
  const asked = ui.quickInput('AutoGPT asks');
  await asked.waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await asked.waitFor({ state: 'hidden' });
  ui.stage = 'ask_user: from the status bar';
  const askWaiting = page.locator('.statusbar-item', { hasText: 'AutoGPT: ask_user waiting' });
  await askWaiting.click();
  await ui.inputBox('AutoGPT asks', ask.answer, { screenshot: '11-ask-user' });
  await askWaiting.waitFor({ state: 'hidden' });
  await ui.approveWaiting('finish', ask.reason);
  await ui.taskRow(ask.goal, 'finished');

  // ask_user decided elsewhere (the task cancelled from the tree): its InputBox is withdrawn, no stale prompt.
  await ui.runGoal(withdraw.goal);
  ui.stage = 'ask_user box open';
  const question = ui.quickInput('AutoGPT asks');
  await question.waitFor({ state: 'visible' });
  await page.locator('.pane', { hasText: 'Tasks' }).first().waitFor(); // the view is on show from the last run
  const row = ui.tree().locator('.monaco-list-row', { hasText: withdraw.goal });
  ui.stage = 'cancel from the tree while the question is open';
  await row.hover();
  await row.locator('.action-label[aria-label^="Cancel Task"]').click();
  await question.waitFor({ state: 'hidden' });
  await askWaiting.waitFor({ state: 'hidden' });
  await ui.taskRow(withdraw.goal, 'stopped');

  // The thinking progress's Cancel button stops the task while the LLM has not answered.
  await ui.runGoal(cancel.goal);
  ui.stage = 'the thinking progress notification';
  const thinking = ui.toast('AutoGPT is thinking');
  await thinking.waitFor();
  await ui.shot('12-thinking-progress');
  ui.stage = 'click Cancel on the progress';
  await thinking.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await thinking.waitFor({ state: 'hidden' });
  await ui.taskRow(cancel.goal, 'stopped');

  // Restart the server while a diff waits: the diff goes with the old server, and comes back from the new one.
  await ui.runGoal(restart.goal);
  await ui.waitForDiff(restart.file, restart.text);
  await ui.palette('AutoGPT: Restart Server');
  ui.stage = 'the diff withdrawn by the restart';
  await ui.tab(`AutoGPT: ${restart.file}`).waitFor({ state: 'detached' });
  await ui.shot('13-after-restart');
  await ui.approveDiff(restart.file, restart.text);
  await ui.approveWaiting('finish', restart.reason);
  await ui.taskRow(restart.goal, 'finished');
  await ui.shot('14-tasks-after-restart');
});
