// The editor's side of a task in code-server: lines of a TypeScript file selected, "AutoGPT: Run Agent on
// Selection" from the editor's context menu, the context pick (one of the file's errors unticked), then an approved
// edit that brings in a type error, which the built-in TypeScript server reports and the extension sends back.
// Usage: node vscode_editor.mjs '<json: {url, shots, extensionDir, chromium, file, goal, untick, newError, reason}>'
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  const { page } = ui;
  await ui.openFile(config.file);
  ui.stage = "the TypeScript server's report on the file as it is";
  await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 120_000 });

  ui.stage = 'select lines 2-4';
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(':2');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
  ui.stage = 'the editor context menu';
  await page.locator('.editor-instance .view-line', { hasText: 'return a + b' }).first().click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: 'Run Agent on Selection' });
  await item.waitFor();
  await ui.shot('30-context-menu');
  await item.click();
  await ui.inputBox('AutoGPT: Run Agent on Selection', config.goal);
  seen.offered = await ui.acceptContext([config.untick], '31-context-pick');

  await ui.approveDiff(config.file, config.newError.code);
  await ui.approveWaiting('finish', config.reason);
  await ui.shot('32-after-the-edit');
});
