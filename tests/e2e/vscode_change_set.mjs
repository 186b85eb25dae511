// A staged command's change set in code-server: the command approved from its document, then its file changes as
// one multi-file diff editor listing every file; approved from it (run 1), rejected from it (run 2).
// Usage: node vscode_change_set.mjs '<json: {url, shots, extensionDir, chromium, runs: [{name, goal, command, files, answer, reason?}]}>'
import { config, drive } from './vscode_ui.mjs';

await drive(async (ui, seen) => {
  for (const [i, run] of config.runs.entries()) {
    await ui.runGoal(run.goal);
    const { approve } = await ui.commandProposal(run.command);
    ui.stage = `run ${i + 1}: approve the command (CodeLens)`;
    await approve.click();
    await ui.tab('AutoGPT command, step 1').waitFor({ state: 'detached' });

    const title = `AutoGPT: ${run.files.length} files (proposed, step 2)`;
    const changes = await ui.waitForMultiDiff(title); // the command ran staged: its change set is step 2
    ui.stage = `run ${i + 1}: every file of the change set listed`;
    const entries = {};
    for (const file of run.files) {
      const entry = changes.locator('.multiDiffEntry', { has: ui.page.locator('.header', { hasText: file }) });
      await entry.locator('.modified-in-monaco-diff-editor .view-lines').waitFor();
      entries[file] = await entry.locator('.modified-in-monaco-diff-editor .view-lines').innerText();
    }
    const headers = await changes.locator('.multiDiffEntry .header').allInnerTexts();
    seen[run.name] = { tabs: await ui.tab(title).count(), headers, entries };
    await ui.page.mouse.move(1000, 700); // off the file names: their path tooltip would cover the first diff
    await ui.page.locator('.workbench-hover').waitFor({ state: 'detached' });
    await ui.shot(`${run.name}-change-set`);
    ui.stage = `run ${i + 1}: ${run.answer} the change set (CodeLens)`;
    await changes.locator('.codelens-decoration a', { hasText: run.answer }).first().click();
    if (run.answer === 'Reject') await ui.inputBox('Reject apply_staged_changes', '');
    await ui.tab(title).waitFor({ state: 'detached' });
    if (run.reason) await ui.approveWaiting('finish', run.reason);
  }
});
