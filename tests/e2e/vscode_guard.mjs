// A step the loop guard holds, in code-server: the task view's pending card shows the guard's reason and its
// answers (Rethink / Feedback… / Run anyway / Stop); Rethink is clicked there; then `finish` from the status bar.
// Usage: node vscode_guard.mjs '<json: {url, shots, extensionDir, chromium, goal, reason}>'
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  await ui.runGoal(config.goal);
  await ui.page.locator('.statusbar-item', { hasText: config.goal }).waitFor();
  ui.stage = 'the held step waits in the status bar';
  const item = ui.page.locator('.statusbar-item', { hasText: 'held by the loop guard' });
  await item.waitFor();
  seen.statusItem = await item.innerText();
  await ui.palette('AutoGPT: Show Task', { exact: true });
  ui.stage = "the held step's card";
  await ui.tab(`AutoGPT: ${config.goal}`).waitFor();
  const view = ui.webview();
  const held = view.locator('.card.step.pending', { hasText: 'held by the loop guard' });
  await held.waitFor();
  seen.guard = await held.locator('p.guard').innerText();
  seen.buttons = await held.locator('.actions button').allInnerTexts();
  await ui.shot('guard-held');
  ui.stage = 'click Rethink';
  await held.locator('button', { hasText: 'Rethink' }).click();
  const decided = view.locator('.card.step', { hasText: 'take a different approach' });
  await decided.waitFor();
  seen.decided = await decided.innerText();
  ui.stage = 'finish, from the status bar';
  await ui.approveWaiting('finish', 'AutoGPT proposes finish');
  await view.locator('header', { hasText: `finished: ${config.reason}` }).waitFor();
  seen.finished = true;
});
