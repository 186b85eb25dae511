// The task view's page script (taskPanel.ts): draws the view data the extension posts (common/transcript.ts) and
// posts back the user's clicks. Every text goes in as textContent, never as HTML: the agent's words are data.
// Speak mode (autogpt.speak): the thoughts the extension posts as WAV data: URIs play one after another.
(function () {
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('task'));

  /** An element with a class and children (strings become text). */
  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) if (child !== null && child !== undefined && child !== '') node.append(child);
    return node;
  }

  function button(label, className, message) {
    const b = el('button', className, label);
    b.addEventListener('click', () => {
      // one decision per step: the buttons stay disabled until the extension draws the step again
      b.closest('.actions')?.querySelectorAll('button').forEach((other) => (other.disabled = true));
      vscode.postMessage(message);
    });
    return b;
  }

  function link(label, message) {
    const a = el('a', 'link', label);
    a.href = '#';
    a.addEventListener('click', (e) => {
      e.preventDefault();
      vscode.postMessage(message);
    });
    return a;
  }

  function section(label, body, className = '') {
    return el('div', `section ${className}`, el('div', 'label', label), body);
  }

  function header(view) {
    const meta = el('div', 'meta', `${view.status}${view.reason ? `: ${view.reason}` : ''}`, ' · ',
      `${view.steps} step${view.steps === 1 ? '' : 's'}`, ' · ', el('span', 'cost', view.cost), ' · ', view.tokens);
    return el('header', '', el('h1', '', view.goal), meta);
  }

  function plan(view) {
    if (!view.plan.length) return null;
    const done = view.plan.filter((i) => i.done).length;
    const list = el('ol', 'plan');
    for (const item of view.plan) list.append(el('li', item.done ? 'done' : '', item.text));
    return el('section', 'card plan-card', el('h2', '', `Plan · ${done} of ${view.plan.length} done`), list);
  }

  function summaries(view) {
    if (!view.summaries.length) return null;
    const box = el('details', 'card summaries', el('summary', '', 'Summaries of compacted steps'));
    for (const s of view.summaries) box.append(section(s.label, el('pre', '', s.text)));
    return box;
  }

  function card(c) {
    const title = el('h2', '', el('span', 'index', `#${c.index + 1}`), ' ', el('span', 'tool', c.tool));
    const box = el('section', `card step ${c.pending ? 'pending' : ''}`, title, el('div', 'status', c.status));
    box.dataset.stepId = c.stepId;
    if (c.thoughts) box.append(section('thoughts', el('p', 'thoughts', c.thoughts)));
    box.append(section(c.command ? 'command' : 'arguments', el('pre', '', c.command || c.arguments)));
    if (c.guard) box.append(section('held by the loop guard', el('p', 'guard', c.guard)));
    if (c.proposedFiles.length) {
      const all = c.proposedFiles.length > 1 ? `all ${c.proposedFiles.length} files` : c.proposedFiles[0].path;
      const files = el('ul', 'files proposed');
      for (const f of c.proposedFiles) {
        files.append(el('li', '', link(`${f.path} (${f.change})`, { type: 'proposed', stepId: c.stepId, uri: f.uri })));
      }
      box.append(section('proposed change', el('div', '',
        el('p', '', link(`Show the proposed change to ${all}`, { type: 'proposed', stepId: c.stepId })),
        c.proposedFiles.length > 1 ? files : null)));
    }
    if (c.decision) box.append(section('decision', el('p', '', c.decision)));
    if (c.output) box.append(section('output so far', el('pre', 'output', c.output)));
    if (c.result) box.append(section('result', el('pre', c.result.ok ? 'ok' : 'error', c.result.text)));
    if (c.files.length) {
      const files = el('ul', 'files');
      for (const path of c.files) files.append(el('li', '', link(`${path} (diff)`, { type: 'diff', stepId: c.stepId, path })));
      box.append(section('files changed', files));
    }
    if (c.diagnostics.length) box.append(section('new problems', el('pre', 'error', c.diagnostics.join('\n'))));
    box.append(el('div', 'usage', el('span', 'tokens', c.tokens), ' · ', el('span', 'cost', c.cost)));
    if (c.pending) {
      const decide = (choice) => ({ type: 'decide', choice, stepId: c.stepId });
      box.append(el('div', 'actions',
        ...c.answers.map((a) => button(a.label, a.primary ? 'primary' : 'secondary', decide(a.id)))));
    }
    return box;
  }

  function thinking(t) {
    return el('section', 'card thinking', el('h2', '', el('span', 'index', `#${t.index + 1}`), ' thinking…'),
      el('p', 'thoughts', t.text));
  }

  function draw(view) {
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    const parts = [header(view), plan(view), summaries(view), ...view.cards.map(card)];
    if (view.thinking) parts.push(thinking(view.thinking));
    root.replaceChildren(...parts.filter(Boolean));
    if (atBottom) window.scrollTo(0, document.body.scrollHeight); // follow the task unless the user scrolled up
  }

  const speech = /** @type {HTMLElement} */ (document.getElementById('speech'));
  const audio = /** @type {HTMLAudioElement} */ (speech.querySelector('audio'));
  const clips = []; // said after the one playing

  function play(clip) {
    speech.hidden = false;
    speech.querySelector('.label').textContent = `thoughts of step #${clip.index + 1}`;
    audio.dataset.stepId = clip.stepId;
    audio.src = clip.src;
    audio.play().catch(() => {}); // the editor may refuse to play before a click: the controls are there
  }

  function speak(clip) {
    if (typeof clip.src !== 'string' || !clip.src.startsWith('data:audio/')) return;
    if (audio.src && !audio.paused && !audio.ended) clips.push(clip);
    else play(clip);
  }

  audio.addEventListener('ended', () => {
    const next = clips.shift();
    if (next) play(next);
  });
  window.addEventListener('message', (event) => {
    if (event.data?.type === 'render') draw(event.data.view);
    if (event.data?.type === 'speak') speak(event.data);
  });
  vscode.postMessage({ type: 'ready' });
})();
