// Self-feedback in code-server: a proposed edit's diff, its "Ask the agent to critique this" CodeLens, then the
// revised proposal's diff in its place, approved; then `finish` critiqued from the status bar's QuickPick.
// Usage: node vscode_critique.mjs '<json: {url, shots, extensionDir, chromium, goal, file, first, revised, reason, revisedReason}>'
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  await ui.runGoal(config.goal);
  const diff = await ui.waitForDiff(config.file, config.first);
  await ui.shot('40-first-proposal');
  ui.stage = 'click "Ask the agent to critique this" (CodeLens)';
  await diff.locator('.codelens-decoration a', { hasText: 'Ask the agent to critique this' }).click();
  await ui.waitForDiff(config.file, config.revised);
  await ui.shot('41-revised-proposal');
  seen.firstStillShown = await ui.page
    .locator('.modified-in-monaco-diff-editor', { hasText: config.first })
    .count();
  await ui.approveDiff(config.file, config.revised);

  ui.stage = 'critique finish from its status bar QuickPick';
  const toast = ui.toast(config.reason);
  await toast.waitFor();
  await ui.page.locator('.statusbar-item', { hasText: 'AutoGPT: finish waiting' }).click();
  const pick = ui.quickInput('AutoGPT proposes finish');
  await pick.waitFor({ state: 'visible' });
  await pick.locator('.quick-input-list .monaco-list-row', { hasText: 'Ask the agent to critique this' }).click();
  await ui.approveWaiting('finish', config.revisedReason);
});
