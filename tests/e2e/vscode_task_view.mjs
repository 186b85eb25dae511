// The task view in code-server: run a goal, open "AutoGPT: Show Task", watch the reply stream in, read the plan
// and the pending edit's card, approve it in the webview, open its diff from the card, then approve `finish`
// from the status bar and see its card lose its buttons. Helpers and the JSON it prints: vscode_ui.mjs.
// Usage: node vscode_task_view.mjs '<json: {url, shots, extensionDir, chromium, run: {...}, workspace, signal}>'
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { config, drive } from './vscode_ui.mjs';

const { run } = config;

await drive(async (ui, seen) => {
  const { page } = ui;
  await ui.runGoal(run.goal);
  ui.stage = 'the task started (status bar)';
  await page.locator('.statusbar-item', { hasText: run.goal }).waitFor();
  await ui.palette('AutoGPT: Show Task', { exact: true });
  ui.stage = 'task view opens';
  await ui.tab(`AutoGPT: ${run.goal}`).waitFor();
  const view = ui.webview();

  ui.stage = 'the reply streams into the view';
  const thinking = view.locator('.card.thinking');
  await thinking.waitFor();
  seen.thinking = await thinking.innerText();
  writeFileSync(config.signal, 'seen'); // the test lets the rest of the reply stream now

  ui.stage = 'plan and the pending edit';
  const plan = view.locator('.plan-card', { hasText: `0 of ${run.plan.length} done` });
  await plan.waitFor();
  seen.plan = await plan.innerText();
  const pending = view.locator('.card.step.pending', { hasText: 'write_file' });
  await pending.locator('.usage', { hasText: run.cost }).waitFor(); // the stored step, with its call's cost
  seen.pendingCard = await pending.innerText();
  seen.pendingButtons = await pending.locator('.actions button').allInnerTexts();
  await ui.shot('task-view-pending');

  if (config.speak) {
    ui.stage = "speak mode: the view's audio element loads the thoughts the server said";
    const audio = view.locator('#speech audio[data-step-id]');
    await audio.waitFor({ state: 'attached' });
    seen.speech = await audio.evaluate(
      (a) =>
        new Promise((resolve) => {
          const done = () => resolve({ src: a.currentSrc.slice(0, 22), duration: a.duration, error: a.error?.code });
          if (a.readyState >= 1 || a.error) done();
          else {
            a.addEventListener('loadedmetadata', done, { once: true });
            a.addEventListener('error', done, { once: true });
          }
        }),
    );
    seen.speech.label = await view.locator('#speech .label').textContent();
  }

  ui.stage = 'click Approve in the webview';
  await pending.locator('button', { hasText: 'Approve' }).click();
  const done = view.locator('.card.step', { hasText: `${run.file} (diff)` });
  await done.waitFor();
  seen.doneCard = await done.innerText();

  ui.stage = 'the diff link opens the diff';
  await done.locator('a', { hasText: `${run.file} (diff)` }).click();
  await ui.tab(`AutoGPT: ${run.file} (before step 2`).waitFor();
  seen.diffTab = await ui.tab(`AutoGPT: ${run.file} (before step 2`).count();
  await ui.tab(`AutoGPT: ${run.goal}`).click(); // back to the task view

  ui.stage = 'a command approved from its document streams into its card';
  await ui.tab('AutoGPT command, step 3').waitFor();
  const editor = page.locator('.editor-instance', { has: page.locator('.view-line', { hasText: 'echo started' }) });
  await editor.locator('.codelens-decoration a', { hasText: 'Approve' }).click();
  const running = view.locator('.card.step', { hasText: 'execute_shell' });
  await running.locator('pre.output', { hasText: 'started' }).waitFor();
  seen.runningCard = await running.innerText();
  seen.runningOutput = await running.locator('pre.output').innerText();
  seen.runningButtons = await running.locator('.actions button').count();
  writeFileSync(path.join(config.workspace, 'release.flag'), ''); // the command prints its second line and ends
  const result = running.locator('pre.ok', { hasText: 'finished' });
  await result.waitFor();
  seen.commandResult = await result.innerText();

  ui.stage = 'finish waits in the view, decided in the status bar';
  const finish = view.locator('.card.step', { hasText: 'finish' }).filter({ hasText: run.reason });
  await finish.locator('.actions button').first().waitFor();
  seen.finishButtonsBefore = await finish.locator('.actions button').count();
  await ui.tab(`AutoGPT: ${run.goal}`).click();
  await ui.approveWaiting('finish', 'AutoGPT proposes finish');
  const header = view.locator('header', { hasText: `finished: ${run.reason}` });
  await header.waitFor();
  seen.finishButtonsAfter = await finish.locator('.actions button').count();
  seen.header = await header.innerText();
  await header.scrollIntoViewIfNeeded(); // the picture shows the task's outcome and cost on top
  await ui.shot('task-view-finished');

  ui.stage = 'closed, then opened again from the task row in the AutoGPT view';
  await ui.tab(`AutoGPT: ${run.goal}`).click();
  await ui.palette('View: Close Editor', { exact: true });
  await ui.tab(`AutoGPT: ${run.goal}`).waitFor({ state: 'detached' });
  const row = await ui.taskRow(run.goal, 'finished');
  await row.hover();
  await row.locator('.action-label[aria-label="Show Task"]').click();
  await ui.webview().locator('header', { hasText: `finished: ${run.reason}` }).waitFor();
  seen.reopenedCards = await ui.webview().locator('.card.step').count();
});
