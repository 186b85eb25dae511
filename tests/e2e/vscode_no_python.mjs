// No Python on PATH and nothing set: the first command says clearly why the server cannot be installed.
// Usage: node vscode_no_python.mjs '<json: {url, shots, extensionDir, chromium}>'
import { drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  await ui.palette('AutoGPT: Run Agent on Goal');
  ui.stage = 'the no-Python error';
  const error = ui.toast('AutoGPT needs Python');
  await error.waitFor();
  await ui.shot('20-no-python');
  seen.error = await error.innerText();
  seen.buttons = await error.locator('.monaco-button').allInnerTexts();
});
