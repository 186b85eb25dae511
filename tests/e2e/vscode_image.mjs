// generate_image in code-server: the proposal approved from the status bar, then the saved image open in VS Code's
// image preview (the extension routes the server's window/showDocument for an image to `vscode.open`).
// Usage: node vscode_image.mjs '<json: {url, shots, extensionDir, chromium, goal, file, reason}>'
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  await ui.runGoal(config.goal);
  await ui.approveWaiting('generate_image', 'generate_image(');
  ui.stage = `the image preview of ${config.file}`;
  await ui.tab(config.file).waitFor();
  await ui.webview().locator('img').first().waitFor();
  seen.imageTabs = await ui.tab(config.file).count();
  await ui.shot('50-image-preview');
  await ui.approveWaiting('finish', config.reason);
});
